/**
 * In-context learning on synthetic tasks. A sequence shows input→output pairs of ONE mapping drawn
 * from a family; nothing says which mapping. A model trained on many such sequences (meta-training)
 * can only predict an output by inferring the mapping from the pairs before it, so its accuracy on
 * the (k+1)-th output is its k-shot accuracy: k examples in its context, no weight changed.
 *
 * Two families, each needing a different kind of inference:
 * - 'shift': digits, y = (x + c) mod 10 with c in 1..9. The inputs of a sequence are distinct, so a
 *   query is never among its examples: it must be answered by the rule (c = y - x of any example).
 * - 'substitution': a random one-to-one code of the letters a-h. Inputs repeat (drawn with
 *   replacement), and a query's answer can only be found by looking up an earlier pair with the
 *   same input. One in HELD_OUT_EVERY codes is held out: training never draws it, the test only does.
 *
 * Token ids are positions in IN_CONTEXT_SYMBOLS; a sequence is x1 y1 x2 y2 ... (no separators), its
 * loss mask is 1 on the outputs (the format sftObjective trains on).
 */
import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../models/gpt';
import { randomInt, Rng, seededRandom, shuffled } from '../random';

export type InContextFamily = 'shift' | 'substitution';
export const IN_CONTEXT_FAMILIES: readonly InContextFamily[] = ['shift', 'substitution'];

const DIGITS = '0123456789';
const LETTERS = 'abcdefgh';
/** The vocabulary: token id i is the symbol IN_CONTEXT_SYMBOLS[i]. */
export const IN_CONTEXT_SYMBOLS = DIGITS + LETTERS;
/** One substitution code in this many is held out of training (by a hash of its table). */
export const HELD_OUT_EVERY = 5;

export interface InContextSequence {
  family: InContextFamily;
  /** The mapping, e.g. "+3" for a shift, "a→c b→h ..." for a code. */
  mapping: string;
  /** The input→output pairs, in order: [x, y] symbols. */
  pairs: [string, string][];
  ids: number[];
  /** 1 on the outputs (odd positions), 0 on the inputs. */
  lossMask: number[];
}

export interface InContextOptions {
  /** How many sequences. */
  count: number;
  /** Pairs per sequence: outputs 1..pairs are its 0- to (pairs-1)-shot questions; at most 10 (shift's distinct digits). */
  pairs: number;
  /** 'train' never draws a held-out code; 'test' draws only held-out codes. */
  split: 'train' | 'test';
  seed: number;
  /** Families drawn with equal probability; default both. */
  families?: readonly InContextFamily[];
}

