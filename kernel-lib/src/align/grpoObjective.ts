/**
 * GRPO as an Objective for the Trainer (TRL's GRPOTrainer): every step's batch is a rollout.
 *
 *   nextBatch: batchSize prompts, each numGenerations times -> generateBatch (the KV cache, one
 *              seed per answer) -> rewardFunc scores every answer -> group advantages; the
 *              reference's log-probs (and, for numIterations > 1, the policy's own) are read here,
 *              outside the step's gradient. A rollout serves numIterations steps.
 *   loss:      grpoLoss over the answers' tokens; logs reward, kl, clip fraction and answer length.
 *   evaluate:  one greedy answer per held-out prompt; loss is the negated mean reward (lower is
 *              better, as for every loss), metrics.reward the mean reward itself.
 *
 * rewardFunc is TRL's reward_funcs: (prompts, completions) -> one number per completion, e.g. 1
 * for a right sum and 0 for a wrong one (a verifiable reward, no reward model).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, seededRandom, shuffled } from '../random';
import { Objective } from '../train/objective';
import { generateBatch } from './generateBatch';
import { GRPOConfig, grpoConfig, groupAdvantages, groupPrompts, grpoLoss } from './grpo';
import { stopGradient } from './masked';
import { Policy, policyModel, Reference, resolveReference } from './reference';
import { answerLogProbs, disposeRolloutBatch, PromptData, RewardFunc, rolloutBatch, RolloutBatch } from './rollout';

export interface GRPOObjectiveConfig extends Partial<GRPOConfig> {
  /** Seed of the prompt order and of the sampling (default 0). */
  seed?: number;
  /** Token ids that end an answer (an end-of-text token). */
  stopIds?: number[];
  /** Token id of the padding in the batches (default 0; never scored). */
  padId?: number;
}

export interface GrpoBatch extends RolloutBatch {
  rewards: number[];
  advantages: tf.Tensor1D; // (N,)
  /** The policy's log-probs when the rollout was made; null with numIterations 1 (then they are logp's own values). */
  oldLogp: tf.Tensor2D | null;
  refLogp: tf.Tensor2D | null;
  /** Steps this rollout still serves after the current one. */
  usesLeft: number;
}

function checkPrompts(where: string, prompts: number[][], vocabSize: number, room: number): void {
  if (!Array.isArray(prompts) || prompts.length === 0) throw new Error(`${where}: no prompts; give at least one (token ids)`);
  prompts.forEach((p, i) => {
    if (!Array.isArray(p) || p.length === 0) throw new Error(`${where}: prompt ${i} is empty`);
    const bad = p.findIndex(id => !(Number.isInteger(id) && id >= 0 && id < vocabSize));
    if (bad >= 0) throw new Error(`${where}: prompt ${i} has token ${p[bad]} at position ${bad}, outside the vocabulary [0, ${vocabSize})`);
    if (p.length > room) throw new Error(`${where}: prompt ${i} has ${p.length} tokens; with maxCompletionLength answers it fits ${room} at most`);
  });
}

/**
 * GRPO of `policy` (a GPT, or a LoRA PeftModel) with the reward `rewardFunc` on `prompts.train`,
 * judged on `prompts.validation`. `reference`: a frozen GPT of the policy's shape, or null for a
 * LoRA policy (its base) or when beta is 0 (no KL term, no reference). Every check comes first.
 */
