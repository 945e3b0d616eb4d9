import * as tf from '@tensorflow/tfjs';
import { fastPath, fusedCrossEntropy } from '../device';

/** log p(target) for every row: logits (N, V), targets (N,) -> (N,). */
export function targetLogProbs(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  return tf.logSoftmax(logits).mul(tf.oneHot(targets, logits.shape[1])).sum(-1) as tf.Tensor1D;
}

/**
 * Mean cross-entropy between logits (N, V) and integer targets (N,): the negative log of the
 * probability the model gave to the right next token, averaged. ln(V) means "no idea".
 * A target of -1 marks a row without a target (padding, a prompt token), which gets no loss:
 * the mean is over the other rows (PyTorch's ignore_index), and 0 when no row has a target.
 */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  if (fastPath.crossEntropy()) return fusedCrossEntropy(logits, targets); // the same in one kernel (device/fused.ts)
  return tf.tidy(() => {
    const real = targets.greaterEqual(0).toFloat(); // (N,) 1 where there is a target
    const picked = targetLogProbs(logits, tf.maximum(targets, tf.scalar(0, 'int32')) as tf.Tensor1D).mul(real); // (N,)
    return picked.sum().div(real.sum().maximum(1)).neg() as tf.Scalar;
  });
}

/** crossEntropy, by the name that says its targets have -1s. */
export const maskedCrossEntropy = crossEntropy;
