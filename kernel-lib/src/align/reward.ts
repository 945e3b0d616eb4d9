/**
 * Training a reward model on preference pairs (TRL's RewardTrainer). The Bradley-Terry model says
 * the chosen answer wins with probability sigmoid(r_chosen - r_rejected); the loss is that
 * probability's negative log, so only the difference of the two rewards is learned, never their
 * level. TRL's center_rewards_coefficient adds coef * mean((r_chosen + r_rejected)²), which pulls the
 * rewards' mean towards 0 so that they read on a stable scale (PPO adds them to a KL penalty).
 *
 * Judged on held-out pairs: the accuracy (how often the chosen answer gets the higher reward) and
 * the mean margin r_chosen - r_rejected.
 */
import * as tf from '@tensorflow/tfjs';
import { GPTRewardModel } from '../models/rewardModel';
import { checkPositiveInt, Objective } from '../train/objective';
import { chosenAndRejected, checkTokenizedPairs, disposePreferenceBatch, inBatches, PairBatches, paddedRows, PreferenceBatch, PreferenceData, TokenizedPreferencePair, preferenceBatch, tokensPerPair } from './pairs';

/** What is particular to reward modelling (the loop's learning rate, steps ... are the Trainer's). */
export interface RewardConfig {
  /** Pairs per step. */
  batchSize: number;
  /** The most tokens of prompt + answer (default and at most the model's context); a longer pair is an error. */
  maxLength?: number;
  /** TRL's center_rewards_coefficient: weight of mean((r_chosen + r_rejected)²) in the loss; default 0 (off). */
  centerRewardsCoefficient?: number;
  /** Seed of the batch order. */
  seed?: number;
  /** Fills rows after their end; never read. Default 0. */
  padId?: number;
}

/** Mean of -log sigmoid(r_chosen - r_rejected) over the pairs: rChosen, rRejected (B,) -> scalar. */
export function bradleyTerryLoss(rChosen: tf.Tensor1D, rRejected: tf.Tensor1D): tf.Scalar {
  if (rChosen.rank !== 1 || rChosen.shape.join() !== rRejected.shape.join()) {
    throw new Error(`bradleyTerryLoss: rChosen and rRejected must both have shape (B,), got [${rChosen.shape}] and [${rRejected.shape}]`);
  }
  return tf.tidy(() => tf.softplus(rRejected.sub(rChosen)).mean() as tf.Scalar); // -log sigmoid(d) = softplus(-d), stable for any d
}

/** The reward of each sequence of token ids (prompt + answer), batch by batch. */
export async function rewardsOf(model: GPTRewardModel, sequences: number[][], batchSize = 32): Promise<number[]> {
  const { blockSize } = model.gptConfig;
  sequences.forEach((s, i) => {
    if (s.length === 0 || s.length > blockSize) throw new Error(`rewardsOf: sequence ${i} has ${s.length} tokens; it must have 1 to blockSize (${blockSize})`);
  });
  const out: number[] = [];
  for (let i = 0; i < sequences.length; i += batchSize) {
    const rows = sequences.slice(i, i + batchSize);
    const b = paddedRows(rows, rows.map(r => r.length));
    const rewards = model.forward(b.ids, b.attentionMask);
    out.push(...(await rewards.data()));
    tf.dispose([b.ids, b.attentionMask, b.lossMask, rewards]);
  }
  return out;
}

/** The rewards of each pair's chosen and rejected answers. */
export async function pairRewards(model: GPTRewardModel, pairs: TokenizedPreferencePair[], batchSize = 32): Promise<{ chosen: number[]; rejected: number[] }> {
  const chosen: number[] = [];
  const rejected: number[] = [];
  for (const part of inBatches(pairs, batchSize)) {
    const b = preferenceBatch(part);
    const rewards = model.forward(b.ids, b.attentionMask); // (2B,): chosen rows, then rejected rows
    const values = await rewards.data();
    chosen.push(...values.slice(0, part.length));
    rejected.push(...values.slice(part.length));
    rewards.dispose();
    disposePreferenceBatch(b);
  }
  return { chosen, rejected };
}

