/**
 * Quantize a model through its module tree, as PEFT wraps layers: every Linear a pattern selects is
 * replaced by a QuantizedLinear (`model.replace(name, QuantizedLinear.fromLinear(linear, config))`);
 * no model file changes. By default the Linear layers of the transformer blocks (c_attn, c_proj,
 * c_fc); the embeddings and the tied LM head (which reads the embedding) stay float32.
 */
import * as tf from '@tensorflow/tfjs';
import { Linear } from '../nn/linear';
import { Module, NamePattern } from '../nn/module';
import { QuantConfig } from './config';
import { dequantize, quantize, QuantizedTensor } from './formats';
import { QuantizedLinear } from './quantizedLinear';

export const DEFAULT_TARGET_MODULES: readonly string[] = ['c_attn', 'c_proj', 'c_fc'];

export interface QuantizeModelConfig extends QuantConfig {
  /** Which Linear layers (module names or patterns, see NamePattern); DEFAULT_TARGET_MODULES when left out. */
  targetModules?: NamePattern | NamePattern[];
}

/** What quantizing one layer did. */
export interface QuantizedLayerReport {
  name: string;
  /** The weight's shape, [in, out]. */
  shape: number[];
  /** float32 weight bytes before, packed weight + scales after (biases stay float32 and are left out of both). */
  bytesBefore: number;
  bytesAfter: number;
  /** ||W - Ŵ|| / ||W|| (Frobenius). */
  relativeError: number;
  /** max |W - Ŵ|. */
  maxAbsError: number;
}

/**
 * Replace the selected Linear layers of `model` by QuantizedLinear layers and return a report per
 * layer. Every layer is quantized before any is replaced: a bad config (a pattern that selects no
 * Linear, a group size that does not divide a weight) is an error and leaves the model as it was.
 * The replaced Linear layers are disposed.
 */
export function quantizeModel(model: Module, config: QuantizeModelConfig): QuantizedLayerReport[] {
  const { targetModules, ...quantConfig } = config;
  const patterns = targetModules === undefined ? [...DEFAULT_TARGET_MODULES] : Array.isArray(targetModules) ? targetModules : [targetModules];
  if (patterns.length === 0) throw new Error('quantizeModel: targetModules is empty; name at least one module (e.g. "c_attn")');
  const selected = new Map<string, Linear>();
  for (const pattern of patterns) {
    const found = model.select(pattern);
    const already = found.filter(([, m]) => m instanceof QuantizedLinear);
    if (already.length) throw new Error(`quantizeModel: ${String(pattern)} selects ${already.map(([n]) => n).join(', ')}, already quantized; the model is unchanged`);
    const linears = found.filter((e): e is [string, Linear] => e[1] instanceof Linear);
    if (linears.length === 0) {
      const names = model.namedModules().filter(([, m]) => m instanceof Linear).map(([n]) => n);
      throw new Error(`quantizeModel: ${String(pattern)} selects no Linear layer; the model's Linear layers are ${names.slice(0, 8).join(', ') || 'none'}${names.length > 8 ? `, ... (${names.length} in all)` : ''}. The model is unchanged`);
    }
    for (const [name, linear] of linears) selected.set(name, linear);
  }
  // quantize everything first (errors name the layer), then swap: all or nothing; in the model's order
  const order = model.namedModules().map(([n]) => n);
  const quantized: [string, Linear, QuantizedTensor, Float32Array][] = [];
  for (const [name, linear] of [...selected].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))) {
    const w = linear.weight.dataSync() as Float32Array;
    try {
      quantized.push([name, linear, quantize(w, linear.weight.shape, quantConfig), w]);
    } catch (e) {
      throw new Error(`quantizeModel: ${name}: ${(e as Error).message}. The model is unchanged`);
    }
  }
  return quantized.map(([name, linear, q, w]) => {
    model.replace(name, new QuantizedLinear(q, linear.bias));
    linear.dispose();
    return { name, shape: q.shape, bytesBefore: 4 * w.length, bytesAfter: q.bytes, ...quantizationError(w, q) };
  });
}

/** How far the decoded weight is from the float one: relative (Frobenius) and largest absolute error. */
export function quantizationError(w: Float32Array, q: QuantizedTensor): { relativeError: number; maxAbsError: number } {
  const d = dequantize(q);
  let diff = 0;
  let norm = 0;
  let maxAbsError = 0;
  for (let i = 0; i < w.length; i++) {
    const e = w[i] - d[i];
    diff += e * e;
    norm += w[i] * w[i];
    maxAbsError = Math.max(maxAbsError, Math.abs(e));
  }
  return { relativeError: norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm), maxAbsError };
}

/**
 * The bytes a model's weights take: 4 per number of every float32 parameter (a parameter shared
 * by two modules, such as tied weights, counted once) plus the packed storage of its quantized layers.
 */
export function modelBytes(model: Module): number {
  const seen = new Set<tf.Variable>();
  let bytes = 0;
  for (const [, p] of model.namedParameters()) {
    if (seen.has(p)) continue;
    seen.add(p);
    bytes += 4 * p.size;
  }
  for (const [, m] of model.namedModules()) if (m instanceof QuantizedLinear) bytes += m.storageBytes();
  return bytes;
}
