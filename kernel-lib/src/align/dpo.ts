/**
 * Direct Preference Optimization (Rafailov et al. 2023; TRL's DPOTrainer): align a policy on
 * preference pairs without a reward model or sampling. The policy's implicit reward of an answer is
 *
 *   r(x, y) = beta · (log π(y | x) - log π_ref(y | x))
 *
 * and the loss is the Bradley-Terry loss of those rewards, -log sigmoid(r_chosen - r_rejected):
 * raise the chosen answer's log-prob relative to the reference, lower the rejected one's. beta says
 * how far from the reference the policy may go (small beta: far). With labelSmoothing ε (cDPO) a
 * pair's label is taken as wrong with probability ε: the loss is (1-ε)·that + ε·the flipped one.
 *
 * The log-probs are sums over each answer's tokens (train/sequenceLogProbs.ts), chosen and rejected
 * rows read in one forward pass (align/pairs.ts). The reference's are computed when the batch is
 * made, outside the step's gradient (align/reference.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt, Evaluation, Objective } from '../train/objective';
import { CausalLM, sequenceLogProbs } from '../train/sequenceLogProbs';
import { chosenAndRejected, checkTokenizedPairs, disposePreferenceBatch, inBatches, PairBatches, PreferenceBatch, PreferenceData, preferenceBatch, TokenizedPreferencePair, tokensPerPair } from './pairs';
import { Policy, policyModel, Reference, resolveReference } from './reference';

/** What is particular to DPO (the loop's learning rate, steps ... are the Trainer's). */
export interface DPOConfig {
  /** Pairs per step. */
  batchSize: number;
  /** How strongly the policy is held to the reference (TRL's beta); > 0, default 0.1. */
  beta?: number;
  /** TRL's label_smoothing (cDPO): the chance that a pair's label is wrong, in [0, 0.5); default 0. */
  labelSmoothing?: number;
  /** The most tokens of prompt + answer (default and at most the policy's context); a longer pair is an error. */
  maxLength?: number;
  /** Seed of the batch order. */
  seed?: number;
  /** Fills rows after their end; never read. Default 0. */
  padId?: number;
}

export interface DpoLoss {
  /** The mean loss over the pairs (scalar): differentiable w.r.t. the policy's log-probs. */
  loss: tf.Scalar;
  /** beta (log π - log π_ref) of each chosen answer, (B,). */
  chosenRewards: tf.Tensor1D;
  rejectedRewards: tf.Tensor1D;
  /** chosenRewards - rejectedRewards, (B,). */
  margins: tf.Tensor1D;
  /** Share of pairs whose chosen answer has the higher implicit reward (scalar). */
  accuracy: tf.Scalar;
}

export function checkBeta(where: string, beta: number): void {
  if (!(typeof beta === 'number' && beta > 0 && Number.isFinite(beta))) {
    throw new Error(`${where}: beta must be a number > 0 (how strongly the policy is held to the reference; TRL's default is 0.1), got ${beta}`);
  }
}

function checkLabelSmoothing(where: string, eps: number): void {
  if (!(typeof eps === 'number' && eps >= 0 && eps < 0.5)) throw new Error(`${where}: labelSmoothing must be in [0, 0.5), got ${eps}`);
}

/** DPO's loss and implicit rewards from the summed answer log-probs (B,) of policy and reference. */
export function dpoLoss(policyChosenLogps: tf.Tensor1D, policyRejectedLogps: tf.Tensor1D, refChosenLogps: tf.Tensor1D, refRejectedLogps: tf.Tensor1D, beta: number, labelSmoothing = 0): DpoLoss {
  checkBeta('dpoLoss', beta);
  checkLabelSmoothing('dpoLoss', labelSmoothing);
  const shapes = [policyChosenLogps, policyRejectedLogps, refChosenLogps, refRejectedLogps].map(t => `[${t.shape}]`);
  if (policyChosenLogps.rank !== 1 || new Set(shapes).size !== 1) throw new Error(`dpoLoss: the four log-probs must have one shape (B,), got ${shapes.join(', ')}`);
  return tf.tidy(() => {
    const chosenRewards = policyChosenLogps.sub(refChosenLogps).mul(beta) as tf.Tensor1D;
    const rejectedRewards = policyRejectedLogps.sub(refRejectedLogps).mul(beta) as tf.Tensor1D;
    const margins = chosenRewards.sub(rejectedRewards) as tf.Tensor1D; // beta ((π_c - ref_c) - (π_r - ref_r))
    // -log sigmoid(m) = softplus(-m) (tf.logSigmoid's gradient reads its input after a tidy has freed it)
    let losses = tf.softplus(margins.neg());
    if (labelSmoothing > 0) losses = losses.mul(1 - labelSmoothing).add(tf.softplus(margins).mul(labelSmoothing));
    return { loss: losses.mean() as tf.Scalar, chosenRewards, rejectedRewards, margins, accuracy: margins.greater(0).toFloat().mean() as tf.Scalar };
  });
}

/** The summed log-probs of a batch's chosen and of its rejected answers under `model`, (B,) each. */
export function pairLogProbs(model: CausalLM, batch: PreferenceBatch): [tf.Tensor1D, tf.Tensor1D] {
  return tf.tidy(() => chosenAndRejected(sequenceLogProbs(model, batch.ids, batch.lossMask).sum, batch.pairs));
}

