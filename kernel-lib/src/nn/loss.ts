import * as tf from '@tensorflow/tfjs';
import { fused, fusedCrossEntropy } from '../kernels/fused';

/**
 * Mean cross-entropy between logits (N, V) and integer targets (N,): the negative log of the
 * probability the model gave to the right next token, averaged. ln(V) means "no idea".
 */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  if (fused.active) return fusedCrossEntropy(logits, targets); // the same in one kernel (kernels/fused.ts)
  const logProbs = tf.logSoftmax(logits); // (N, V)
  const picked = logProbs.mul(tf.oneHot(targets, logits.shape[1])).sum(-1); // (N,) log p(target)
  return picked.mean().neg() as tf.Scalar;
}
