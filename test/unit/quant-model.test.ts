/**
 * quantizeModel, modelBytes, saveQuantized / loadQuantized on the course's base model.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBaseModel } from '../../kernel-lib/src/checkpoint/base';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { Linear } from '../../kernel-lib/src/nn/linear';
import { Module } from '../../kernel-lib/src/nn/module';
import { getPeftModel } from '../../kernel-lib/src/peft';
import { loadQuantized, modelBytes, QuantizedLinear, quantizeModel, saveQuantized } from '../../kernel-lib/src/quant';
import { onCpu } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quant-'));
beforeAll(onCpu);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const BLOCK_LINEARS = /^transformer\.h\.\d\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)$/;

/** Module.dispose frees parameters; a QuantizedLinear's packed tensors are freed by its own dispose. */
function disposeAll(model: Module): void {
  for (const [, m] of model.namedModules()) if (m instanceof QuantizedLinear) m.dispose();
  model.dispose();
}

function names(model: Module, type: typeof Linear | typeof QuantizedLinear): string[] {
  return model.namedModules().filter(([, m]) => m instanceof type).map(([n]) => n);
}

const parametersBytes = (model: Module) => model.namedParameters().reduce((a, [, p]) => a + 4 * p.size, 0);

describe('quantizeModel on the base model', () => {
  it('NF4 replaces every Linear of the 4 blocks (c_attn, c_proj, c_fc), not the embeddings; the block linears take at most 0.3x their float32 bytes', () => {
    const before = tf.memory().numTensors;
    const { model } = loadBaseModel();
    const floatBytes = modelBytes(model);
    expect(floatBytes).toBe(parametersBytes(model));
    const linears = names(model, Linear);
    expect(linears.length).toBe(16);
    expect(linears.every(n => BLOCK_LINEARS.test(n))).toBe(true);
    const wte = model.getParameter('transformer.wte.weight').dataSync().slice();

    const report = quantizeModel(model, { method: 'nf4' });

    expect(report.map(r => r.name)).toEqual(linears);
    expect(names(model, QuantizedLinear)).toEqual(linears);
    expect(names(model, Linear)).toEqual([]);
    expect(Array.from(model.getParameter('transformer.wte.weight').dataSync())).toEqual(Array.from(wte));
    const d = model.config.nEmbd;
    const shapes = Object.fromEntries(report.map(r => [r.name.replace(/^transformer\.h\.\d\./, ''), r.shape]));
    expect(shapes).toEqual({ 'attn.c_attn': [d, 3 * d], 'attn.c_proj': [d, d], 'mlp.c_fc': [d, 4 * d], 'mlp.c_proj': [4 * d, d] });
    const floatLinear = report.reduce((a, r) => a + r.bytesBefore, 0);
    const nf4Linear = report.reduce((a, r) => a + r.bytesAfter, 0);
    expect(floatLinear).toBe(4 * 4 * 12 * d * d); // 4 blocks x 12 d^2 weights x 4 bytes
    // 4 bits + 8 bits per 64 + a float32 per 256 blocks and one offset per layer
    const expected = report.reduce((a, r) => {
      const n = r.shape[0] * r.shape[1];
      return a + n / 2 + n / 64 + 4 * Math.ceil(n / 64 / 256) + 4;
    }, 0);
    expect(nf4Linear).toBe(expected);
    expect(nf4Linear / floatLinear).toBeLessThanOrEqual(0.3);
    for (const r of report) {
      expect(r.relativeError).toBeGreaterThan(0.01); // 4 bits do lose something
      expect(r.relativeError).toBeLessThan(0.15);
      expect(r.maxAbsError).toBeGreaterThan(0);
    }
    // the model's bytes: float32 parameters (biases of the quantized layers included) + packed storage
    expect(modelBytes(model)).toBe(parametersBytes(model) + nf4Linear);
    expect(floatBytes - modelBytes(model)).toBe(floatLinear - nf4Linear);
    console.log(`base model: float32 ${floatBytes} B, NF4 ${modelBytes(model)} B; block linears ${floatLinear} -> ${nf4Linear} B (${(nf4Linear / floatLinear).toFixed(4)}), relative error ${Math.min(...report.map(r => r.relativeError)).toFixed(4)}..${Math.max(...report.map(r => r.relativeError)).toFixed(4)}`);
    // the replaced Linear layers were freed; nothing is left once the model is
    disposeAll(model);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the logits move by under 1% with int8 per channel, under 20% with int4 and nf4 (relative L2, same prompt)', () => {
    const ids = tf.tensor2d([[10, 20, 30, 40, 50, 60, 70, 80]], [1, 8], 'int32');
    const logitsOf = (model: GPT) => tf.tidy(() => model.forward(ids).logits.dataSync() as Float32Array);
    const { model: reference } = loadBaseModel();
    const float = logitsOf(reference);
    disposeAll(reference);
    const errors: Record<string, number> = {};
    for (const method of ['int8-channel', 'int4', 'nf4'] as const) {
      const { model } = loadBaseModel();
      quantizeModel(model, { method });
      const got = logitsOf(model);
      let diff = 0;
      let norm = 0;
      for (let i = 0; i < got.length; i++) (diff += (got[i] - float[i]) ** 2), (norm += float[i] ** 2);
      errors[method] = Math.sqrt(diff / norm);
      disposeAll(model);
    }
    console.log('relative logit error', errors);
    expect(errors['int8-channel']).toBeLessThan(0.01);
    expect(errors['int8-channel']).toBeLessThan(errors.nf4);
    expect(errors.nf4).toBeLessThan(0.2);
    expect(errors.int4).toBeLessThan(0.2);
    ids.dispose();
  });

  it('a pattern that selects no Linear, or a group size that does not divide a layer, is an error and changes nothing', () => {
    const { model } = loadBaseModel();
    const params = model.namedParameters().length;
    expect(() => quantizeModel(model, { method: 'nf4', targetModules: ['c_attn', 'q_proj'] })).toThrow(
      'quantizeModel: q_proj selects no Linear layer; the model\'s Linear layers are transformer.h.0.attn.c_attn, transformer.h.0.attn.c_proj, transformer.h.0.mlp.c_fc, transformer.h.0.mlp.c_proj'
    );
    expect(() => quantizeModel(model, { method: 'int4', groupSize: 7 })).toThrow('quantizeModel: transformer.h.0.attn.c_attn: int4: groupSize 7 does not divide the 76800 weights of shape [160,480]. The model is unchanged');
    expect(() => quantizeModel(model, { method: 'fp8' as never })).toThrow('quantization method "fp8" is unknown');
    expect(names(model, QuantizedLinear)).toEqual([]);
    expect(names(model, Linear).length).toBe(16);
    expect(model.namedParameters().length).toBe(params);
    quantizeModel(model, { method: 'int8', targetModules: /h\.0\.attn\.c_attn$/ });
    expect(names(model, QuantizedLinear)).toEqual(['transformer.h.0.attn.c_attn']);
    expect(() => quantizeModel(model, { method: 'int8', targetModules: 'c_attn' })).toThrow('already quantized; the model is unchanged');
    disposeAll(model);
  });
});

