/**
 * Heads: what turns a backbone's hidden states (B, T, C) into an answer. A language model's head
 * scores every vocabulary entry; a classifier's, a reward model's or a value head's are small
 * layers on top of the same hidden states (added by fine-tuning and alignment).
 */
import * as tf from '@tensorflow/tfjs';
import { Embedding } from './embedding';
import { Module } from './module';

/** hidden (B, T, C) and a table (V, C) -> scores (B, T, V): each vector's dot product with every row. */
export function tiedLogits(hidden: tf.Tensor, table: tf.Tensor): tf.Tensor {
  const [B, T, C] = hidden.shape;
  const V = table.shape[0]!;
  return tf.matMul(hidden.reshape([B * T, C]), table, false, true).reshape([B, T, V]);
}

/**
 * The language-model head tied to the token embedding (GPT-2, BERT, T5): the logit of token v is
 * the hidden vector's dot product with v's own embedding. It owns no parameter (the embedding is
 * the backbone's), so it adds nothing to the parameter count or the checkpoint.
 */
export class TiedLMHead extends Module {
  constructor(readonly embedding: Embedding) {
    super();
  }

  /** hidden (B, T, C) -> logits (B, T, V) */
  forward(hidden: tf.Tensor): tf.Tensor {
    return tiedLogits(hidden, this.embedding.weight);
  }
}

/**
 * Sampling from NaN logits still returns a token (greedy picks id 0), so a broken model would
 * merely write odd text; generation stops with the reason instead. `logits` is one row (V);
 * `token` counts the generated tokens from 1.
 */
export function checkLogitsFinite(logits: ArrayLike<number>, token: number, caller: string): void {
  for (let i = 0; i < logits.length; i++) {
    if (!Number.isFinite(logits[i])) {
      throw new Error(`${caller}: the logits at token ${token} are not finite (${logits[i]} for id ${i}): the model's weights are broken — reload a checkpoint or retrain`);
    }
  }
}
