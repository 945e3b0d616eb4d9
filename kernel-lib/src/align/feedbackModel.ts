/**
 * The feedback model of constitutional AI: the judge that says which of two responses follows a
 * principle better. In the paper it is a large model reading the principle; here it is one small
 * reward model per principle (the base model's backbone, copied, and a scalar head, as in
 * models/rewardModel.ts), trained Bradley-Terry (align/reward.ts) on pairs of the base model's own
 * continuations of training prompts that the principle's stand-in ranked (align/constitution.ts).
 *
 * From then on the judge alone labels (AI feedback): it has learned the stand-in only as well as it
 * could from a few hundred pairs, so where it disagrees with the stand-in the pipeline follows the
 * judge. judgeAgreement measures how often they agree on held-out prompts, and lists where not.
 */
import * as tf from '@tensorflow/tfjs';
import { PreferencePair, labelPairs } from '../data/preferences';
import { GPT } from '../models/gpt';
import { GPTRewardModel } from '../models/rewardModel';
import type { Tokenizer } from '../tokenizers/tokenizer';
import { LoopConfig, Trainer } from '../train/trainer';
import { Constitution, checkConstitution, Principle, standInPreference } from './constitution';
import { paddedRows, tokenizePairs } from './pairs';
import { createReferenceModel } from './reference';
import { evaluateRewardModel, pairRewards, rewardObjective } from './reward';

/** One judge per principle, by the principle's name. */
export type FeedbackModels = ReadonlyMap<string, GPTRewardModel>;

/** A new judge: a trainable copy of `base` (base itself is left as it is) and a scalar head. */
export function feedbackModel(base: GPT, seed: number): GPTRewardModel {
  const copy = createReferenceModel(base);
  copy.unfreeze();
  // 'mean': a per-word measure (valence, repetition) adds up over the text; the mean reads every token
  return GPTRewardModel.fromGPT(copy, { seed, pooling: 'mean' });
}

/** The judge of `principle`, or an error naming the judges there are. */
export function judgeOf(judges: FeedbackModels, principle: Principle): GPTRewardModel {
  const judge = judges.get(principle.name);
  if (!judge) throw new Error(`no feedback model for the principle ${JSON.stringify(principle.name)}; the judges are for ${JSON.stringify([...judges.keys()])}`);
  return judge;
}

/**
 * Pairs ranked by the principle's stand-in: for prompt i, the best and the worst of samples[i]
 * under the stand-in. Identical texts and near-ties (stand-in preferences within minMargin) are
 * dropped (data/preferences.ts labelPairs).
 */
export function standInPairs(principle: Principle, prompts: readonly string[], samples: readonly (readonly string[])[], minMargin = 0): PreferencePair[] {
  if (samples.length !== prompts.length) throw new Error(`standInPairs: ${prompts.length} prompts but samples for ${samples.length}`);
  const score = (t: string) => standInPreference(principle, t);
  const ranked = samples.map((s, i) => {
    if (s.length < 2) throw new Error(`standInPairs: prompt ${i} has ${s.length} samples; a pair needs at least 2`);
    return [...s].sort((a, b) => score(b) - score(a));
  });
  return labelPairs(prompts, ranked.map(r => r[0]), ranked.map(r => r[r.length - 1]), score, { minMargin }).pairs;
}

/** How often a judge agrees with the stand-in on pairs the stand-in labelled, and where it does not. */
export interface JudgeAgreement {
  pairs: number;
  /** Share of pairs where the judge rewards the stand-in's chosen text more (a tie counts as disagreement). */
  accuracy: number;
  /** Pairs the judge ranks the other way, with its margin r(chosen) - r(rejected) (<= 0). */
  disagreements: (PreferencePair & { judgeMargin: number })[];
}

export async function judgeAgreement(judge: GPTRewardModel, tokenizer: Tokenizer, pairs: readonly PreferencePair[]): Promise<JudgeAgreement> {
  if (pairs.length === 0) throw new Error('judgeAgreement: no pairs to judge');
  const { chosen, rejected } = await pairRewards(judge, tokenizePairs(tokenizer, pairs));
  const margins = chosen.map((r, i) => r - rejected[i]);
  const disagreements = pairs.map((p, i) => ({ ...p, judgeMargin: margins[i] })).filter(p => !(p.judgeMargin > 0));
  return { pairs: pairs.length, accuracy: 1 - disagreements.length / pairs.length, disagreements };
}