describe('saveQuantized / loadQuantized', () => {
  it('writes U8 codes and the quantization_config; the file is the packed bytes + float32 parameters + the header; the loaded model gives the same logits', async () => {
    const { model } = loadBaseModel();
    quantizeModel(model, { method: 'nf4' });
    const folder = path.join(tmp, 'nf4');
    await saveQuantized(model, folder);
    const config = JSON.parse(fs.readFileSync(path.join(folder, 'config.json'), 'utf8'));
    expect(config.quantization_config).toMatchObject({
      quant_method: 'llm_lab', llm_lab_method: 'nf4', load_in_4bit: true, bnb_4bit_quant_type: 'nf4', bnb_4bit_use_double_quant: true, blocksize: 64
    });
    expect(config.quantization_config.quantized_modules.length).toBe(16);
    const file = fs.readFileSync(path.join(folder, 'model.safetensors'));
    const headerLength = Number(file.readBigUint64LE(0));
    const header = JSON.parse(file.subarray(8, 8 + headerLength).toString());
    expect(header['transformer.h.0.attn.c_attn.weight'].dtype).toBe('U8');
    expect(header['transformer.h.0.attn.c_attn.weight.absmax'].dtype).toBe('U8');
    expect(header['transformer.h.0.attn.c_attn.weight.nested_absmax'].dtype).toBe('F32');
    expect(file.length).toBe(8 + headerLength + modelBytes(model));

    const loaded = loadQuantized(folder);
    const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], 'int32');
    const a = tf.tidy(() => model.forward(ids).logits.dataSync());
    const b = tf.tidy(() => loaded.forward(ids).logits.dataSync());
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(modelBytes(loaded)).toBe(modelBytes(model));
    ids.dispose();
    disposeAll(model);
    disposeAll(loaded);
  });

  it('int8-zeropoint round-trips too (U8 zero-points), and a model with nothing quantized is refused, writing nothing', async () => {
    const { model } = loadBaseModel();
    const folder = path.join(tmp, 'zp');
    await expect(saveQuantized(model, folder)).rejects.toThrow('saveQuantized: the model has no quantized layer');
    expect(fs.existsSync(folder)).toBe(false);
    quantizeModel(model, { method: 'int8-zeropoint', targetModules: 'c_fc' });
    await saveQuantized(model, folder);
    const loaded = loadQuantized(folder);
    const ids = tf.tensor2d([[7, 8, 9]], [1, 3], 'int32');
    expect(Array.from(tf.tidy(() => loaded.forward(ids).logits.dataSync()))).toEqual(Array.from(tf.tidy(() => model.forward(ids).logits.dataSync())));
    expect(names(loaded, QuantizedLinear)).toEqual(['transformer.h.0.mlp.c_fc', 'transformer.h.1.mlp.c_fc', 'transformer.h.2.mlp.c_fc', 'transformer.h.3.mlp.c_fc']);
    ids.dispose();
    disposeAll(model);
    disposeAll(loaded);
  });
});

