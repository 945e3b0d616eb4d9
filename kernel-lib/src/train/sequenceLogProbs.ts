/**
 * How likely a causal LM finds a sequence: the building block of every post-training loss.
 *   - SFT: the mean next-token loss over the answer only (the prompt is in the context, not in the loss)
 *   - DPO: log p(chosen) - log p(rejected), under the policy and under a frozen reference
 *   - PPO / GRPO: per-token log-probs of sampled answers, their ratio to the old policy's, and the KL
 * A `lossMask` (B, T) says which tokens count: 1 for a token whose probability is scored (an
 * answer token), 0 for the rest (prompt, padding). Token t is scored from the tokens before it,
 * so the first token of a sequence is never scored.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelInput } from '../nn/embedding';
import { crossEntropy, targetLogProbs } from '../nn/loss';

/** What the functions here need of a model: logits (B, T, V) for ids (B, T). GPT is one. */
export interface CausalLM {
  forward(input: ModelInput): { logits: tf.Tensor };
}

export interface SequenceLogProbs {
  /** log p(ids[t] | ids[<t]) for t = 1..T-1, (B, T-1); 0 where the mask leaves the token out. */
  perToken: tf.Tensor2D;
  /** Their sum per sequence: log p of the scored tokens, (B,). */
  sum: tf.Tensor1D;
  /** How many tokens each sequence has scored, (B,). */
  count: tf.Tensor1D;
}

function checkShapes(where: string, ids: tf.Tensor, lossMask: tf.Tensor): void {
  if (ids.rank !== 2 || ids.shape[1]! < 2) throw new Error(`${where}: ids must have shape (B, T) with T >= 2, got [${ids.shape}]`);
  if (lossMask.shape.join() !== ids.shape.join()) throw new Error(`${where}: lossMask must have the shape of ids [${ids.shape}], got [${lossMask.shape}]`);
}

/** ids[:, 1:] where lossMask[:, 1:] is 1, else -1 (no loss): the targets of positions 0..T-2, (B, T-1). */
export function maskedTargets(ids: tf.Tensor, lossMask: tf.Tensor): tf.Tensor2D {
  checkShapes('maskedTargets', ids, lossMask);
  return tf.tidy(() => {
    const [B, T] = ids.shape as [number, number];
    const next = ids.slice([0, 1], [B, T - 1]).toInt();
    const scored = lossMask.slice([0, 1], [B, T - 1]).greater(0);
    return tf.where(scored, next, tf.fill([B, T - 1], -1, 'int32')) as tf.Tensor2D;
  });
}

/** The logits of positions 0..T-2 (each predicts the next token), as rows (B (T-1), V). */
function predictingLogits(model: CausalLM, ids: tf.Tensor): tf.Tensor2D {
  const { logits } = model.forward(ids); // (B, T, V)
  const [B, T, V] = logits.shape as [number, number, number];
  return logits.slice([0, 0, 0], [B, T - 1, V]).reshape([B * (T - 1), V]) as tf.Tensor2D;
}

/**
 * log p of each scored token of ids (B, T) under `model`, and per sequence their sum and count.
 * Differentiable: DPO's and PPO's losses are built from it.
 */
export function sequenceLogProbs(model: CausalLM, ids: tf.Tensor, lossMask: tf.Tensor): SequenceLogProbs {
  checkShapes('sequenceLogProbs', ids, lossMask);
  const [B, T] = ids.shape as [number, number];
  return tf.tidy(() => {
    const targets = maskedTargets(ids, lossMask).reshape([-1]) as tf.Tensor1D; // (B (T-1),)
    const scored = targets.greaterEqual(0).toFloat();
    const logp = targetLogProbs(predictingLogits(model, ids), tf.maximum(targets, tf.scalar(0, 'int32')) as tf.Tensor1D).mul(scored); // (B (T-1),)
    const perToken = logp.reshape([B, T - 1]) as tf.Tensor2D;
    return { perToken, sum: perToken.sum(1) as tf.Tensor1D, count: scored.reshape([B, T - 1]).sum(1) as tf.Tensor1D };
  });
}

/**
 * The mean next-token loss over the scored tokens of ids (B, T): supervised fine-tuning's loss
 * when the mask covers the answers. One fused kernel where the backend has it (nn/loss.ts), the
 * same number as -sum(sequenceLogProbs) / count.
 */
export function maskedNextTokenLoss(model: CausalLM, ids: tf.Tensor, lossMask: tf.Tensor): tf.Scalar {
  checkShapes('maskedNextTokenLoss', ids, lossMask);
  return tf.tidy(() => crossEntropy(predictingLogits(model, ids), maskedTargets(ids, lossMask).reshape([-1]) as tf.Tensor1D));
}
