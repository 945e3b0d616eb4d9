import * as tf from '@tensorflow/tfjs';
import { Params } from './params';

/**
 * Rows of `table` for each id: (N,) int32 ids -> (N, D). Forward is a gather; its gradient adds
 * each upstream row into the row of its id (UnsortedSegmentSum: device/fused.ts supplies it
 * for the wasm backend, which lacks it, and device/cpuSegmentSum.ts a fast one for cpu).
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  return tf.gather(table, ids);
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
