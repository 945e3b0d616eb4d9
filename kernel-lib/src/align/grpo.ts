/**
 * GRPO (Group Relative Policy Optimization, DeepSeekMath 2024), in Hugging Face TRL's vocabulary.
 *
 * PPO needs a value head to say what reward a token should expect. GRPO asks the policy for
 * numGenerations answers to the same prompt and uses the group itself as the baseline: an
 * answer's advantage is how much better it scored than its siblings,
 *   A_i = (r_i - mean(r_group)) / (std(r_group) + 1e-4)
 * the same for every token of the answer. No value model, no GAE: a verifiable reward (is the sum
 * right?) and a group are enough. The loss is PPO's clipped surrogate per token (epsilon the clip)
 * plus beta times the k3 estimate of the KL to the reference model (kl.ts), over the answers' tokens.
 *
 * Layout: a group's answers are consecutive, as TRL lays them out: answers of prompt 0 first
 * (numGenerations of them), then those of prompt 1, ... (groupPrompts makes the prompts so).
 */
import * as tf from '@tensorflow/tfjs';
import { klPerToken } from './kl';
import { maskedMean } from './masked';
import { clippedSurrogate } from './ppo';
import { groupStats } from '../contract/align';

/** GRPO's knobs (TRL's GRPOConfig: num_generations -> numGenerations, max_completion_length -> maxCompletionLength, ...). */
export interface GRPOConfig {
  /** Prompts per step; each gets numGenerations answers. */
  batchSize: number;
  /** Answers per prompt: the group whose mean reward is the baseline (num_generations). */
  numGenerations: number;
  /** Weight of the KL to the reference in the loss; 0 needs no reference model. */
  beta: number;
  /** The ratio π / π_old is clipped to [1 - epsilon, 1 + epsilon]. */
  epsilon: number;
  /** Sampling temperature of the answers: the group needs them to differ. */
  temperature: number;
  /** The most new tokens per answer (max_completion_length). */
  maxCompletionLength: number;
  /** Gradient steps per batch of answers (num_iterations); above 1 the ratio moves away from 1. */
  numIterations: number;
  /** Divide by the group's standard deviation (scale_rewards); false: only subtract the mean. */
  scaleRewards: boolean;
  /**
   * How tokens are averaged (loss_type): 'grpo' averages each answer's tokens, then the answers
   * (a long answer's tokens weigh less); 'bnpo' averages all tokens of the batch together.
   */
  lossType: 'grpo' | 'bnpo';
}

/** TRL's defaults, except the batch and the answer length, which suit the course's small models. */
export const GRPO_DEFAULTS: GRPOConfig = {
  batchSize: 4,
  numGenerations: 8,
  beta: 0.04,
  epsilon: 0.2,
  temperature: 1,
  maxCompletionLength: 16,
  numIterations: 1,
  scaleRewards: true,
  lossType: 'bnpo'
};

function checkNumGenerations(where: string, g: number): void {
  if (!(Number.isInteger(g) && g >= 2)) throw new Error(`${where}: numGenerations must be an integer >= 2 (a group of 1 has no baseline: its advantage is always 0), got ${g}`);
}

/** A full GRPOConfig from the given settings and the defaults; a bad value throws, naming it. */
export function grpoConfig(options: Partial<GRPOConfig> = {}): GRPOConfig {
  const known = Object.keys(GRPO_DEFAULTS);
  const unknown = Object.keys(options).find(k => !known.includes(k));
  if (unknown) throw new Error(`GRPOConfig: unknown setting ${JSON.stringify(unknown)}; the settings are ${known.join(', ')}`);
  const c = { ...GRPO_DEFAULTS, ...options };
  checkNumGenerations('GRPOConfig', c.numGenerations);
  for (const k of ['batchSize', 'maxCompletionLength', 'numIterations'] as const) {
    if (!(Number.isInteger(c[k]) && c[k] >= 1)) throw new Error(`GRPOConfig: ${k} must be a positive integer, got ${c[k]}`);
  }
  if (!(c.beta >= 0 && Number.isFinite(c.beta))) throw new Error(`GRPOConfig: beta must be a number >= 0, got ${c.beta}`);
  if (!(c.epsilon > 0 && c.epsilon < 1)) throw new Error(`GRPOConfig: epsilon must be in (0, 1) (the ratio is clipped to [1 - epsilon, 1 + epsilon]), got ${c.epsilon}`);
  if (!(c.temperature > 0 && Number.isFinite(c.temperature))) throw new Error(`GRPOConfig: temperature must be a number > 0 (a group of greedy answers would all be the same), got ${c.temperature}`);
  if (typeof c.scaleRewards !== 'boolean') throw new Error(`GRPOConfig: scaleRewards must be true or false, got ${JSON.stringify(c.scaleRewards)}`);
  if (c.lossType !== 'grpo' && c.lossType !== 'bnpo') throw new Error(`GRPOConfig: lossType must be 'grpo' or 'bnpo', got ${JSON.stringify(c.lossType)}`);
  return c;
}

