/**
 * A LoRA adapter saved on its own in Hugging Face PEFT's format (adapter_config.json +
 * adapter_model.safetensors, PEFT's tensor names and shapes), next to a base model in Hugging
 * Face's format, and loaded back onto a fresh base: the same outputs.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../kernel-lib/src/checkpoint/safetensors';
import { loadGPT, saveGPT } from '../../kernel-lib/src/checkpoint/gpt';
import { useDevice } from '../../kernel-lib/src/device';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { getPeftModel, loadAdapter, saveAdapter } from '../../kernel-lib/src/peft';
import { maxAbsDiff } from './helpers';

const config = { vocabSize: 23, blockSize: 12, nLayer: 2, nHead: 2, nEmbd: 8, seed: 5 };
const ids = tf.tensor2d([[1, 4, 2, 8, 5, 7]], [1, 6], 'int32');
const logitsOf = (model: GPT) => tf.tidy(() => model.forward(ids).logits.dataSync() as Float32Array);

/** A LoRA model whose B is not zero (as after training), so that the adapter changes the outputs. */
function trainedLora(model: GPT, seed = 1) {
  const peft = getPeftModel(model, { peftType: 'LORA', r: 2, loraAlpha: 4, loraDropout: 0.05, targetModules: ['c_attn', 'mlp.c_fc'], seed });
  for (const [, layer] of peft.loraLayers()) {
    const { b } = layer.adapter('default');
    tf.tidy(() => b.weight.assign(tf.randomNormal(b.weight.shape, 0, 0.3, 'float32', seed)));
  }
  return peft;
}

describe('LoRA adapters in PEFT format', () => {
  let dir: string;
  beforeAll(async () => {
    await useDevice('cpu', { quiet: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peft-'));
    return () => fs.rmSync(dir, { recursive: true, force: true });
  });

  it("writes PEFT's files, tensor names and shapes, and loads back onto a fresh base with the same outputs", async () => {
    const model = new GPT(config);
    await saveGPT(model, path.join(dir, 'base'));
    const peft = trainedLora(model);
    const adapted = logitsOf(model);
    await saveAdapter(peft, path.join(dir, 'adapter'), { baseModelNameOrPath: path.join(dir, 'base') });

    expect(fs.readdirSync(path.join(dir, 'adapter')).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const adapterConfig = JSON.parse(fs.readFileSync(path.join(dir, 'adapter', 'adapter_config.json'), 'utf8'));
    expect(adapterConfig).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 2, lora_alpha: 4, lora_dropout: 0.05, target_modules: ['c_attn', 'mlp.c_fc'], fan_in_fan_out: true, bias: 'none', base_model_name_or_path: path.join(dir, 'base') });
    const { tensors } = decodeSafetensors(new Uint8Array(fs.readFileSync(path.join(dir, 'adapter', 'adapter_model.safetensors'))));
    expect([...tensors.keys()].sort()).toEqual(
      [0, 1].flatMap(i => ['attn.c_attn', 'mlp.c_fc'].flatMap(l => ['lora_A', 'lora_B'].map(f => `base_model.model.transformer.h.${i}.${l}.${f}.weight`))).sort()
    );
    // torch.nn.Linear layout: A (r, in), B (out, r)
    expect(tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight')!.shape).toEqual([2, 8]);
    expect(tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight')!.shape).toEqual([24, 2]);
    expect(tensors.get('base_model.model.transformer.h.1.mlp.c_fc.lora_B.weight')!.shape).toEqual([32, 2]);

    const { model: base } = loadGPT(path.join(dir, 'base'));
    const loaded = loadAdapter(base, path.join(dir, 'adapter'));
    expect(maxAbsDiff(logitsOf(base), adapted)).toBeLessThan(1e-6);
    expect(loaded.peftConfig).toMatchObject({ r: 2, loraAlpha: 4, loraDropout: 0.05 });
    model.dispose();
    base.dispose();
  });

  it('loads a second adapter beside the first under its own name, and switches between them', async () => {
    const a = new GPT(config);
    const first = trainedLora(a, 1);
    const firstLogits = logitsOf(a);
    await saveAdapter(first, path.join(dir, 'first'));
    const b = new GPT(config);
    const second = trainedLora(b, 2);
    const secondLogits = logitsOf(b);
    await saveAdapter(second, path.join(dir, 'second'));

    const model = new GPT(config);
    const peft = loadAdapter(model, path.join(dir, 'first'), 'first');
    loadAdapter(peft, path.join(dir, 'second'), 'second');
    expect(maxAbsDiff(logitsOf(model), firstLogits)).toBeLessThan(1e-6);
    peft.setAdapter('second');
    expect(maxAbsDiff(logitsOf(model), secondLogits)).toBeLessThan(1e-6);
    [a, b, model].forEach(m => m.dispose());
  });

  it('an adapter that does not fit the model is refused with the tensors that differ, and the model is unchanged', async () => {
    const small = new GPT(config);
    await saveAdapter(trainedLora(small), path.join(dir, 'small'));
    const wide = new GPT({ ...config, nEmbd: 12 });
    const names = wide.namedParameters().map(([n]) => n);
    const before = logitsOf(wide);
    expect(() => loadAdapter(wide, path.join(dir, 'small'))).toThrow(/adapter_model\.safetensors does not fit the model: base_model\.model\.transformer\.h\.0\.attn\.c_attn\.lora_A\.weight: file \[2,8\], model \[2,12\]/);
    expect(wide.namedParameters().map(([n]) => n)).toEqual(names);
    expect(maxAbsDiff(logitsOf(wide), before)).toBe(0);
    expect(() => loadAdapter(wide, path.join(dir, 'nowhere'))).toThrow('loadAdapter: no adapter_config.json in');
    small.dispose();
    wide.dispose();
  });
});