export interface DpoBatch extends PreferenceBatch {
  /** The reference's summed log-probs of the chosen and the rejected answers, (B,) each. */
  refChosenLogps: tf.Tensor1D;
  refRejectedLogps: tf.Tensor1D;
}

export interface DpoEvaluation {
  loss: number;
  'reward margin': number;
  'reward accuracy': number;
  'chosen logp': number;
  'rejected logp': number;
}

/** The policy against the reference on pairs: mean loss, margin, accuracy and the policy's log-probs. */
export async function evaluateDPO(policy: Policy, reference: Reference, pairs: TokenizedPreferencePair[], config: Pick<DPOConfig, 'beta' | 'labelSmoothing' | 'batchSize' | 'padId'>): Promise<DpoEvaluation> {
  const { beta = 0.1, labelSmoothing = 0, batchSize, padId = 0 } = config;
  const model = policyModel(policy);
  const sums = { loss: 0, 'reward margin': 0, 'reward accuracy': 0, 'chosen logp': 0, 'rejected logp': 0 };
  for (const part of inBatches(pairs, batchSize)) {
    const batch = preferenceBatch(part, padId);
    const n = part.length;
    const totals = tf.tidy(() => {
      const [refChosen, refRejected] = reference.withModel(m => pairLogProbs(m, batch));
      const [chosen, rejected] = pairLogProbs(model, batch);
      const out = dpoLoss(chosen, rejected, refChosen, refRejected, beta, labelSmoothing);
      return tf.stack([out.loss.mul(n), out.margins.sum(), out.accuracy.mul(n), chosen.sum(), rejected.sum()]);
    });
    const [loss, margin, accuracy, c, r] = await totals.data();
    Object.assign(sums, { loss: sums.loss + loss, 'reward margin': sums['reward margin'] + margin, 'reward accuracy': sums['reward accuracy'] + accuracy, 'chosen logp': sums['chosen logp'] + c, 'rejected logp': sums['rejected logp'] + r });
    totals.dispose();
    disposePreferenceBatch(batch);
  }
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / pairs.length])) as unknown as DpoEvaluation;
}

/**
 * DPO of `policy` (a GPT, or a LoRA PeftModel) against `reference` (a frozen GPT of the same shape;
 * null or the policy itself for a LoRA policy: its base with the adapters off) on `data.train`,
 * judged on `data.validation`. Every check comes first: a bad config changes nothing.
 */
export function dpoObjective(policy: Policy, reference: Policy | null, data: PreferenceData, config: DPOConfig): Objective<DpoBatch> {
  const model = policyModel(policy);
  const { blockSize, vocabSize } = model.config;
  const contextLength = model.contextLength;
  const c = { beta: 0.1, labelSmoothing: 0, maxLength: contextLength, seed: 0, padId: 0, ...config };
  checkBeta('DPO config', c.beta);
  checkLabelSmoothing('DPO config', c.labelSmoothing);
  checkPositiveInt('DPO config: batchSize', c.batchSize);
  if (!(Number.isInteger(c.maxLength) && c.maxLength >= 2 && c.maxLength <= contextLength)) throw new Error(`DPO config: maxLength must be an integer in [2, the policy's context ${contextLength}${contextLength < blockSize ? ` (blockSize ${blockSize} less virtual tokens)` : ''}], got ${c.maxLength}`);
  if (!(Number.isInteger(c.padId) && c.padId >= 0 && c.padId < vocabSize)) throw new Error(`DPO config: padId ${c.padId} is outside the vocabulary [0, ${vocabSize})`);
  const limits = { maxLength: c.maxLength, vocabSize, minPromptLength: 1 };
  checkTokenizedPairs('DPO: train', data?.train, limits);
  checkTokenizedPairs('DPO: validation', data.validation, limits);
  const ref = resolveReference('dpoObjective', policy, reference); // last: it freezes a reference model
  const batches = new PairBatches(data.train, c.batchSize, c.seed);
  return {
    name: `DPO (beta ${c.beta}, reference: ${ref.kind})`,
    model,
    tokensPerBatch: Math.round(c.batchSize * tokensPerPair(data.train)),
    plotMetrics: ['reward margin', 'reward accuracy', 'chosen logp', 'rejected logp'],
    nextBatch() {
      const batch = preferenceBatch(batches.next(), c.padId);
      const [refChosenLogps, refRejectedLogps] = ref.withModel(m => pairLogProbs(m, batch)); // outside the step's tape
      return { ...batch, refChosenLogps, refRejectedLogps };
    },
    loss(batch, log) {
      const [chosen, rejected] = pairLogProbs(model, batch);
      const out = dpoLoss(chosen, rejected, batch.refChosenLogps, batch.refRejectedLogps, c.beta, c.labelSmoothing);
      log?.('chosen logp', tf.tidy(() => chosen.mean() as tf.Scalar));
      log?.('rejected logp', tf.tidy(() => rejected.mean() as tf.Scalar));
      log?.('reward margin', tf.tidy(() => out.margins.mean() as tf.Scalar));
      log?.('reward accuracy', out.accuracy);
      return out.loss;
    },
    disposeBatch(batch) {
      disposePreferenceBatch(batch);
      tf.dispose([batch.refChosenLogps, batch.refRejectedLogps]);
    },
    async evaluate(): Promise<Evaluation> {
      const { loss, ...metrics } = await evaluateDPO(policy, ref, data.validation, c);
      return { loss, metrics };
    }
  };
}
