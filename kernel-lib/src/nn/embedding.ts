import * as tf from '@tensorflow/tfjs';
import { Params } from './params';

/**
 * Rows of `table` for each id: (N,) int32 ids -> (N, D).
 * Forward is a gather. Its gradient adds each upstream row into the row of its id; tfjs
 * does that with UnsortedSegmentSum, which the wasm backend lacks, so we write it as
 * oneHot(ids)^T @ dy: the same sum, as one matmul that every backend has.
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [t, i, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    save([i]);
    return {
      value: tf.gather(t, i as tf.Tensor1D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const oneHot = tf.oneHot(saved[0] as tf.Tensor1D, t.shape[0]).toFloat(); // (N, V)
        return [tf.matMul(oneHot, dy as tf.Tensor2D, true, false), tf.zerosLike(saved[0])];
      }
    };
  });
  return lookup(table, ids) as tf.Tensor2D;
}

/** A learned vector per token id (or per position). */
export class Embedding {
  readonly weight: tf.Variable;

  constructor(params: Params, name: string, count: number, dim: number, std = 0.02) {
    this.weight = params.randn(`${name}.weight`, [count, dim], std);
  }

  /** ids (B, T) int32 -> (B, T, D) */
  forward(ids: tf.Tensor): tf.Tensor {
    const dim = this.weight.shape[1];
    return embeddingLookup(this.weight as tf.Tensor2D, ids.reshape([-1]) as tf.Tensor1D).reshape([...ids.shape, dim] as number[]);
  }
}
