/**
 * What fine-tuning a model costs in memory, counted from its module tree: the weights (trainable,
 * frozen in float32, frozen in a packed quantized form), and what only trainable numbers need, a
 * gradient each and AdamW's two moments (m and v) each. Activations are left out: they depend on
 * the batch, not on the method (except prompt and prefix tuning, which make every text longer).
 */
import type { Module } from '../nn/module';

/** A layer that stores its weight packed (quant/'s QuantizedLinear): its bytes, and the numbers it stands for. */
export interface PackedLayer {
  readonly inFeatures: number;
  readonly outFeatures: number;
  storageBytes(): number;
}

export function isPackedLayer(m: unknown): m is PackedLayer {
  const layer = m as Partial<PackedLayer>;
  return typeof layer.storageBytes === 'function' && typeof layer.inFeatures === 'number' && typeof layer.outFeatures === 'number';
}

export interface TrainingMemory {
  /** Numbers that train, frozen float32 numbers, and frozen numbers stored packed. */
  numbers: { trainable: number; frozen: number; quantized: number; total: number };
  /** Bytes of the weights: trainable (float32), frozen float32, frozen packed. */
  weights: { trainable: number; frozen: number; quantized: number };
  /** One float32 gradient per trainable number. */
  gradients: number;
  /** AdamW's m and v: two float32 numbers per trainable number. */
  optimizer: number;
  /** All of the above, in bytes. */
  total: number;
}

const FLOAT32 = 4;

export function trainingMemory(model: Module): TrainingMemory {
  const { trainable, frozen } = model.countParameters();
  let quantized = 0;
  let quantizedBytes = 0;
  for (const [, m] of model.namedModules()) {
    if (!isPackedLayer(m)) continue;
    quantized += m.inFeatures * m.outFeatures;
    quantizedBytes += m.storageBytes();
  }
  const weights = { trainable: FLOAT32 * trainable, frozen: FLOAT32 * frozen, quantized: quantizedBytes };
  const gradients = FLOAT32 * trainable;
  const optimizer = 2 * FLOAT32 * trainable;
  return {
    numbers: { trainable, frozen, quantized, total: trainable + frozen + quantized },
    weights,
    gradients,
    optimizer,
    total: weights.trainable + weights.frozen + weights.quantized + gradients + optimizer
  };
}