/** FNV-1a of a code's table: which codes are held out, the same in every run. */
function tableHash(table: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < table.length; i++) h = Math.imul(h ^ table.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Whether a substitution code (its outputs for a..h, e.g. "cbhadgef") is one the test keeps to itself. */
export function isHeldOutCode(table: string): boolean {
  return tableHash(table) % HELD_OUT_EVERY === 0;
}

function shiftSequence(rng: Rng, pairs: number): Omit<InContextSequence, 'ids' | 'lossMask'> {
  const c = 1 + randomInt(rng, 9);
  const inputs = shuffled(DIGITS.split(''), rng).slice(0, pairs);
  return { family: 'shift', mapping: `+${c}`, pairs: inputs.map(x => [x, DIGITS[(Number(x) + c) % 10]]) };
}

function substitutionSequence(rng: Rng, pairs: number, split: 'train' | 'test'): Omit<InContextSequence, 'ids' | 'lossMask'> {
  let table: string;
  do table = shuffled(LETTERS.split(''), rng).join('');
  while (isHeldOutCode(table) !== (split === 'test'));
  const code = new Map(LETTERS.split('').map((x, i) => [x, table[i]]));
  const inputs = Array.from({ length: pairs }, () => LETTERS[randomInt(rng, LETTERS.length)]);
  return { family: 'substitution', mapping: LETTERS.split('').map(x => `${x}→${code.get(x)}`).join(' '), pairs: inputs.map(x => [x, code.get(x)!]) };
}

/** Sequences of k input→output pairs, each of a mapping drawn afresh; the same for the same options. */
export function inContextSequences(options: InContextOptions): InContextSequence[] {
  const { count, pairs, split, seed, families = IN_CONTEXT_FAMILIES } = options;
  if (!(Number.isInteger(count) && count >= 1)) throw new Error(`inContextSequences: count must be a positive integer, got ${count}`);
  if (!(Number.isInteger(pairs) && pairs >= 1 && pairs <= DIGITS.length)) throw new Error(`inContextSequences: pairs must be an integer in [1, ${DIGITS.length}], got ${pairs}`);
  if (families.length === 0 || families.some(f => !IN_CONTEXT_FAMILIES.includes(f))) {
    throw new Error(`inContextSequences: families must be some of ${IN_CONTEXT_FAMILIES.join(', ')}, got [${families.join(', ')}]`);
  }
  const rng = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const family = families[randomInt(rng, families.length)];
    const s = family === 'shift' ? shiftSequence(rng, pairs) : substitutionSequence(rng, pairs, split);
    return { ...s, ids: s.pairs.flat().map(ch => IN_CONTEXT_SYMBOLS.indexOf(ch)), lossMask: s.pairs.flatMap(() => [0, 1]) };
  });
}

/** "3→6 5→8 1→?": the first `shots` pairs and the next input, the question asked after k examples. */
export function describeShots(sequence: InContextSequence, shots: number): string {
  if (!(Number.isInteger(shots) && shots >= 0 && shots < sequence.pairs.length)) {
    throw new Error(`describeShots: shots must be an integer in [0, ${sequence.pairs.length - 1}], got ${shots}`);
  }
  return [...sequence.pairs.slice(0, shots).map(([x, y]) => `${x}→${y}`), `${sequence.pairs[shots][0]}→?`].join(' ');
}

/**
 * accuracy[k]: the share of sequences whose (k+1)-th output is the model's most likely next token
 * after k pairs and the (k+1)-th input; seenBefore[k]: the share of those questions whose input is
 * among the k pairs shown (answerable by looking it up).
 */
export async function accuracyByShots(model: GPT, sequences: InContextSequence[], batchSize = 256): Promise<{ accuracy: number[]; seenBefore: number[] }> {
  if (sequences.length === 0) throw new Error('accuracyByShots: no sequences');
  const P = sequences[0].pairs.length;
  const bad = sequences.findIndex(s => s.pairs.length !== P);
  if (bad >= 0) throw new Error(`accuracyByShots: sequence ${bad} has ${sequences[bad].pairs.length} pairs, the first has ${P}`);
  const correct = new Array<number>(P).fill(0);
  for (let i = 0; i < sequences.length; i += batchSize) {
    const chunk = sequences.slice(i, i + batchSize);
    const predicted = tf.tidy(() => {
      const ids = tf.tensor2d(chunk.map(s => s.ids), [chunk.length, 2 * P], 'int32');
      const inputPositions = tf.range(0, 2 * P, 2, 'int32'); // position 2k (the input x_{k+1}) predicts 2k+1 (its output)
      return model.forward(ids).logits.gather(inputPositions, 1).argMax(-1); // (B, P)
    });
    const rows = (await predicted.array()) as number[][];
    predicted.dispose();
    rows.forEach((row, b) => row.forEach((id, k) => (correct[k] += id === chunk[b].ids[2 * k + 1] ? 1 : 0)));
  }
  const seen = Array.from({ length: P }, (_, k) => sequences.filter(s => s.pairs.slice(0, k).some(([x]) => x === s.pairs[k][0])).length);
  return { accuracy: correct.map(c => c / sequences.length), seenBefore: seen.map(n => n / sequences.length) };
}
