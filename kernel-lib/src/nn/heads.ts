/**
 * Heads: what turns a backbone's hidden states (B, T, C) into an answer. A language model's head
 * scores every vocabulary entry; a classifier's, a reward model's or a value head's are small
 * layers on top of the same hidden states (added by fine-tuning and alignment).
 */
import * as tf from '@tensorflow/tfjs';
import { Embedding } from './embedding';
import { Init } from './init';
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

/** How a classifier turns a sequence's hidden states into one vector. */
export type Pooling = 'last' | 'mean';
export const POOLINGS: readonly Pooling[] = ['last', 'mean'];

/**
 * A sequence-classification head (Hugging Face's `score`): one vector per sequence, then one
 * logit per class, or a single number (numLabels 1: a reward model's score, align/). 'last'
 * reads the hidden state of the last real token, the only one that has seen the whole text in a
 * causal model (GPT2ForSequenceClassification does this); 'mean' averages the real tokens' states. The weight is (numLabels, C), PyTorch's Linear layout,
 * without a bias, as in GPT2ForSequenceClassification.
 */
export class ClassificationHead extends Module {
  readonly weight: tf.Variable;

  constructor(init: Init, readonly nEmbd: number, readonly numLabels: number, readonly pooling: Pooling) {
    super();
    if (!Number.isInteger(numLabels) || numLabels < 1) throw new Error(`ClassificationHead: numLabels must be a positive integer, got ${numLabels}`);
    if (!POOLINGS.includes(pooling)) throw new Error(`ClassificationHead: pooling must be ${POOLINGS.map(p => `'${p}'`).join(' or ')}, got ${JSON.stringify(pooling)}`);
    this.weight = this.addParameter('weight', init.randn([numLabels, nEmbd], 0.02));
  }

  /** hidden (B, T, C) and mask (B, T) of 1 for real tokens, 0 for padding -> one vector per sequence (B, C). */
  pool(hidden: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const m = mask.toFloat();
      if (this.pooling === 'mean') return hidden.mul(m.expandDims(2)).sum(1).div(m.sum(1, true)); // (B, C)
      // 'last': a one-hot row at the last real token picks its vector (and takes its gradient)
      const T = hidden.shape[1]!;
      const last = tf.oneHot(m.sum(1).sub(1).toInt(), T).toFloat(); // (B, T)
      return tf.matMul(last.expandDims(1), hidden).squeeze([1]); // (B, 1, T) x (B, T, C) -> (B, C)
    });
  }

  /** hidden (B, T, C), mask (B, T) -> logits (B, numLabels) */
  forward(hidden: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.matMul(this.pool(hidden, mask), this.weight, false, true));
  }
}
