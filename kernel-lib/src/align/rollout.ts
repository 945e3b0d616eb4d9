/**
 * A rollout as tensors: the prompts and the answers the policy wrote to them (generateBatch), made
 * into the (B, T) answer-token tensors PPO's and GRPO's losses read (ppo.ts, grpo.ts).
 *
 * Each row is prompt + answer, right-padded (pairs.ts's paddedRows): in a causal model the padding
 * after a text changes nothing before it, so one forward of the batch gives every row's log-probs
 * as a forward of that row alone would. Answers start at different places (prompts differ in
 * length); `positions` says, for answer token t of row b, which position predicts it
 * (promptLength_b - 1 + t), and answerAligned gathers per-position numbers (log-probs, values) there.
 */
import * as tf from '@tensorflow/tfjs';
import { PolicyWithValue } from '../models/policyWithValue';
import { CausalLM, sequenceLogProbs } from '../train/sequenceLogProbs';
import { paddedRows } from './pairs';

/**
 * What an answer is worth (TRL's reward_funcs): one number per completion of each prompt, from
 * a verifier (is the sum right?) or a reward model (align/reward.ts's rewardsOf).
 */
export type RewardFunc = (prompts: number[][], completions: number[][]) => number[] | Promise<number[]>;

/** Prompts (token ids) to train on, and held-out prompts to judge the policy on. */
export interface PromptData {
  train: number[][];
  validation: number[][];
}

export interface RolloutBatch {
  /** prompt + answer per row, right-padded: (B, L) int32. */
  ids: tf.Tensor2D;
  /** 1 on each row's answer tokens, (B, L): the lossMask of sequenceLogProbs. */
  lossMask: tf.Tensor2D;
  /** 1 for each answer's tokens, 0 after its end: (B, T), T the longest answer. */
  answerMask: tf.Tensor2D;
  /** The position (0 .. L-2) whose output predicts answer token t of row b: (B, T) int32. */
  positions: tf.Tensor2D;
}

/** The batch of prompts[b] + answers[b] (token ids; every answer at least one token). */
export function rolloutBatch(prompts: number[][], answers: number[][], padId = 0): RolloutBatch {
  if (prompts.length === 0 || prompts.length !== answers.length) throw new Error(`rolloutBatch: need one answer per prompt, got ${prompts.length} prompts and ${answers.length} answers`);
  const empty = prompts.findIndex((p, b) => p.length === 0 || answers[b].length === 0);
  if (empty >= 0) throw new Error(`rolloutBatch: row ${empty} has ${prompts[empty].length} prompt and ${answers[empty].length} answer tokens; each needs at least one`);
  const B = prompts.length;
  const T = Math.max(...answers.map(a => a.length));
  const L = Math.max(...prompts.map((p, b) => p.length + answers[b].length));
  const { ids, attentionMask, lossMask } = paddedRows(prompts.map((p, b) => [...p, ...answers[b]]), prompts.map(p => p.length), padId);
  attentionMask.dispose();
  const mask = new Float32Array(B * T);
  const positions = new Int32Array(B * T);
  answers.forEach((a, b) => {
    mask.fill(1, b * T, b * T + a.length);
    for (let t = 0; t < T; t++) positions[b * T + t] = Math.min(prompts[b].length - 1 + t, L - 2); // padding: any valid position, masked out
  });
  return { ids, lossMask, answerMask: tf.tensor2d(mask, [B, T]), positions: tf.tensor2d(positions, [B, T], 'int32') };
}

export function disposeRolloutBatch(batch: RolloutBatch): void {
  tf.dispose([batch.ids, batch.lossMask, batch.answerMask, batch.positions]);
}

/** Per-position numbers x (B, P), P >= L - 1, at each answer token's predicting position: (B, T), 0 after each answer's end. */
export function answerAligned(x: tf.Tensor, batch: RolloutBatch): tf.Tensor2D {
  const [B, L] = batch.ids.shape;
  if (x.rank !== 2 || x.shape[0] !== B || x.shape[1]! < L - 1) throw new Error(`answerAligned: x must have shape (B ${B}, at least ${L - 1}), got [${x.shape}]`);
  return tf.tidy(() => {
    const pick = tf.oneHot(batch.positions, x.shape[1]!).toFloat(); // (B, T, P): a one at each answer token's position
    return tf.matMul(pick, x.expandDims(2)).squeeze([2]).mul(batch.answerMask) as tf.Tensor2D; // (B, T)
  });
}

/** log p of every answer token under `model`, (B, T), 0 after each answer's end. Differentiable. */
export function answerLogProbs(model: CausalLM, batch: RolloutBatch): tf.Tensor2D {
  return tf.tidy(() => answerAligned(sequenceLogProbs(model, batch.ids, batch.lossMask).perToken, batch));
}

/**
 * PPO's policy and value head in one pass: the answer tokens' log-probs and the value at the
 * position before each (the state from which the token was chosen, as TRL reads them), (B, T) each.
 */
export function answerLogProbsAndValues(model: PolicyWithValue, batch: RolloutBatch): { logp: tf.Tensor2D; values: tf.Tensor2D } {
  return tf.tidy(() => {
    const { logits, values } = model.forward(batch.ids);
    const logp = answerLogProbs({ forward: () => ({ logits }) }, batch); // the logits just computed
    return { logp, values: answerAligned(values, batch) };
  });
}