export interface FeedbackTraining {
  /** Pairs per step (align/reward.ts RewardConfig.batchSize). */
  batchSize: number;
  /** The Trainer's loop: steps, learningRate ... */
  loop: Partial<LoopConfig> & Pick<LoopConfig, 'steps' | 'learningRate'>;
  /**
   * Pairs whose stand-in preferences differ by no more than this are dropped (standInPairs), for
   * training and for the agreement: one number for every principle, or one per principle name
   * (the stand-ins' scales differ). Default 0.
   */
  minMargin?: number | Record<string, number>;
  seed?: number;
}

/**
 * One judge per principle, each trained on the stand-in's pairs of the training prompts' samples,
 * and measured on the held-out prompts' pairs (never trained on). Samples are the base model's own
 * continuations, several per prompt. Returns the judges and, per principle, the agreement.
 */
export async function trainFeedbackModels(
  base: GPT,
  tokenizer: Tokenizer,
  constitution: Constitution,
  samples: { train: { prompts: string[]; samples: string[][] }; heldOut: { prompts: string[]; samples: string[][] } },
  options: FeedbackTraining
): Promise<{ judges: Map<string, GPTRewardModel>; agreement: Record<string, JudgeAgreement & { trainPairs: number }> }> {
  checkConstitution(constitution);
  const { batchSize, loop, minMargin = 0, seed = 0 } = options;
  const marginOf = (p: Principle) => (typeof minMargin === 'number' ? minMargin : (minMargin[p.name] ?? 0));
  const data = constitution.map(p => ({
    principle: p,
    train: standInPairs(p, samples.train.prompts, samples.train.samples, marginOf(p)),
    heldOut: standInPairs(p, samples.heldOut.prompts, samples.heldOut.samples, marginOf(p))
  }));
  for (const d of data) for (const split of ['train', 'heldOut'] as const) {
    if (d[split].length === 0) throw new Error(`trainFeedbackModels: the stand-in of ${JSON.stringify(d.principle.name)} ranks no ${split} pair (all tied within minMargin ${marginOf(d.principle)})`);
  }
  const judges = new Map<string, GPTRewardModel>();
  const agreement: Record<string, JudgeAgreement & { trainPairs: number }> = {};
  for (const [i, d] of data.entries()) {
    const judge = feedbackModel(base, seed + i);
    const pairs = { train: tokenizePairs(tokenizer, d.train), validation: tokenizePairs(tokenizer, d.heldOut) };
    const trainer = new Trainer(rewardObjective(judge, pairs, { batchSize, seed: seed + i }), { evalEvery: loop.steps, live: false, title: `feedback model: ${d.principle.name}`, ...loop });
    await trainer.train();
    trainer.dispose();
    judges.set(d.principle.name, judge);
    agreement[d.principle.name] = { ...(await judgeAgreement(judge, tokenizer, d.heldOut)), trainPairs: d.train.length };
  }
  return { judges, agreement };
}

/**
 * The judge's reward of every prefix of each sequence: out[i][t] is the reward of sequences[i]
 * cut after token t, from one forward pass. Attention is causal, so the hidden state at t is the
 * one the prefix alone would give; the head is linear, so 'last' pooling's reward of the prefix is
 * the head at t, and 'mean' pooling's is the running mean of the head over tokens 0..t.
 */
export async function prefixRewards(judge: GPTRewardModel, sequences: number[][], batchSize = 32): Promise<number[][]> {
  const { blockSize, vocabSize } = judge.gptConfig;
  sequences.forEach((s, i) => {
    if (s.length === 0 || s.length > blockSize) throw new Error(`prefixRewards: sequence ${i} has ${s.length} tokens; it must have 1 to blockSize (${blockSize})`);
    const bad = s.findIndex(id => !(Number.isInteger(id) && id >= 0 && id < vocabSize));
    if (bad >= 0) throw new Error(`prefixRewards: sequence ${i} has token ${s[bad]} at position ${bad}, outside the vocabulary [0, ${vocabSize})`);
  });
  const out: number[][] = [];
  for (let i = 0; i < sequences.length; i += batchSize) {
    const rows = sequences.slice(i, i + batchSize);
    const b = paddedRows(rows, rows.map(() => 0));
    const perToken = tf.tidy(() => {
      const hidden = judge.transformer.forward(b.ids).hidden; // (B, T, C)
      return tf.matMul(hidden, judge.score.weight.expandDims(0).tile([rows.length, 1, 1]), false, true).squeeze([2]); // (B, T)
    });
    const T = perToken.shape[1]!;
    const values = await perToken.data();
    tf.dispose([b.ids, b.attentionMask, b.lossMask, perToken]);
    rows.forEach((row, r) => {
      let sum = 0;
      out.push(row.map((_, t) => {
        const s = values[r * T + t];
        sum += s;
        return judge.score.pooling === 'mean' ? sum / (t + 1) : s;
      }));
    });
  }
  return out;
}
