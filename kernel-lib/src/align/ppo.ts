/**
 * The math of RLHF with PPO (Proximal Policy Optimization), in Hugging Face TRL's vocabulary.
 *
 * One iteration: the policy writes answers to a batch of prompts (a rollout); the reward model
 * scores each whole answer; every token of it is then a step of an episode whose reward is
 *   -klCoef * KL(token)                  at every token (stay near the reference model)
 *   + score                              at the answer's last token as well
 * The value head guesses, at every token, the reward still to come; GAE turns rewards and values
 * into advantages (how much better this token did than the value head expected). Then for
 * numPpoEpochs epochs over minibatches of the rollout: raise the log-prob of tokens with a positive
 * advantage and lower it for negative ones, but clipped, so no token's probability moves by more
 * than a factor 1 ± cliprange from the policy that wrote it (the "proximal" in PPO); and fit the
 * value head to the returns.
 *
 * Tensors here are over the answers' tokens only: (B, T) with T the longest answer, and `mask` (B, T)
 * 1 for tokens an answer wrote, 0 for the padding after its end.
 */
import * as tf from '@tensorflow/tfjs';
import { KLEstimator, klPerToken } from './kl';
import { maskedMean, stopGradient } from './masked';

/** PPO's knobs (TRL's PPOConfig: num_ppo_epochs -> numPpoEpochs, cliprange_value -> cliprangeValue, ...). */
export interface PPOConfig {
  /** Prompts per rollout (answers generated, scored and learned from per iteration). */
  batchSize: number;
  /** The rollout is cut into this many minibatches, one gradient step each (num_mini_batches). */
  numMiniBatches: number;
  /** Passes over each rollout (num_ppo_epochs). */
  numPpoEpochs: number;
  /** The ratio π / π_old is clipped to [1 - cliprange, 1 + cliprange]. */
  cliprange: number;
  /** A new value may move at most this far from the rollout's value (cliprange_value). */
  cliprangeValue: number;
  /** Weight of the value loss beside the policy loss (vf_coef). */
  vfCoef: number;
  /** Weight of the KL penalty in the per-token reward (kl_coef); 0 lets the policy drift. */
  klCoef: number;
  /** Which estimate of the KL to the reference the penalty uses (kl_estimator: 'k1' or 'k3'; see kl.ts). */
  klEstimator: Extract<KLEstimator, 'k1' | 'k3'>;
  /** Discount of later rewards (1: the score at the end counts fully at every token). */
  gamma: number;
  /** GAE's lambda: 0 trusts the value head (low variance), 1 the actual rewards (no bias). */
  lam: number;
  /** Advantages to mean 0, standard deviation 1 over each rollout (TRL always does). */
  whitenAdvantages: boolean;
  /** The most new tokens per answer (response_length). */
  responseLength: number;
  /** Sampling temperature of the rollouts. */
  temperature: number;
}

/** TRL's defaults, except batch sizes and the answer length, which suit the course's small models. */
export const PPO_DEFAULTS: PPOConfig = {
  batchSize: 16,
  numMiniBatches: 1,
  numPpoEpochs: 4,
  cliprange: 0.2,
  cliprangeValue: 0.2,
  vfCoef: 0.1,
  klCoef: 0.05,
  klEstimator: 'k1',
  gamma: 1,
  lam: 0.95,
  whitenAdvantages: true,
  responseLength: 16,
  temperature: 0.7
};

