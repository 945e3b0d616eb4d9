import * as tf from '@tensorflow/tfjs';
import { Init } from './init';
import { Module } from './module';

/**
 * Rows of `table` for each id: (N,) int32 ids -> (N, D). Forward is a gather; its gradient adds
 * each upstream row into the row of its id (UnsortedSegmentSum: device/fused.ts supplies it
 * for the wasm backend, which lacks it, and device/cpuSegmentSum.ts a fast one for cpu).
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  return tf.gather(table, ids);
}

/** A learned vector per token id (or per position). */
export class Embedding extends Module {
  /** (count, dim) */
  weight: tf.Variable;

  constructor(init: Init, count: number, readonly dim: number, std = 0.02) {
    super();
    this.weight = this.addParameter('weight', init.randn([count, dim], std));
  }

  /** How many vectors (ids) the table holds. */
  get count(): number {
    return this.weight.shape[0]!;
  }

  /**
   * Put `weight` (count', dim) in place of the table, under the same name (a vocabulary grown for
   * added tokens, finetune/resize.ts); it trains or stays frozen as the old one did. Whatever reads
   * `embedding.weight` (the tied LM head) reads the new table. Returns the old variable, for the
   * caller to dispose.
   */
  replaceWeight(weight: tf.Variable): tf.Variable {
    if (weight.rank !== 2 || weight.shape[1] !== this.dim) throw new Error(`Embedding.replaceWeight: the new weight must have shape (count, dim ${this.dim}), got [${weight.shape}]`);
    weight.trainable = this.weight.trainable;
    const old = this.replaceParameter('weight', weight);
    this.weight = weight;
    return old;
  }

  /** ids (B, T) int32 -> (B, T, D) */
  forward(ids: tf.Tensor): tf.Tensor {
    return embeddingLookup(this.weight as tf.Tensor2D, ids.reshape([-1]) as tf.Tensor1D).reshape([...ids.shape, this.dim] as number[]);
  }
}

/**
 * What a model reads at its input: token ids (B, T), or vectors (B, T, C) in their place
 * (`inputsEmbeds`, as in Hugging Face: prompt tuning puts learned vectors before the text's).
 */
export type ModelInput = tf.Tensor | { inputsEmbeds: tf.Tensor };

/**
 * The vectors a transformer starts from: token embeddings (or the given `inputsEmbeds`) plus, with
 * learned positions, the embedding of each position from `offset` on. (B, T) ids -> (B, T, C).
 */
export function embedInput(wte: Embedding, wpe: Embedding | null, input: ModelInput, offset = 0): tf.Tensor {
  const tokens = input instanceof tf.Tensor ? wte.forward(input) : input.inputsEmbeds; // (B, T, C)
  if (!wpe) return tokens;
  const T = tokens.shape[1]!;
  return tokens.add(wpe.forward(tf.range(offset, offset + T, 1, 'int32').reshape([1, T]))); // + (1, T, C)
}