/** Each prompt numGenerations times in a row: the rollout's prompts, groups consecutive. */
export function groupPrompts<T>(prompts: readonly T[], numGenerations: number): T[] {
  checkNumGenerations('groupPrompts', numGenerations);
  return prompts.flatMap(p => Array.from({ length: numGenerations }, () => p));
}

/**
 * Each answer's advantage within its group: (r - mean) / (std + 1e-4) over the numGenerations
 * consecutive rewards of a group. std is the sample standard deviation (divided by n - 1, as
 * torch.std in TRL); with scaleRewards false, only the mean is subtracted. A group whose answers
 * all scored the same gets advantages 0: it teaches nothing.
 */
export function groupAdvantages(rewards: readonly number[], numGenerations: number, scaleRewards = true): number[] {
  checkNumGenerations('groupAdvantages', numGenerations);
  if (rewards.length === 0 || rewards.length % numGenerations !== 0) {
    throw new Error(`groupAdvantages: ${rewards.length} rewards do not make groups of numGenerations ${numGenerations}`);
  }
  const bad = rewards.findIndex(r => !Number.isFinite(r));
  if (bad >= 0) throw new Error(`groupAdvantages: reward ${bad} is ${rewards[bad]}, not a finite number`);
  const out: number[] = [];
  // the same numbers the group view shows (contract/align.ts): sample std, (r - mean) / (std + 1e-4)
  for (let start = 0; start < rewards.length; start += numGenerations) out.push(...groupStats(rewards.slice(start, start + numGenerations), scaleRewards).advantages);
  return out;
}

export interface GrpoLoss {
  loss: tf.Scalar;
  /** Mean k3 KL to the reference per token (0 without a reference). */
  kl: tf.Scalar;
  /** Share of tokens where the clip held. */
  clipFraction: tf.Scalar;
}

/**
 * GRPO's loss over N answers (N = prompts x numGenerations) of T tokens: per token
 *   max(-A r, -A clip(r, 1 - epsilon, 1 + epsilon)) + beta * k3(π, π_ref)
 * with r = exp(logp - oldLogp), averaged over the tokens the mask keeps ('bnpo') or per answer,
 * then over answers ('grpo'). logp, oldLogp, refLogp, mask: (N, T); advantages: (N,) from
 * groupAdvantages. refLogp may be null when beta is 0. With numIterations 1, oldLogp is logp's value
 * (the ratio is 1, its gradient still A).
 */
export function grpoLoss(logp: tf.Tensor, oldLogp: tf.Tensor, refLogp: tf.Tensor | null, advantages: tf.Tensor, mask: tf.Tensor, config: Pick<GRPOConfig, 'beta' | 'epsilon' | 'lossType'>): GrpoLoss {
  const { beta, epsilon, lossType } = config;
  if (logp.rank !== 2) throw new Error(`grpoLoss: logp must have shape (N, T), got [${logp.shape}]`);
  const [N] = logp.shape as [number, number];
  for (const [name, t] of [['oldLogp', oldLogp], ['refLogp', refLogp], ['mask', mask]] as const) {
    if (t && t.shape.join() !== logp.shape.join()) throw new Error(`grpoLoss: ${name} [${t.shape}] must have the shape of logp [${logp.shape}]`);
  }
  if (advantages.shape.join() !== String(N)) throw new Error(`grpoLoss: advantages must have shape (N) = [${N}], one per answer, got [${advantages.shape}]`);
  if (!(beta >= 0)) throw new Error(`grpoLoss: beta must be >= 0, got ${beta}`);
  if (beta > 0 && !refLogp) throw new Error(`grpoLoss: beta is ${beta} but refLogp is null; give the reference's log-probs, or set beta to 0`);
  if (!(epsilon > 0 && epsilon < 1)) throw new Error(`grpoLoss: epsilon must be in (0, 1), got ${epsilon}`);
  if (lossType !== 'grpo' && lossType !== 'bnpo') throw new Error(`grpoLoss: lossType must be 'grpo' or 'bnpo', got ${JSON.stringify(lossType)}`);
  return tf.tidy(() => {
    const { perToken: surrogate, clipped } = clippedSurrogate(logp, oldLogp, advantages.reshape([N, 1]), epsilon);
    const kl = refLogp ? klPerToken(logp, refLogp, 'k3') : tf.zerosLike(logp);
    const perToken = beta > 0 ? surrogate.add(kl.mul(beta)) : surrogate;
    const m = mask.toFloat();
    const loss = (lossType === 'bnpo' ? maskedMean(perToken, m) : perToken.mul(m).sum(1).div(m.sum(1).maximum(1)).mean()) as tf.Scalar; // an empty answer counts 0
    return { loss, kl: maskedMean(kl, m) as tf.Scalar, clipFraction: maskedMean(clipped, m) as tf.Scalar };
  });
}