describe('QLoRA: LoRA on a quantized base', () => {
  it('trains only the adapters; gradients reach the adapters of layer 0 through the quantized layers above it', () => {
    const before = tf.memory().numTensors;
    const { model } = loadBaseModel();
    quantizeModel(model, { method: 'nf4' });
    getPeftModel(model, { peftType: 'LORA', r: 4, targetModules: ['c_attn'] });
    const trainable = model.trainableParameters().map(([n]) => n);
    expect(trainable.length).toBeGreaterThan(0);
    expect(trainable.every(n => n.includes('lora_'))).toBe(true);
    // B starts at zero, so A's gradient would be zero: give B a value to see the flow to every layer
    for (const [n, p] of model.trainableParameters()) if (n.includes('lora_B')) tf.tidy(() => p.assign(tf.onesLike(p).mul(0.01)));
    const ids = tf.tensor2d([[3, 14, 15, 92, 65, 35, 89, 79]], [1, 8], 'int32');
    const { value, grads } = tf.variableGrads(() => model.loss(ids, ids), model.trainableParameters().map(([, p]) => p));
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    const named = new Map(model.trainableParameters().map(([n, p]) => [n, grads[p.name]]));
    const layer0A = [...named.keys()].find(n => n.startsWith('transformer.h.0.') && n.includes('lora_A'))!;
    expect(layer0A).toBeDefined();
    expect(tf.tidy(() => named.get(layer0A)!.abs().max().dataSync()[0])).toBeGreaterThan(0);
    expect(Object.keys(grads).length).toBe(trainable.length);
    tf.dispose([value, ids, ...Object.values(grads)]);
    disposeAll(model);
    expect(tf.memory().numTensors).toBe(before);
  });
});