export function grpoObjective(policy: Policy, reference: Policy | null, prompts: PromptData, rewardFunc: RewardFunc, config: GRPOObjectiveConfig = {}): Objective<GrpoBatch> {
  const model = policyModel(policy);
  const { seed = 0, stopIds = [], padId = 0, ...settings } = config;
  const c = grpoConfig(settings);
  const { vocabSize } = model.config;
  const room = model.contextLength - c.maxCompletionLength + 1;
  if (room < 1) throw new Error(`grpoObjective: maxCompletionLength ${c.maxCompletionLength} leaves no room for a prompt in the context ${model.contextLength}`);
  checkPrompts('grpoObjective: train', prompts?.train, vocabSize, room);
  checkPrompts('grpoObjective: validation', prompts.validation, vocabSize, room);
  if (typeof rewardFunc !== 'function') throw new Error('grpoObjective: rewardFunc must be a function (prompts, completions) => one reward per completion');
  if (!(Number.isInteger(padId) && padId >= 0 && padId < vocabSize)) throw new Error(`grpoObjective: padId ${padId} is outside the vocabulary [0, ${vocabSize})`);
  const ref: Reference | null = c.beta > 0 ? resolveReference('grpoObjective', policy, reference) : null; // last: it freezes a reference model

  const rng: Rng = seededRandom(seed);
  let order: number[] = [];
  let rollouts = 0;
  let current: GrpoBatch | null = null;
  const N = c.batchSize * c.numGenerations;

  async function scored(where: string, ps: number[][], completions: number[][]): Promise<number[]> {
    const rewards = await rewardFunc(ps, completions);
    if (!Array.isArray(rewards) || rewards.length !== ps.length || !rewards.every(Number.isFinite)) {
      throw new Error(`grpoObjective: rewardFunc must return ${ps.length} finite numbers for the ${where} completions, got ${JSON.stringify(rewards)?.slice(0, 200)}`);
    }
    return rewards;
  }

  async function rollout(): Promise<GrpoBatch> {
    const picked: number[][] = [];
    while (picked.length < c.batchSize) {
      if (order.length === 0) order = shuffled(prompts.train.map((_, i) => i), rng);
      picked.push(prompts.train[order.pop()!]);
    }
    const grouped = groupPrompts(picked, c.numGenerations);
    const { tokens } = await generateBatch(model, grouped, { maxNewTokens: c.maxCompletionLength, temperature: c.temperature, seed: (seed + rollouts++ * N) >>> 0, stopIds });
    const rewards = await scored('train', grouped, tokens);
    const batch = rolloutBatch(grouped, tokens, padId);
    return {
      ...batch,
      rewards,
      advantages: tf.tensor1d(groupAdvantages(rewards, c.numGenerations, c.scaleRewards)),
      oldLogp: c.numIterations > 1 ? tf.tidy(() => answerLogProbs(model, batch)) : null,
      refLogp: ref ? ref.withModel(m => tf.tidy(() => answerLogProbs(m, batch))) : null,
      usesLeft: c.numIterations
    };
  }

  return {
    name: `GRPO (${c.numGenerations} answers per prompt, beta ${c.beta}${ref ? `, reference: ${ref.kind}` : ''})`,
    model,
    tokensPerBatch: N * (Math.round(prompts.train.reduce((s, p) => s + p.length, 0) / prompts.train.length) + c.maxCompletionLength),
    plotMetrics: ['reward'],
    lossMayRise: true, // a new rollout every few steps: its loss is no trend to watch
    async nextBatch() {
      if (!current || current.usesLeft === 0) current = await rollout();
      current.usesLeft -= 1;
      return current;
    },
    loss(batch, log) {
      const logp = answerLogProbs(model, batch);
      const out = grpoLoss(logp, batch.oldLogp ?? stopGradient(logp), batch.refLogp, batch.advantages, batch.answerMask, c);
      log?.('reward', tf.scalar(batch.rewards.reduce((s, r) => s + r, 0) / batch.rewards.length));
      log?.('kl', out.kl);
      log?.('clip fraction', out.clipFraction);
      log?.('answer length', tf.tidy(() => batch.answerMask.sum(1).mean() as tf.Scalar));
      return out.loss;
    },
    disposeBatch(batch) {
      if (batch.usesLeft > 0) return; // the next steps learn from it again
      disposeRolloutBatch(batch);
      tf.dispose([batch.advantages, batch.oldLogp ?? [], batch.refLogp ?? []]);
      if (current === batch) current = null;
    },
    async evaluate() {
      const { tokens } = await generateBatch(model, prompts.validation, { maxNewTokens: c.maxCompletionLength, temperature: 0, stopIds });
      const rewards = await scored('validation', prompts.validation, tokens);
      const reward = rewards.reduce((s, r) => s + r, 0) / rewards.length;
      return { loss: -reward, metrics: { reward } };
    }
  };
}
