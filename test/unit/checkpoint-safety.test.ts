import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { loadBaseModel } from '../../kernel-lib/src/checkpoint/base';
import { loadGPT, loadWeights, saveGPT } from '../../kernel-lib/src/checkpoint/gpt';
import { loadModel, saveModel } from '../../kernel-lib/src/checkpoint/model';
import { encodeSafetensors } from '../../kernel-lib/src/checkpoint/safetensors';
import { BERT } from '../../kernel-lib/src/models/bert';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { onCpu } from './helpers';

beforeAll(onCpu);

// fs as it is, with renameSync a spy that a test can make fail (an ES module's exports cannot be spied on directly)
vi.mock('fs', async importOriginal => {
  const actual = await importOriginal<typeof import('fs')>();
  return { ...actual, renameSync: vi.fn(actual.renameSync) };
});

const config = { vocabSize: 13, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8, seed: 1 };
/** A fresh parent folder; the checkpoint is its `ckpt` child, so leftovers beside it show. */
const parentFolder = () => fs.mkdtempSync(path.join(os.tmpdir(), 'llm-lab-ckpt-safety-'));
const read = (dir: string) => ({ weights: fs.readFileSync(path.join(dir, 'model.safetensors')), config: fs.readFileSync(path.join(dir, 'config.json')) });

async function weightsOf(model: GPT): Promise<number[][]> {
  return Promise.all(model.namedParameters().map(async ([, v]) => Array.from(await v.data())));
}

/** `load` throws `message`, and the tensors alive before it are all that is alive after it. */
/** A folder ckpt holding model A's checkpoint (extras { note: 'A' }) and a file of the user's, recipe.json. */
async function checkpointA() {
  const parent = parentFolder();
  const dir = path.join(parent, 'ckpt');
  const a = new GPT(config);
  await saveGPT(a, dir, { note: 'A' });
  fs.writeFileSync(path.join(dir, 'recipe.json'), '{"seed": 1}\n');
  return { parent, dir, a, before: read(dir) };
}

/** The folder still holds A's checkpoint, byte for byte, with recipe.json, nothing beside it, and loads with A's weights. */
async function expectCheckpointA(parent: string, dir: string, before: ReturnType<typeof read>, a: GPT): Promise<void> {
  const after = read(dir);
  expect(after.weights.equals(before.weights)).toBe(true);
  expect(after.config.equals(before.config)).toBe(true);
  expect(fs.readdirSync(parent)).toEqual(['ckpt']);
  expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'recipe.json']);
  expect(fs.readFileSync(path.join(dir, 'recipe.json'), 'utf8')).toBe('{"seed": 1}\n');
  const { model: loaded, extras } = loadGPT(dir);
  expect(extras).toEqual({ note: 'A' });
  expect(await weightsOf(loaded)).toEqual(await weightsOf(a));
  loaded.dispose();
}

function expectFailedLoad(load: () => unknown, message: string | RegExp): void {
  const before = tf.memory().numTensors;
  expect(load).toThrow(message);
  expect(tf.memory().numTensors).toBe(before);
}

