/**
 * Data augmentation for text classification: more training texts from the ones we have, by edits
 * small enough that the label still holds (two of the four edits of EDA, Wei & Zou 2019):
 *  - random deletion: each word goes with probability p ("the film was not good" -> "film was not good")
 *  - random swap: a few pairs of neighbouring words trade places ("was not" -> "not was")
 * Words are the text's runs of non-space characters; an edited text joins them with single spaces.
 * Seeded and pure: the same text and options give the same result.
 */
import { randomInt, seededRandom } from '../random';

const words = (text: string) => text.split(/\s+/).filter(w => w.length > 0);

/** Leave out each word with probability p; a text keeps at least one word (a random one when all would go). */
export function randomDeletion(text: string, options: { p: number; seed: number }): string {
  const { p, seed } = options;
  if (!(p >= 0 && p < 1)) throw new Error(`randomDeletion: p must be in [0, 1), got ${p}`);
  const rng = seededRandom(seed);
  const all = words(text);
  const kept = all.filter(() => rng() >= p);
  if (kept.length === 0 && all.length > 0) return all[randomInt(rng, all.length)];
  return kept.join(' ');
}

/** Swap `swaps` times a random word with the word after it. */
export function randomSwap(text: string, options: { swaps: number; seed: number }): string {
  const { swaps, seed } = options;
  if (!(Number.isInteger(swaps) && swaps >= 0)) throw new Error(`randomSwap: swaps must be an integer >= 0, got ${swaps}`);
  const rng = seededRandom(seed);
  const w = words(text);
  if (w.length < 2) return w.join(' ');
  for (let s = 0; s < swaps; s++) {
    const i = randomInt(rng, w.length - 1);
    [w[i], w[i + 1]] = [w[i + 1], w[i]];
  }
  return w.join(' ');
}

export interface AugmentOptions {
  /** Edited copies per example. */
  copies: number;
  /** Word deletion probability of each copy; default 0.1. */
  p?: number;
  /** Neighbour swaps of each copy; default 1. */
  swaps?: number;
  seed: number;
}

/**
 * The examples, then `copies` edited copies of each (deletion, then swaps), with every other field
 * (the label) kept: a training set (copies + 1) times as large. Augment the training split only;
 * held-out texts stay as they are.
 */
export function augmentExamples<T extends { text: string }>(examples: T[], options: AugmentOptions): T[] {
  const { copies, p = 0.1, swaps = 1, seed } = options;
  if (!(Number.isInteger(copies) && copies >= 0)) throw new Error(`augmentExamples: copies must be an integer >= 0, got ${copies}`);
  const rng = seededRandom(seed);
  const out = [...examples];
  for (let c = 0; c < copies; c++) {
    for (const ex of examples) {
      const deleted = randomDeletion(ex.text, { p, seed: randomInt(rng, 2 ** 31) });
      out.push({ ...ex, text: randomSwap(deleted, { swaps, seed: randomInt(rng, 2 ** 31) }) });
    }
  }
  return out;
}
