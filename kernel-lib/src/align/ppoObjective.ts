/**
 * RLHF with PPO as an Objective for the Trainer (TRL's PPOTrainer). One rollout feeds
 * numPpoEpochs x numMiniBatches steps:
 *
 *   rollout (nextBatch, outside any gradient):
 *     batchSize prompts -> generateBatch (KV cache) -> rewardFunc scores each whole answer
 *     -> the policy's log-probs and values, the reference's log-probs (one forward each)
 *     -> per-token rewards (score at the end, -klCoef * KL at every token) -> GAE -> advantages
 *        (whitened) and returns
 *   step (loss): a minibatch of the rollout's answers; the clipped policy loss + vfCoef x the
 *     clipped value loss, against the log-probs and values the rollout recorded.
 *
 * Logged per step: score (the rollout's mean reward), kl (its mean KL to the reference, summed
 * over each answer's tokens, as TRL's objective/kl), entropy (the mean of -log p summed over each
 * answer, TRL's objective/entropy), policy loss, value loss, clip fraction, approx kl.
 * evaluate(): answers to the held-out prompts, sampled with fixed seeds; loss is the negated mean
 * score (lower is better), metrics: reward and kl.
 *
 * Log-probs here are the model's own (softmax of the logits), not of the temperature-scaled
 * distribution the answers were sampled from (TRL divides the logits by the temperature first).
 */
import * as tf from '@tensorflow/tfjs';
import { PolicyWithValue } from '../models/policyWithValue';
import { Rng, seededRandom, shuffled } from '../random';
import { Objective } from '../train/objective';
import { generateBatch } from './generateBatch';
import { klPerToken } from './kl';
import { maskedWhiten } from './masked';
import { clippedPolicyLoss, gae, PPOConfig, ppoConfig, tokenRewards, valueLoss } from './ppo';
import { Policy, policyModel, resolveReference } from './reference';
import { answerLogProbs, answerLogProbsAndValues, disposeRolloutBatch, PromptData, RewardFunc, rolloutBatch, RolloutBatch } from './rollout';

export interface PPOObjectiveConfig extends Partial<PPOConfig> {
  /** Seed of the prompt order, the sampling and the value head's initial weights (default 0). */
  seed?: number;
  stopIds?: number[];
  padId?: number;
}

/** A minibatch of a rollout: its answers, and what the rollout recorded about them. */
export interface PpoMiniBatch extends RolloutBatch {
  oldLogp: tf.Tensor2D;
  oldValues: tf.Tensor2D;
  advantages: tf.Tensor2D;
  returns: tf.Tensor2D;
  /** The rollout's statistics, logged with every step of it. */
  stats: { score: number; kl: number; entropy: number };
}

/** A whole rollout and the minibatches still to come from it (lists of row indices). */
interface Rollout {
  rows: PpoMiniBatch;
  pending: number[][];
}

/**
 * PPO of `policy` (a GPT, or a LoRA PeftModel) with a value head, against `reference` (a frozen
 * GPT of the same shape, or null for a LoRA policy: its base), on `prompts.train` scored by
 * `rewardFunc`. The objective's model is the PolicyWithValue (the policy's weights and v_head).
 */