describe('a checkpoint on disk is the old one or the new one, never a mix', () => {
  it.each([
    ['a BigInt', { step: 10n }, /saveGPT: the extras cannot be written as JSON \(.*BigInt.*\)\. Nothing was written to/],
    ['a circular object', (() => { const a: Record<string, unknown> = {}; a.self = a; return { recipe: a }; })(), /saveGPT: the extras cannot be written as JSON \(.*circular[\s\S]*\)\. Nothing was written to/]
  ])('a save that fails (extras with %s) leaves the old checkpoint byte for byte, loading with its old weights, and no temporary folder', async (_, extras, message) => {
    const { parent, dir, a, before } = await checkpointA();
    const b = new GPT({ ...config, seed: 2 });
    await expect(saveGPT(b, dir, extras)).rejects.toThrow(message);
    await expectCheckpointA(parent, dir, before, a);
    [a, b].forEach(m => m.dispose());
  });

  it('a save that succeeds replaces both files, keeps the folder\'s other files, and leaves no temporary folder', async () => {
    const { parent, dir, a } = await checkpointA();
    const b = new GPT({ ...config, nLayer: 1, seed: 2 });
    await saveGPT(b, dir, { note: 'B' });
    expect(fs.readdirSync(parent)).toEqual(['ckpt']);
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'recipe.json']);
    expect(fs.readFileSync(path.join(dir, 'recipe.json'), 'utf8')).toBe('{"seed": 1}\n');
    const { model: loaded, extras } = loadGPT(dir);
    expect(loaded.config).toEqual(b.config);
    expect(extras).toEqual({ note: 'B' });
    expect(await weightsOf(loaded)).toEqual(await weightsOf(b));
    [a, b, loaded].forEach(m => m.dispose());
  });

  it('a save whose final rename (the new folder into place) fails leaves the old checkpoint complete, loading with its old weights, and no temporary folder', async () => {
    const { parent, dir, a, before } = await checkpointA();
    const b = new GPT({ ...config, seed: 2 });
    // the old folder is moved aside first (that rename works); moving the new one in then fails
    const { renameSync } = await vi.importActual<typeof import('fs')>('fs');
    const renames: string[] = [];
    vi.mocked(fs.renameSync).mockImplementation((from, to) => {
      renames.push(path.basename(String(from)));
      if (String(to) === dir && !String(from).endsWith('.old')) throw new Error(`EXDEV: cross-device link not permitted, rename '${from}' -> '${to}'`);
      renameSync(from, to);
    });
    try {
      await expect(saveGPT(b, dir, { note: 'B' })).rejects.toThrow('EXDEV: cross-device link not permitted');
    } finally {
      vi.mocked(fs.renameSync).mockImplementation(renameSync);
    }
    expect(renames).toEqual([
      'ckpt', // aside
      expect.stringMatching(/^\.ckpt\.saving-\w+$/), // into place: fails
      expect.stringMatching(/^\.ckpt\.saving-\w+\.old$/) // the old folder back
    ]);
    await expectCheckpointA(parent, dir, before, a);
    [a, b].forEach(m => m.dispose());
  });

  it('refuses to save a disposed model, saying so, and writes nothing', async () => {
    const parent = parentFolder();
    const dir = path.join(parent, 'ckpt');
    const model = new GPT(config);
    const n = model.namedParameters().length;
    model.dispose();
    await expect(saveGPT(model, dir)).rejects.toThrow(
      `saveGPT: the model cannot be saved: ${n} of its ${n} parameters are disposed (transformer.wte.weight first); was model.dispose() called? Nothing was written to ${dir}`
    );
    const bert = new BERT(config);
    bert.dispose();
    await expect(saveModel(bert, dir)).rejects.toThrow(/saveModel: the model cannot be saved: \d+ of its \d+ parameters are disposed/);
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  it('refuses extras keys that would hide what the loader reads under "llm_lab", naming them', async () => {
    const parent = parentFolder();
    const dir = path.join(parent, 'ckpt');
    const gpt = new GPT(config);
    const bert = new BERT(config);
    await expect(saveGPT(gpt, dir, { config: { lr: 1e-3 } })).rejects.toThrow(
      `saveGPT: the extras key "config" would hide what the loader reads under "llm_lab" (reserved: config, architecture); rename it. Nothing was written to ${dir}`
    );
    await expect(saveModel(bert, dir, { architecture: 'mine', config: {} })).rejects.toThrow(
      'saveModel: the extras keys "architecture", "config" would hide what the loader reads under "llm_lab" (reserved: config, architecture); rename them.'
    );
    expect(fs.readdirSync(parent)).toEqual([]);
    [gpt, bert].forEach(m => m.dispose());
  });
});

