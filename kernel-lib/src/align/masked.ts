/**
 * Means over the tokens that count. A batch of answers is padded to one length; a loss or a
 * statistic over it must leave the padding out: `mask` is 1 for an answer's tokens, 0 for padding
 * (TRL's masked_mean, masked_var, masked_whiten). And stopGradient, PyTorch's detach().
 */
import * as tf from '@tensorflow/tfjs';

/**
 * x's values, through which no gradient flows (PyTorch's x.detach()): the old policy's log-probs
 * and the advantages are numbers the loss reads, not things it may change.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const detached = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({ value: (args[0] as tf.Tensor).clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) }));
  return detached(x) as T;
}

function checkMask(where: string, x: tf.Tensor, mask: tf.Tensor): void {
  if (x.shape.join() !== mask.shape.join()) throw new Error(`${where}: values [${x.shape}] and mask [${mask.shape}] must have the same shape`);
}

/** sum(x * mask) / sum(mask): over everything, or along `axis` (e.g. 1: per sequence of a (B, T) batch). */
export function maskedMean(x: tf.Tensor, mask: tf.Tensor, axis?: number): tf.Tensor {
  checkMask('maskedMean', x, mask);
  return tf.tidy(() => {
    const m = mask.toFloat();
    return x.mul(m).sum(axis).div(m.sum(axis));
  });
}

/** The variance of the masked-in values, with Bessel's correction (n / (n - 1)), as TRL's masked_var; 0 for a single value. */
export function maskedVar(x: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  checkMask('maskedVar', x, mask);
  return tf.tidy(() => {
    const n = mask.toFloat().sum();
    const centered = x.sub(maskedMean(x, mask));
    return maskedMean(centered.square(), mask).mul(n.div(n.sub(1).maximum(1))) as tf.Scalar;
  });
}

/**
 * (x - mean) / sqrt(var + 1e-8) over the masked-in values, 0 at the padding: PPO's advantages
 * whitened, so that one batch's step size does not depend on the scale of its rewards.
 */
export function maskedWhiten(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  checkMask('maskedWhiten', x, mask);
  return tf.tidy(() => x.sub(maskedMean(x, mask)).mul(tf.rsqrt(maskedVar(x, mask).add(1e-8))).mul(mask.toFloat()));
}
