import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadGPT, loadWeights, saveGPT } from '../../kernel-lib/src/checkpoint/gpt';
import { decodeSafetensors } from '../../kernel-lib/src/checkpoint/safetensors';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { maxAbsDiff, onCpu } from './helpers';

beforeAll(onCpu);

const config = { vocabSize: 13, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8, seed: 1 };
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'llm-lab-ckpt-'));
const ids = () => tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8]], [1, 8], 'int32');

async function logits(model: GPT): Promise<Float32Array> {
  const x = ids();
  const { logits } = model.forward(x);
  const values = (await logits.data()) as Float32Array;
  tf.dispose([x, logits]);
  return values;
}

describe('GPT checkpoints (safetensors + config.json)', () => {
  it('round-trips the weights and the extras', async () => {
    const dir = tmp();
    const model = new GPT(config);
    await saveGPT(model, dir, { tokenizer: { type: 'char', vocab: ['a', 'b'] } });
    const { model: loaded, extras } = loadGPT(dir);
    expect(loaded.config).toEqual(model.config);
    expect(extras.tokenizer).toEqual({ type: 'char', vocab: ['a', 'b'] });
    expect(maxAbsDiff(await logits(loaded), await logits(model))).toBe(0);
    model.dispose();
    loaded.dispose();
  });

  it('writes the safetensors layout and GPT-2 names and config keys', async () => {
    const dir = tmp();
    const model = new GPT(config);
    await saveGPT(model, dir);
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, 'model.safetensors')));
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.__metadata__).toEqual({ format: 'pt' });
    const entry = header['transformer.h.1.attn.c_attn.weight'];
    expect(entry.dtype).toBe('F32');
    expect(entry.shape).toEqual([8, 24]); // [in, out], as GPT-2's Conv1D
    // the bytes at its offsets are the weight itself, little-endian float32
    const [begin, end] = entry.data_offsets;
    const raw = bytes.slice(8 + n + begin, 8 + n + end);
    expect(Array.from(new Float32Array(raw.buffer))).toEqual(Array.from(await model.getParameter('transformer.h.1.attn.c_attn.weight').data()));
    const offsets = Object.entries(header).filter(([k]) => k !== '__metadata__').map(([, v]) => (v as { data_offsets: number[] }).data_offsets).sort((a, b) => a[0] - b[0]);
    offsets.forEach((o, i) => expect(o[0]).toBe(i === 0 ? 0 : offsets[i - 1][1])); // back to back
    expect(offsets.at(-1)![1]).toBe(bytes.length - 8 - n);
    const hf = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(hf).toMatchObject({ model_type: 'gpt2', n_embd: 8, n_layer: 2, n_head: 2, n_positions: 8, vocab_size: 13, tie_word_embeddings: true });
    model.dispose();
  });

  it('refuses a checkpoint of another shape, names what differs, and changes nothing', async () => {
    const dir = tmp();
    const small = new GPT(config);
    await saveGPT(small, dir);
    const wide = new GPT({ ...config, nEmbd: 12, nLayer: 3 });
    const before = await logits(wide);
    expect(() => loadWeights(wide, dir)).toThrow(
      /does not match the model\. 12 missing from the checkpoint: transformer\.h\.2\.ln_1\.weight \[12\];.*\. 28 of another shape: transformer\.wte\.weight: checkpoint \[13,8\], model \[13,12\]/
    );
    expect(maxAbsDiff(await logits(wide), before)).toBe(0);
    small.dispose();
    wide.dispose();
  });

  it('names a broken file', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'model.safetensors'), Uint8Array.of(200, 0, 0, 0, 0, 0, 0, 0, 123));
    expect(() => decodeSafetensors(new Uint8Array(fs.readFileSync(path.join(dir, 'model.safetensors'))), 'model.safetensors')).toThrow(
      'model.safetensors: the header claims 200 bytes, but the file has only 1 after the length'
    );
    expect(() => loadGPT(dir)).toThrow(`loadGPT: no config.json in ${dir}`);
  });
});

describe('checkpoints of every course model (saveModel / loadModel)', () => {
  it('round-trips a BERT and a Seq2Seq (architecture, config, weights, extras); a GPT goes through the GPT-2 format', async () => {
    const { saveModel, loadModel } = await import('../../kernel-lib/src/checkpoint/model');
    const { BERT } = await import('../../kernel-lib/src/models/bert');
    const { Seq2Seq } = await import('../../kernel-lib/src/models/seq2seq');
    const x = ids();
    const bert = new BERT({ ...config, seed: 4 });
    const s2s = new Seq2Seq({ ...config, positions: 'rope', seed: 5 });
    const gpt = new GPT(config);
    for (const [model, out] of [
      [bert, (m: typeof bert) => m.forward(x)],
      [s2s, (m: typeof s2s) => m.forward(x, x.slice([0, 0], [1, 5])).logits],
      [gpt, (m: GPT) => m.forward(x).logits]
    ] as const) {
      const dir = tmp();
      await saveModel(model, dir, { note: 'hi' });
      const { model: loaded, extras } = loadModel(dir);
      expect(loaded.constructor).toBe(model.constructor);
      expect(loaded.config).toEqual(model.config);
      expect(extras.note).toBe('hi');
      const run = out as (m: unknown) => tf.Tensor;
      expect(maxAbsDiff(await run(loaded).data(), await run(model).data())).toBe(0);
      loaded.dispose();
    }
    // a BERT checkpoint does not load into a BERT of another structure or size, and says why
    const dir = tmp();
    await saveModel(bert, dir);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    cfg.llm_lab.config.positions = 'learned';
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
    expect(() => loadModel(dir)).toThrow(/does not match the model\. 1 missing from the checkpoint: encoder\.wpe\.weight \[8,8\]$/);
    cfg.llm_lab.config.nEmbd = 12; // more than the file holds: refused before the model is built
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
    expect(() => loadModel(dir)).toThrow(/describes a model of at least 3612 values \(token embedding 13 × 12 = 156; 2 blocks × 12 × 12² = 3456\), but .*model\.safetensors holds \d+ in \d+ tensors; nothing was built/);
    cfg.llm_lab.architecture = 'rnn';
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
    expect(() => loadModel(dir)).toThrow('names the architecture "rnn"; known: "gpt", "bert", "seq2seq"');
    tf.dispose(x);
    [bert, s2s, gpt].forEach(m => m.dispose());
  });
});