describe('a load checks structure, sizes and values before it allocates, and a failed load leaves no tensor', () => {
  /** A GPT checkpoint in a fresh folder, and its file names. */
  async function savedGPT(extras = {}, cfg: object = config): Promise<{ dir: string; weightsFile: string; configFile: string }> {
    const dir = path.join(parentFolder(), 'ckpt');
    const model = new GPT(cfg as typeof config);
    await saveGPT(model, dir, extras);
    model.dispose();
    return { dir, weightsFile: path.join(dir, 'model.safetensors'), configFile: path.join(dir, 'config.json') };
  }

  /** Replace model.safetensors by a header of our own and `dataBytes` zero bytes after it. */
  function writeRawSafetensors(file: string, header: unknown, dataBytes: number): void {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    fs.writeFileSync(file, out);
  }

  it('refuses NaN and Infinity weights, naming the tensor and how many values are bad', async () => {
    const { dir, weightsFile } = await savedGPT();
    const bytes = new Uint8Array(fs.readFileSync(weightsFile));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    const [begin] = header['transformer.h.0.attn.c_attn.weight'].data_offsets;
    const view = new DataView(bytes.buffer, 8 + n + begin);
    [NaN, NaN, NaN, -Infinity].forEach((x, i) => view.setFloat32(4 * i, x, true));
    fs.writeFileSync(weightsFile, bytes);
    const message = `${weightsFile}: 1 tensor holds values that are not finite numbers: transformer.h.0.attn.c_attn.weight has 4 of 192 (3 NaN, 1 ±Infinity)`;
    expectFailedLoad(() => loadGPT(dir), message);
    expectFailedLoad(() => loadModel(dir), message);
    const model = new GPT(config);
    const before = await weightsOf(model);
    expectFailedLoad(() => loadWeights(model, dir), message);
    expect(await weightsOf(model)).toEqual(before);
    model.dispose();
  });

  it.each([
    ['a null header', null, 0, ': the header must be a JSON object of tensors, got null'],
    ['an entry that is not an object', { w: 3 }, 0, ': tensor w has the entry 3, not an object'],
    ['an entry without a shape', { w: { dtype: 'F32', data_offsets: [0, 8] } }, 8, ': tensor w has the shape undefined; a shape is a list of non-negative integers'],
    ['a shape that does not match the bytes', { w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 16] } }, 16, ': tensor w has 16 bytes for shape [2,3] (float32: 24 bytes)'],
    ['offsets outside the data', { w: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } }, 16, ': tensor w has data_offsets [8,24] outside the 16 data bytes'],
    ['offsets that are missing', { w: { dtype: 'F32', shape: [4] } }, 16, ': tensor w has data_offsets undefined outside the 16 data bytes'],
    ['a gap between tensors', { w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8, ': tensor w starts at byte 4 of the data, but the tensor before it ends at 0'],
    ['metadata that is not strings', { __metadata__: { format: 1 } }, 0, ': __metadata__ must be an object of strings, got {"format":1}']
  ])('refuses a safetensors file with %s, naming the file and the entry', async (_, header, dataBytes, message) => {
    const { dir, weightsFile } = await savedGPT();
    writeRawSafetensors(weightsFile, header, dataBytes);
    expectFailedLoad(() => loadGPT(dir), weightsFile + message);
  });

  it('refuses, before building anything, a config.json that claims more than the weights file holds', async () => {
    const { dir, configFile, weightsFile } = await savedGPT();
    const cfg = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    // GPT-2 small's sizes over a file of 2 tiny blocks
    Object.assign(cfg.llm_lab.config, { vocabSize: 50257, blockSize: 1024, nLayer: 12, nHead: 12, nEmbd: 768 });
    fs.writeFileSync(configFile, JSON.stringify(cfg));
    expectFailedLoad(
      () => loadGPT(dir),
      new RegExp(
        `^loadGPT: ${configFile} describes a model of at least 123532032 values \\(token embedding 50257 × 768 = 38597376; 12 blocks × 12 × 768² = 84934656\\), but ${weightsFile} holds \\d+ in 28 tensors; nothing was built$`
      )
    );
    // sizes no machine could allocate: had the model been built first, this would be a RangeError
    Object.assign(cfg.llm_lab.config, { vocabSize: 1e9, nEmbd: 4096, nHead: 16 });
    fs.writeFileSync(configFile, JSON.stringify(cfg));
    expectFailedLoad(() => loadGPT(dir), /describes a model of at least \d+ values .*; nothing was built$/);
    // and a BERT's (loadModel) the same way
    const bertDir = path.join(parentFolder(), 'ckpt');
    const bert = new BERT(config);
    await saveModel(bert, bertDir);
    bert.dispose();
    const bertConfigFile = path.join(bertDir, 'config.json');
    const bertCfg = JSON.parse(fs.readFileSync(bertConfigFile, 'utf8'));
    Object.assign(bertCfg.llm_lab.config, { vocabSize: 1e9, nEmbd: 4096, nHead: 16 });
    fs.writeFileSync(bertConfigFile, JSON.stringify(bertCfg));
    expectFailedLoad(() => loadModel(bertDir), new RegExp(`^loadModel: ${bertConfigFile} describes a model of at least \\d+ values .*; nothing was built$`));
  });

  it('names a config.json that is not JSON, and a weights file that is missing', async () => {
    const { dir, configFile, weightsFile } = await savedGPT();
    fs.writeFileSync(configFile, '{"llm_lab": ');
    expectFailedLoad(() => loadGPT(dir), new RegExp(`^loadGPT: ${configFile} is not valid JSON \\(`));
    expectFailedLoad(() => loadModel(dir), new RegExp(`^loadModel: ${configFile} is not valid JSON \\(`));
    fs.writeFileSync(configFile, 'null');
    expectFailedLoad(() => loadGPT(dir), `loadGPT: ${configFile} has no "llm_lab.config" (not written by LLM Lab)`);
    const other = await savedGPT();
    fs.rmSync(other.weightsFile);
    expectFailedLoad(() => loadGPT(other.dir), `no model.safetensors in ${other.dir}`);
    expect(weightsFile).not.toBe(other.weightsFile);
  });

  it('a base-model load that fails after building the model disposes it', async () => {
    const big = { ...config, vocabSize: 300 }; // room for the 256 byte tokens of a BPE without merges
    const bpe = { tokenizer: { type: 'bpe', merges: [] } };
    // no recipe.json
    const { dir } = await savedGPT(bpe, big);
    expectFailedLoad(() => loadBaseModel(dir), `loadBaseModel: no recipe.json in ${dir}`);
    // a recipe.json that is not JSON
    fs.writeFileSync(path.join(dir, 'recipe.json'), '{oops');
    expectFailedLoad(() => loadBaseModel(dir), new RegExp(`^loadBaseModel: ${path.join(dir, 'recipe.json')} is not valid JSON`));
    // a tokenizer larger than the model's vocabulary
    const small = await savedGPT(bpe);
    expectFailedLoad(() => loadBaseModel(small.dir), "loadBaseModel: the tokenizer has 256 tokens, more than the model's vocabSize 13");
    // and the same folder with a good recipe.json loads
    fs.writeFileSync(path.join(dir, 'recipe.json'), '{"seed": 1}');
    const { model, recipe } = loadBaseModel(dir);
    expect(recipe.seed).toBe(1);
    model.dispose();
  });
});

it('the encoder writes what the decoder accepts (every header check holds for a real file)', () => {
  const tensors = new Map([
    ['a', { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) }],
    ['empty', { shape: [0], data: new Float32Array(0) }],
    ['b', { shape: [3], data: Float32Array.of(5, 6, 7) }]
  ]);
  const parent = parentFolder();
  fs.writeFileSync(path.join(parent, 'model.safetensors'), encodeSafetensors(tensors));
  // readWeights through loadWeights: a module without these names says so, rather than failing to parse
  const model = new GPT(config);
  expect(() => loadWeights(model, parent)).toThrow(/3 not in the model: a \[2,2\]; empty \[0\]; b \[3\]/);
  model.dispose();
});
