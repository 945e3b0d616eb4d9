import * as tf from '@tensorflow/tfjs';
import { fastPath, fusedCrossEntropy } from '../device';

/** log p(target) for every row: logits (N, V), targets (N,) -> (N,). */
function targetLogProbs(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  return tf.logSoftmax(logits).mul(tf.oneHot(targets, logits.shape[1])).sum(-1) as tf.Tensor1D;
}

/**
 * Mean cross-entropy between logits (N, V) and integer targets (N,): the negative log of the
 * probability the model gave to the right next token, averaged. ln(V) means "no idea".
 */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  if (fastPath.crossEntropy()) return fusedCrossEntropy(logits, targets); // the same in one kernel (device/fused.ts)
  return targetLogProbs(logits, targets).mean().neg() as tf.Scalar;
}

/**
 * crossEntropy averaged over the rows whose target is >= 0 only: a target of -1 marks padding,
 * which gets no loss (PyTorch's ignore_index). With no target at all the loss is 0.
 */
export function maskedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const real = targets.greaterEqual(0).toFloat(); // (N,) 1 where there is a target
    const picked = targetLogProbs(logits, tf.maximum(targets, tf.scalar(0, 'int32')) as tf.Tensor1D).mul(real); // (N,)
    return picked.sum().div(real.sum().maximum(1)).neg() as tf.Scalar;
  });
}
