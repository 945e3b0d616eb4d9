import * as tf from '@tensorflow/tfjs';

/**
 * Scale all gradients together so their global L2 norm is at most maxNorm: one bad batch
 * then cannot throw the weights far. Returns the clipped gradients and the norm before clipping.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): { grads: tf.NamedTensorMap; norm: tf.Scalar } {
  return tf.tidy(() => {
    const names = Object.keys(grads);
    // A chain of adds, not tf.addN: on WebGPU addN binds every input at once, and a model has
    // more parameter tensors than a shader stage may bind (8 on some adapters).
    const sumOfSquares = names.reduce((acc, n) => acc.add(grads[n].square().sum()), tf.scalar(0));
    const norm = sumOfSquares.sqrt() as tf.Scalar;
    const scale = tf.minimum(1, tf.div(maxNorm, norm.add(1e-6)));
    const clipped: tf.NamedTensorMap = {};
    for (const n of names) clipped[n] = grads[n].mul(scale);
    return { grads: clipped, norm };
  });
}
