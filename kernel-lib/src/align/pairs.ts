/**
 * Preference pairs, the data of a reward model and of DPO: one prompt, two answers to it, and which
 * one was preferred. In a batch each pair gives two rows, prompt + chosen and prompt + rejected,
 * read by the model in one forward pass (TRL's "concatenated forward"): rows 0..B-1 are the chosen
 * answers, rows B..2B-1 the rejected ones, in the same order.
 *
 *   ids           prompt tokens | answer tokens | padding      (2B, T), right-padded to the longest row
 *   attentionMask 1 ...       1 | 1 ...       1 | 0 ...        real tokens: the reward model reads the last one
 *   lossMask      0 ...       0 | 1 ...       1 | 0 ...        answer tokens: their log-probs are DPO's
 *
 * Attention is causal, so the padding after a row never changes what the model computes for the
 * row's own tokens: a padded batch gives every pair the numbers it would get alone.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, seededRandom, shuffled } from '../random';
import type { Tokenizer } from '../tokenizers/tokenizer';

/** Token ids: a prompt, and the answer preferred to it (chosen) and the one not (rejected). */
export interface TokenizedPreferencePair {
  prompt: number[];
  chosen: number[];
  rejected: number[];
}

/**
 * Text pairs (data/preferences.ts labels them) as token ids: the prompt and each answer encoded on
 * their own, so the answer starts exactly where the prompt ends.
 */
export function tokenizePairs(tokenizer: Tokenizer, pairs: readonly { prompt: string; chosen: string; rejected: string }[]): TokenizedPreferencePair[] {
  return pairs.map(p => ({ prompt: tokenizer.encode(p.prompt), chosen: tokenizer.encode(p.chosen), rejected: tokenizer.encode(p.rejected) }));
}

/** Pairs to train on, and held-out pairs (other prompts) to judge the model by. */
export interface PreferenceData {
  train: TokenizedPreferencePair[];
  validation: TokenizedPreferencePair[];
}

export interface PreferenceBatch {
  /** (2B, T) int32: prompt + chosen for rows 0..B-1, prompt + rejected for rows B..2B-1. */
  ids: tf.Tensor2D;
  /** (2B, T) 1 on every real token, 0 on padding. */
  attentionMask: tf.Tensor2D;
  /** (2B, T) 1 on the answer's tokens, 0 on the prompt and padding. */
  lossMask: tf.Tensor2D;
  /** B: how many pairs. */
  pairs: number;
}

export interface PairLimits {
  /** The most tokens a row (prompt + answer) may have: the model's context, or less. */
  maxLength: number;
  vocabSize: number;
  /** The fewest prompt tokens (DPO: 1, since the first token of a row is never scored). */
  minPromptLength: number;
}

const show = (ids: number[]) => (ids.length <= 12 ? `[${ids.join(', ')}]` : `[${ids.slice(0, 12).join(', ')}, ... ${ids.length} tokens]`);

/** Check pairs before any work: errors name the pair's index and what is wrong with it. */
export function checkTokenizedPairs(where: string, pairs: TokenizedPreferencePair[], limits: PairLimits): void {
  if (!Array.isArray(pairs) || pairs.length === 0) throw new Error(`${where}: no preference pairs`);
  const { maxLength, vocabSize, minPromptLength } = limits;
  pairs.forEach((pair, i) => {
    const at = `${where}: pair ${i}`;
    for (const part of ['prompt', 'chosen', 'rejected'] as const) {
      const ids = pair?.[part];
      if (!Array.isArray(ids)) throw new Error(`${at}: ${part} must be an array of token ids, got ${JSON.stringify(ids)}`);
      const bad = ids.findIndex(id => !(Number.isInteger(id) && id >= 0 && id < vocabSize));
      if (bad >= 0) throw new Error(`${at}: ${part}[${bad}] = ${ids[bad]} is outside the vocabulary [0, ${vocabSize})`);
    }
    const { prompt, chosen, rejected } = pair;
    if (prompt.length < minPromptLength) {
      throw new Error(`${at}: the prompt has ${prompt.length} tokens, fewer than ${minPromptLength}: an answer's first token is scored from the tokens before it (a BOS token will do)`);
    }
    for (const part of ['chosen', 'rejected'] as const) {
      if (pair[part].length === 0) throw new Error(`${at}: the ${part} answer is empty (prompt ${show(prompt)})`);
      const n = prompt.length + pair[part].length;
      if (n > maxLength) throw new Error(`${at}: prompt (${prompt.length} tokens) + ${part} (${pair[part].length}) = ${n} tokens, more than maxLength ${maxLength}; shorten it or leave it out`);
    }
    if (chosen.length === rejected.length && chosen.every((id, t) => id === rejected[t])) {
      throw new Error(`${at}: chosen and rejected are the same answer ${show(chosen)}; a pair must prefer one answer to another`);
    }
  });
}