/** A full PPOConfig from the given settings and the defaults; a bad value throws, naming it. */
export function ppoConfig(options: Partial<PPOConfig> = {}): PPOConfig {
  const known = Object.keys(PPO_DEFAULTS);
  const unknown = Object.keys(options).find(k => !known.includes(k));
  if (unknown) throw new Error(`PPOConfig: unknown setting ${JSON.stringify(unknown)}; the settings are ${known.join(', ')}`);
  const c = { ...PPO_DEFAULTS, ...options };
  for (const k of ['batchSize', 'numMiniBatches', 'numPpoEpochs', 'responseLength'] as const) {
    if (!(Number.isInteger(c[k]) && c[k] >= 1)) throw new Error(`PPOConfig: ${k} must be a positive integer, got ${c[k]}`);
  }
  if (c.batchSize % c.numMiniBatches !== 0) throw new Error(`PPOConfig: batchSize (${c.batchSize}) must be divisible by numMiniBatches (${c.numMiniBatches})`);
  for (const k of ['cliprange', 'cliprangeValue', 'vfCoef'] as const) {
    if (!(c[k] > 0 && Number.isFinite(c[k]))) throw new Error(`PPOConfig: ${k} must be a number > 0, got ${c[k]}`);
  }
  if (!(c.cliprange < 1)) throw new Error(`PPOConfig: cliprange must be below 1 (the ratio is clipped to [1 - cliprange, 1 + cliprange]), got ${c.cliprange}`);
  if (!(c.klCoef >= 0 && Number.isFinite(c.klCoef))) throw new Error(`PPOConfig: klCoef must be a number >= 0, got ${c.klCoef}`);
  for (const k of ['gamma', 'lam'] as const) {
    if (!(c[k] >= 0 && c[k] <= 1)) throw new Error(`PPOConfig: ${k} must be in [0, 1], got ${c[k]}`);
  }
  if (c.klEstimator !== 'k1' && c.klEstimator !== 'k3') throw new Error(`PPOConfig: klEstimator must be 'k1' or 'k3' (unbiased estimates of the KL), got ${JSON.stringify(c.klEstimator)}`);
  if (typeof c.whitenAdvantages !== 'boolean') throw new Error(`PPOConfig: whitenAdvantages must be true or false, got ${JSON.stringify(c.whitenAdvantages)}`);
  if (!(c.temperature > 0 && Number.isFinite(c.temperature))) throw new Error(`PPOConfig: temperature must be a number > 0, got ${c.temperature}`);
  return c;
}

function checkSameShape(where: string, named: Record<string, tf.Tensor>): void {
  const entries = Object.entries(named);
  const [first, ref] = entries[0];
  if (ref.rank !== 2) throw new Error(`${where}: ${first} must have shape (B, T), got [${ref.shape}]`);
  for (const [name, t] of entries.slice(1)) {
    if (t.shape.join() !== ref.shape.join()) throw new Error(`${where}: ${name} [${t.shape}] must have the shape of ${first} [${ref.shape}]`);
  }
}

/**
 * The per-token rewards of a rollout: -klCoef * kl at every token an answer wrote, plus its score
 * (B,) at its last one. logp and refLogp (B, T): the answers' log-probs under the policy that wrote
 * them and under the reference. Returns the rewards (B, T) and the kl (B, T) they were made from.
 */
export function tokenRewards(scores: tf.Tensor, logp: tf.Tensor, refLogp: tf.Tensor, mask: tf.Tensor, klCoef: number, klEstimator: KLEstimator = 'k1'): { rewards: tf.Tensor2D; kl: tf.Tensor2D } {
  checkSameShape('tokenRewards', { logp, refLogp, mask });
  const [B, T] = logp.shape as [number, number];
  if (scores.shape.join() !== String(B)) throw new Error(`tokenRewards: scores must have shape (B) = [${B}], one per answer, got [${scores.shape}]`);
  return tf.tidy(() => {
    const m = mask.toFloat();
    const kl = klPerToken(logp, refLogp, klEstimator).mul(m) as tf.Tensor2D;
    const last = tf.oneHot(m.sum(1).sub(1).toInt(), T).toFloat(); // (B, T): 1 at each answer's last token
    const rewards = kl.mul(-klCoef).add(last.mul(scores.reshape([B, 1]))) as tf.Tensor2D;
    return { rewards, kl };
  });
}

/**
 * Generalized Advantage Estimation (Schulman et al. 2016) over rewards and values (B, T), backwards
 * from each answer's end:
 *   delta_t = r_t + gamma * V_{t+1} - V_t         (V after the last token is 0: the episode ends)
 *   A_t     = delta_t + gamma * lam * A_{t+1}
 *   return_t = A_t + V_t                          (what the value head learns to predict)
 * A 0 in the mask ends the episode: no value is read from it and nothing flows back across it.
 * Advantages and returns are 0 at the padding. Not differentiable (the values are a rollout's).
 */
export function gae(rewards: tf.Tensor, values: tf.Tensor, mask: tf.Tensor, gamma: number, lam: number): { advantages: tf.Tensor2D; returns: tf.Tensor2D } {
  checkSameShape('gae', { rewards, values, mask });
  for (const [k, v] of [['gamma', gamma], ['lam', lam]] as const) if (!(v >= 0 && v <= 1)) throw new Error(`gae: ${k} must be in [0, 1], got ${v}`);
  return tf.tidy(() => {
    const m = tf.unstack(mask.toFloat(), 1); // T x (B,)
    const r = tf.unstack(rewards, 1);
    const v = tf.unstack(stopGradient(values), 1).map((vt, t) => vt.mul(m[t])); // no value at the padding
    const T = r.length;
    const advantages: tf.Tensor[] = new Array(T);
    let next = tf.zerosLike(r[0]); // A_{t+1}
    for (let t = T - 1; t >= 0; t--) {
      const nextValue = t + 1 < T ? v[t + 1] : tf.zerosLike(v[t]);
      const delta = r[t].add(nextValue.mul(gamma)).sub(v[t]);
      next = delta.add(next.mul(gamma * lam)).mul(m[t]);
      advantages[t] = next;
    }
    const a = tf.stack(advantages, 1) as tf.Tensor2D;
    return { advantages: a, returns: a.add(tf.stack(v, 1)) as tf.Tensor2D };
  });
}