export function ppoObjective(policy: Policy, reference: Policy | null, prompts: PromptData, rewardFunc: RewardFunc, config: PPOObjectiveConfig = {}): Objective<PpoMiniBatch> & { model: PolicyWithValue } {
  const gpt = policyModel(policy);
  const { seed = 0, stopIds = [], padId = 0, ...settings } = config;
  const c = ppoConfig(settings);
  const { vocabSize } = gpt.config;
  const room = gpt.contextLength - c.responseLength + 1;
  for (const [split, list] of Object.entries({ train: prompts?.train, validation: prompts?.validation })) {
    if (!Array.isArray(list) || list.length === 0) throw new Error(`ppoObjective: no ${split} prompts; give at least one (token ids)`);
    list.forEach((p, i) => {
      const bad = p.findIndex(id => !(Number.isInteger(id) && id >= 0 && id < vocabSize));
      if (p.length === 0 || p.length > room || bad >= 0) throw new Error(`ppoObjective: ${split} prompt ${i} must have 1 to ${room} tokens (the context ${gpt.contextLength} less responseLength ${c.responseLength} - 1) in [0, ${vocabSize}), got ${JSON.stringify(p)}`);
    });
  }
  if (typeof rewardFunc !== 'function') throw new Error('ppoObjective: rewardFunc must be a function (prompts, completions) => one reward per completion');
  if (!(Number.isInteger(padId) && padId >= 0 && padId < vocabSize)) throw new Error(`ppoObjective: padId ${padId} is outside the vocabulary [0, ${vocabSize})`);
  const ref = resolveReference('ppoObjective', policy, reference); // after every check: it freezes a reference model
  const model = new PolicyWithValue(gpt, { seed });

  const rng: Rng = seededRandom(seed);
  let order: number[] = [];
  let rollouts = 0;
  let current: Rollout | null = null;
  const miniBatchSize = c.batchSize / c.numMiniBatches;

  async function scored(ps: number[][], completions: number[][]): Promise<number[]> {
    const scores = await rewardFunc(ps, completions);
    if (!Array.isArray(scores) || scores.length !== ps.length || !scores.every(Number.isFinite)) {
      throw new Error(`ppoObjective: rewardFunc must return ${ps.length} finite numbers, got ${JSON.stringify(scores)?.slice(0, 200)}`);
    }
    return scores;
  }

  async function rollout(): Promise<Rollout> {
    const picked: number[][] = [];
    while (picked.length < c.batchSize) {
      if (order.length === 0) order = shuffled(prompts.train.map((_, i) => i), rng);
      picked.push(prompts.train[order.pop()!]);
    }
    const { tokens } = await generateBatch(gpt, picked, { maxNewTokens: c.responseLength, temperature: c.temperature, seed: (seed + rollouts++ * c.batchSize) >>> 0, stopIds });
    const scores = await scored(picked, tokens);
    const batch = rolloutBatch(picked, tokens, padId);
    const recorded = tf.tidy(() => {
      const { logp, values } = answerLogProbsAndValues(model, batch);
      const refLogp = ref.withModel(m => answerLogProbs(m, batch));
      const mask = batch.answerMask;
      const { rewards, kl } = tokenRewards(tf.tensor1d(scores), logp, refLogp, mask, c.klCoef, c.klEstimator);
      const { advantages, returns } = gae(rewards, values, mask, c.gamma, c.lam);
      const stats = tf.stack([kl.sum(1).mean(), logp.neg().sum(1).mean()]);
      return { oldLogp: logp, oldValues: values, advantages: c.whitenAdvantages ? (maskedWhiten(advantages, mask) as tf.Tensor2D) : advantages, returns, stats };
    });
    const [kl, entropy] = await recorded.stats.data();
    recorded.stats.dispose();
    const score = scores.reduce((s, x) => s + x, 0) / scores.length;
    const rows: PpoMiniBatch = { ...batch, ...recorded, stats: { score, kl, entropy } };
    const pending: number[][] = [];
    for (let epoch = 0; epoch < c.numPpoEpochs; epoch++) {
      const perm = shuffled(picked.map((_, i) => i), rng);
      for (let m = 0; m < c.numMiniBatches; m++) pending.push(perm.slice(m * miniBatchSize, (m + 1) * miniBatchSize));
    }
    return { rows, pending };
  }

  function disposeRows(b: PpoMiniBatch): void {
    disposeRolloutBatch(b);
    tf.dispose([b.oldLogp, b.oldValues, b.advantages, b.returns]);
  }

  return {
    name: `PPO (klCoef ${c.klCoef}, reference: ${ref.kind})`,
    model,
    tokensPerBatch: miniBatchSize * (Math.round(prompts.train.reduce((s, p) => s + p.length, 0) / prompts.train.length) + c.responseLength),
    plotMetrics: ['reward', 'kl'],
    lossMayRise: true, // a new rollout every few steps: its loss is no trend to watch
    async nextBatch() {
      if (!current) current = await rollout();
      const { rows, pending } = current;
      const pick = pending.shift()!;
      const mini = tf.tidy(() => {
        const index = tf.tensor1d(pick, 'int32');
        const take = <T extends tf.Tensor>(t: T) => tf.gather(t, index) as T;
        return { ids: take(rows.ids), lossMask: take(rows.lossMask), answerMask: take(rows.answerMask), positions: take(rows.positions), oldLogp: take(rows.oldLogp), oldValues: take(rows.oldValues), advantages: take(rows.advantages), returns: take(rows.returns) };
      });
      if (pending.length === 0) {
        disposeRows(rows); // every minibatch of it is out
        current = null;
      }
      return { ...mini, stats: rows.stats };
    },
    loss(batch, log) {
      const { logp, values } = answerLogProbsAndValues(model, batch);
      const pg = clippedPolicyLoss(logp, batch.oldLogp, batch.advantages, batch.answerMask, c.cliprange);
      const vf = valueLoss(values, batch.oldValues, batch.returns, batch.answerMask, c.cliprangeValue);
      for (const [name, value] of Object.entries(batch.stats)) log?.(name, tf.scalar(value));
      log?.('policy loss', pg.loss);
      log?.('value loss', vf.loss);
      log?.('clip fraction', pg.clipFraction);
      log?.('approx kl', pg.approxKl);
      return pg.loss.add(vf.loss.mul(c.vfCoef)) as tf.Scalar;
    },
    disposeBatch: disposeRows,
    async evaluate() {
      const { tokens } = await generateBatch(gpt, prompts.validation, { maxNewTokens: c.responseLength, temperature: c.temperature, seed, stopIds });
      const scores = await scored(prompts.validation, tokens);
      const batch = rolloutBatch(prompts.validation, tokens, padId);
      const klSum = tf.tidy(() => klPerToken(answerLogProbs(gpt, batch), ref.withModel(m => answerLogProbs(m, batch)), c.klEstimator).mul(batch.answerMask).sum(1).mean());
      const kl = (await klSum.data())[0];
      tf.dispose(klSum);
      disposeRolloutBatch(batch);
      const reward = scores.reduce((s, x) => s + x, 0) / scores.length;
      return { loss: -reward, metrics: { reward, kl } };
    }
  };
}