/**
 * Rows of token ids as one right-padded batch (R, T): ids, attentionMask on the real tokens, and
 * lossMask on each row's tokens from answerStarts[r] on (its answer).
 */
export function paddedRows(rows: number[][], answerStarts: number[], padId = 0): { ids: tf.Tensor2D; attentionMask: tf.Tensor2D; lossMask: tf.Tensor2D } {
  const R = rows.length;
  const T = Math.max(...rows.map(r => r.length));
  const ids = new Int32Array(R * T).fill(padId);
  const attention = new Float32Array(R * T);
  const loss = new Float32Array(R * T);
  rows.forEach((row, r) => {
    ids.set(row, r * T);
    attention.fill(1, r * T, r * T + row.length);
    loss.fill(1, r * T + answerStarts[r], r * T + row.length);
  });
  return { ids: tf.tensor2d(ids, [R, T], 'int32'), attentionMask: tf.tensor2d(attention, [R, T]), lossMask: tf.tensor2d(loss, [R, T]) };
}

/** Pairs as one batch: chosen rows first, then rejected rows, right-padded with padId. */
export function preferenceBatch(pairs: TokenizedPreferencePair[], padId = 0): PreferenceBatch {
  const rows = [...pairs.map(p => [...p.prompt, ...p.chosen]), ...pairs.map(p => [...p.prompt, ...p.rejected])];
  const starts = [...pairs, ...pairs].map(p => p.prompt.length);
  return { ...paddedRows(rows, starts, padId), pairs: pairs.length };
}

export function disposePreferenceBatch(b: PreferenceBatch): void {
  tf.dispose([b.ids, b.attentionMask, b.lossMask]);
}

/** A per-row tensor (2B, ...) of a batch split into its chosen rows and its rejected rows (B, ...) each. */
export function chosenAndRejected<T extends tf.Tensor>(rows: T, pairs: number): [T, T] {
  const [chosen, rejected] = tf.split(rows, [pairs, pairs], 0);
  return [chosen as T, rejected as T];
}

/** Batches of pairs in a seeded random order, each pair once per epoch. */
export class PairBatches {
  private order: TokenizedPreferencePair[] = [];
  private readonly rng: Rng;

  constructor(private readonly pairs: TokenizedPreferencePair[], private readonly batchSize: number, seed: number) {
    this.rng = seededRandom(seed);
  }

  next(): TokenizedPreferencePair[] {
    while (this.order.length < this.batchSize) this.order.push(...shuffled(this.pairs, this.rng));
    return this.order.splice(0, this.batchSize);
  }
}

/** Pairs in batches of at most `size`, in order (for evaluation). */
export function inBatches(pairs: TokenizedPreferencePair[], size: number): TokenizedPreferencePair[][] {
  const out: TokenizedPreferencePair[][] = [];
  for (let i = 0; i < pairs.length; i += size) out.push(pairs.slice(i, i + size));
  return out;
}

/** The mean number of tokens a pair's two rows hold: the throughput's unit. */
export function tokensPerPair(pairs: TokenizedPreferencePair[]): number {
  return pairs.reduce((n, p) => n + 2 * p.prompt.length + p.chosen.length + p.rejected.length, 0) / pairs.length;
}
