import * as tf from '@tensorflow/tfjs';
import { fusedSumOfSquares } from '../device';

/** The global L2 norm of all gradients together: the square root of the sum of every squared entry. */
export function globalNorm(grads: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    // A chain of adds, not tf.addN: on WebGPU addN binds every input at once, and a model has
    // more parameter tensors than a shader stage may bind (8 on some adapters). With the fused
    // kernels, one kernel reads several gradients per dispatch on WebGPU, and all of them in one
    // call on wasm, with the bits of this chain (device/fused.ts).
    const sumOfSquares = fusedSumOfSquares(grads) ?? grads.reduce((acc, g) => acc.add(g.square().sum()), tf.scalar(0));
    return sumOfSquares.sqrt() as tf.Scalar;
  });
}

/**
 * The factor clipping multiplies every gradient by: 1, or maxNorm / norm when the norm is larger
 * (no clipping when maxNorm is 0). In float32 arithmetic, as clipByGlobalNorm computes it on the
 * device: a scale that differs in the last bit sends a long training run down another path.
 */
export function clipScale(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0)) return 1;
  const f32 = Math.fround;
  return Math.min(1, f32(f32(maxNorm) / f32(f32(norm) + f32(1e-6))));
}

/**
 * Scale all gradients together so their global L2 norm is at most maxNorm: one bad batch
 * then cannot throw the weights far. Returns the clipped gradients and the norm before clipping.
 * (The Trainer reads the norm back first and lets AdamW apply the scale: see Trainer.trainStep.)
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): { grads: tf.NamedTensorMap; norm: tf.Scalar } {
  return tf.tidy(() => {
    const names = Object.keys(grads);
    const norm = globalNorm(names.map(n => grads[n]));
    const scale = tf.minimum(1, tf.div(maxNorm, norm.add(1e-6)));
    const clipped: tf.NamedTensorMap = {};
    for (const n of names) clipped[n] = grads[n].mul(scale);
    return { grads: clipped, norm };
  });
}