/** A reward model on held-out pairs: the mean Bradley-Terry loss, accuracy (r_chosen > r_rejected; a tie counts as wrong) and mean margin. */
export async function evaluateRewardModel(model: GPTRewardModel, pairs: TokenizedPreferencePair[], batchSize = 32): Promise<{ loss: number; accuracy: number; margin: number }> {
  const { chosen, rejected } = await pairRewards(model, pairs, batchSize);
  const loss = tf.tidy(() => bradleyTerryLoss(tf.tensor1d(chosen), tf.tensor1d(rejected)));
  const value = (await loss.data())[0];
  loss.dispose();
  const margins = chosen.map((r, i) => r - rejected[i]);
  return { loss: value, accuracy: margins.filter(m => m > 0).length / margins.length, margin: margins.reduce((a, m) => a + m, 0) / margins.length };
}

/** The limits every pair is checked against; a bad config is an error before anything is built. */
export function checkRewardConfig(model: GPTRewardModel, config: RewardConfig): Required<RewardConfig> {
  const { blockSize, vocabSize } = model.gptConfig;
  const c = { maxLength: blockSize, centerRewardsCoefficient: 0, seed: 0, padId: 0, ...config };
  checkPositiveInt('reward config: batchSize', c.batchSize);
  if (!(Number.isInteger(c.maxLength) && c.maxLength >= 2 && c.maxLength <= blockSize)) throw new Error(`reward config: maxLength must be an integer in [2, blockSize = ${blockSize}], got ${c.maxLength}`);
  if (!(c.centerRewardsCoefficient >= 0 && Number.isFinite(c.centerRewardsCoefficient))) throw new Error(`reward config: centerRewardsCoefficient must be a number >= 0, got ${c.centerRewardsCoefficient}`);
  if (!(Number.isInteger(c.padId) && c.padId >= 0 && c.padId < vocabSize)) throw new Error(`reward config: padId ${c.padId} is outside the vocabulary [0, ${vocabSize})`);
  return c;
}

/**
 * Train a reward model on `data.train`'s pairs, judged on `data.validation`'s: loss (Bradley-Terry),
 * accuracy and reward margin, plotted live beside each batch's accuracy and margin.
 */
export function rewardObjective(model: GPTRewardModel, data: PreferenceData, config: RewardConfig): Objective<PreferenceBatch> {
  const c = checkRewardConfig(model, config);
  const limits = { maxLength: c.maxLength, vocabSize: model.gptConfig.vocabSize, minPromptLength: 0 };
  checkTokenizedPairs('reward: train', data?.train, limits);
  checkTokenizedPairs('reward: validation', data.validation, limits);
  const batches = new PairBatches(data.train, c.batchSize, c.seed);
  return {
    name: 'reward model',
    model,
    tokensPerBatch: Math.round(c.batchSize * tokensPerPair(data.train)),
    plotMetrics: ['accuracy', 'reward margin'],
    nextBatch: () => preferenceBatch(batches.next(), c.padId),
    loss(batch, log) {
      const [rChosen, rRejected] = chosenAndRejected(model.forward(batch.ids, batch.attentionMask), batch.pairs); // (B,) each
      const margin = rChosen.sub(rRejected);
      log?.('train accuracy', tf.tidy(() => margin.greater(0).toFloat().mean() as tf.Scalar));
      log?.('reward margin', tf.tidy(() => margin.mean() as tf.Scalar));
      const loss = bradleyTerryLoss(rChosen, rRejected);
      if (c.centerRewardsCoefficient === 0) return loss;
      return loss.add(rChosen.add(rRejected).square().mean().mul(c.centerRewardsCoefficient)) as tf.Scalar;
    },
    disposeBatch: disposePreferenceBatch,
    async evaluate() {
      const { loss, accuracy, margin } = await evaluateRewardModel(model, data.validation, c.batchSize);
      return { loss, metrics: { accuracy, 'reward margin': margin } };
    }
  };
}