/**
 * Per token, PPO's clipped surrogate (to minimise), with ratio = exp(logp - oldLogp):
 *   max(-A * ratio, -A * clip(ratio, 1 - cliprange, 1 + cliprange))
 * For A > 0 the gain stops once ratio > 1 + cliprange; for A < 0 once ratio < 1 - cliprange: the
 * gradient is then 0, and no single batch pushes a token's probability far. `clipped` is 1 where
 * the clipped term won. advantages: the shape of logp, or (B, 1) (one per sequence, GRPO's).
 * oldLogp and advantages get no gradient. Shared by PPO and GRPO (grpo.ts).
 */
export function clippedSurrogate(logp: tf.Tensor, oldLogp: tf.Tensor, advantages: tf.Tensor, cliprange: number): { perToken: tf.Tensor; clipped: tf.Tensor } {
  if (!(cliprange > 0 && cliprange < 1)) throw new Error(`clipped surrogate: the clip range must be in (0, 1), got ${cliprange}`);
  return tf.tidy(() => {
    const a = stopGradient(advantages);
    const ratio = logp.sub(stopGradient(oldLogp)).exp();
    const unclipped = a.neg().mul(ratio);
    const clipped = a.neg().mul(tf.clipByValue(ratio, 1 - cliprange, 1 + cliprange));
    return { perToken: tf.maximum(unclipped, clipped), clipped: clipped.greater(unclipped).toFloat() };
  });
}

/**
 * PPO's policy loss (TRL's pg_loss): the masked mean of the clipped surrogate. Also (no
 * gradient): clipFraction, the share of tokens where the clip held, and approxKl, the mean k2
 * between the new and the old policy (how far this epoch has moved it).
 */
export function clippedPolicyLoss(logp: tf.Tensor, oldLogp: tf.Tensor, advantages: tf.Tensor, mask: tf.Tensor, cliprange: number): { loss: tf.Scalar; clipFraction: tf.Scalar; approxKl: tf.Scalar } {
  checkSameShape('clippedPolicyLoss', { logp, oldLogp, advantages, mask });
  if (!(cliprange > 0 && cliprange < 1)) throw new Error(`clippedPolicyLoss: cliprange must be in (0, 1), got ${cliprange}`);
  return tf.tidy(() => {
    const { perToken, clipped } = clippedSurrogate(logp, oldLogp, advantages, cliprange);
    const loss = maskedMean(perToken, mask) as tf.Scalar;
    const clipFraction = maskedMean(clipped, mask) as tf.Scalar;
    const approxKl = maskedMean(klPerToken(stopGradient(logp), oldLogp, 'k2'), mask) as tf.Scalar;
    return { loss, clipFraction, approxKl };
  });
}

/**
 * The value head's loss (TRL's vf_loss): half the masked mean of max((V - R)^2, (V_clipped - R)^2),
 * with V_clipped = V kept within cliprangeValue of the rollout's value oldValues: like the policy,
 * the value head moves only so far per rollout. clipFraction: the share of tokens where the
 * clipped error was the larger.
 */
export function valueLoss(values: tf.Tensor, oldValues: tf.Tensor, returns: tf.Tensor, mask: tf.Tensor, cliprangeValue: number): { loss: tf.Scalar; clipFraction: tf.Scalar } {
  checkSameShape('valueLoss', { values, oldValues, returns, mask });
  if (!(cliprangeValue > 0)) throw new Error(`valueLoss: cliprangeValue must be > 0, got ${cliprangeValue}`);
  return tf.tidy(() => {
    const old = stopGradient(oldValues);
    const target = stopGradient(returns);
    const clippedValues = tf.minimum(tf.maximum(values, old.sub(cliprangeValue)), old.add(cliprangeValue));
    const unclipped = values.sub(target).square();
    const clipped = clippedValues.sub(target).square();
    const loss = maskedMean(tf.maximum(unclipped, clipped), mask).mul(0.5) as tf.Scalar;
    const clipFraction = maskedMean(clipped.greater(unclipped).toFloat(), mask) as tf.Scalar;
    return { loss, clipFraction };
  });
}
