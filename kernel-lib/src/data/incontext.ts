/**
 * In-context learning on synthetic tasks. A sequence shows input→output examples of ONE mapping
 * drawn from a family; nothing says which mapping. A model trained on many such sequences
 * (meta-training) can only answer a question by inferring the mapping from the examples before it,
 * so its accuracy on the (k+1)-th question is its k-shot accuracy: k examples in its context, no
 * weight changed.
 *
 * Two families, each needing a different kind of inference:
 * - 'shift': digits, y = (x + c) mod 10 with c in 1..9. The inputs of a sequence are distinct, so a
 *   question is never among its examples: it must be answered by the rule (c = y - x of any example).
 * - 'substitution': a random one-to-one code of the letters a-h. Inputs repeat (drawn with
 *   replacement): a question is answered by finding an earlier example with the same input, or,
 *   for a new input, by ruling out the letters the code already gave to others. One in
 *   HELD_OUT_EVERY codes is held out: training never draws it, the test only does.
 *
 * How a sequence is written: x1 [x1→y1] x2 [x2→y2] ... Each input is a token (a question), and the
 * answer that follows it is ONE token naming the whole example, "x→y" (IN_CONTEXT_TOKENS). So a
 * question is answered by predicting the right example token, and every answer stays in the
 * context as a solved example for the questions after it. With one token per example a single
 * attention layer can match a question against the examples; written as two tokens (x, then y),
 * the match needs two layers working together, an induction circuit (notebook 03), which a small
 * model finds far later. The loss mask is 1 on the example tokens (the format sftObjective trains on).
 */
import * as tf from '@tensorflow/tfjs';
import type { GPT } from '../models/gpt';
import { randomInt, Rng, seededRandom, shuffled } from '../random';

export type InContextFamily = 'shift' | 'substitution';
export const IN_CONTEXT_FAMILIES: readonly InContextFamily[] = ['shift', 'substitution'];

const DIGITS = '0123456789';
const LETTERS = 'abcdefgh';
/** The inputs and outputs: digits for shifts, letters for codes. */
export const IN_CONTEXT_SYMBOLS = DIGITS + LETTERS;
const examplesOf = (alphabet: string) => alphabet.split('').flatMap(x => alphabet.split('').map(y => `${x}→${y}`));
/** The vocabulary: token id i is IN_CONTEXT_TOKENS[i]: first the symbols, then one token per example, "x→y" (digit to digit, letter to letter). */
export const IN_CONTEXT_TOKENS: readonly string[] = [...IN_CONTEXT_SYMBOLS, ...examplesOf(DIGITS), ...examplesOf(LETTERS)];
const TOKEN_IDS = new Map(IN_CONTEXT_TOKENS.map((t, i) => [t, i]));

/** The id of a symbol ("3") or of an example token ("3→6"); an unknown token is an error. */
export function inContextTokenId(token: string): number {
  const id = TOKEN_IDS.get(token);
  if (id === undefined) throw new Error(`inContextTokenId: ${JSON.stringify(token)} is not a symbol (${IN_CONTEXT_SYMBOLS}) nor an example of two digits or two letters such as "3→6"`);
  return id;
}
/** One substitution code in this many is held out of training (by a hash of its table). */
export const HELD_OUT_EVERY = 5;

export interface InContextSequence {
  family: InContextFamily;
  /** The mapping, e.g. "+3" for a shift, "a→c b→h ..." for a code. */
  mapping: string;
  /** The input→output pairs, in order: [x, y] symbols. */
  pairs: [string, string][];
  /** x1 [x1→y1] x2 [x2→y2] ...: ids of IN_CONTEXT_TOKENS. */
  ids: number[];
  /** 1 on the example tokens (odd positions), 0 on the inputs. */
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
    return { ...s, ids: s.pairs.flatMap(([x, y]) => [inContextTokenId(x), inContextTokenId(`${x}→${y}`)]), lossMask: s.pairs.flatMap(() => [0, 1]) };
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
 * The chance that a perfect in-context learner answers the (k+1)-th question of a sequence after
 * its k examples: a shift is known from one example (before any, c is one of 9); a code answers a
 * seen input for sure, and a new one with one of the letters no seen input was given.
 */
function idealChance(sequence: InContextSequence, k: number): number {
  const [x] = sequence.pairs[k];
  const seenInputs = new Set(sequence.pairs.slice(0, k).map(([input]) => input));
  if (sequence.family === 'shift') return k === 0 ? 1 / 9 : 1;
  return seenInputs.has(x) ? 1 : 1 / (LETTERS.length - seenInputs.size);
}

export interface ShotAccuracy {
  /** accuracy[k]: the share of questions answered right after k examples. */
  accuracy: number[];
  /** seenBefore[k]: the share of those questions whose input is among the k examples. */
  seenBefore: number[];
  /** ideal[k]: the expected accuracy of a perfect in-context learner on the same questions. */
  ideal: number[];
  /** onSeen[k], onNew[k]: the accuracy on the questions whose input is among the k examples, and on the others (NaN where there are none). */
  onSeen: number[];
  onNew: number[];
}

/**
 * How well `model` answers after k = 0 .. P-1 examples: the answer is its most likely next token
 * after the (k+1)-th input, right when it is that question's example token.
 */
export async function accuracyByShots(model: GPT, sequences: InContextSequence[], batchSize = 256): Promise<ShotAccuracy> {
  if (sequences.length === 0) throw new Error('accuracyByShots: no sequences');
  const P = sequences[0].pairs.length;
  const bad = sequences.findIndex(s => s.pairs.length !== P);
  if (bad >= 0) throw new Error(`accuracyByShots: sequence ${bad} has ${sequences[bad].pairs.length} pairs, the first has ${P}`);
  if (model.config.vocabSize < IN_CONTEXT_TOKENS.length) {
    throw new Error(`accuracyByShots: the model's vocabulary has ${model.config.vocabSize} tokens, the in-context tasks need ${IN_CONTEXT_TOKENS.length} (IN_CONTEXT_TOKENS)`);
  }
  const right: boolean[][] = [];
  for (let i = 0; i < sequences.length; i += batchSize) {
    const chunk = sequences.slice(i, i + batchSize);
    const predicted = tf.tidy(() => {
      const ids = tf.tensor2d(chunk.map(s => s.ids), [chunk.length, 2 * P], 'int32');
      const inputPositions = tf.range(0, 2 * P, 2, 'int32'); // position 2k (the input x_{k+1}) predicts 2k+1 (its example token)
      return model.forward(ids).logits.gather(inputPositions, 1).argMax(-1); // (B, P)
    });
    const rows = (await predicted.array()) as number[][];
    predicted.dispose();
    rows.forEach((row, b) => right.push(row.map((id, k) => id === chunk[b].ids[2 * k + 1])));
  }
  const seen = sequences.map(s => s.pairs.map(([x], k) => s.pairs.slice(0, k).some(([input]) => input === x)));
  const shots = Array.from({ length: P }, (_, k) => k);
  /** The mean of f over the sequences that `keep` keeps, at k examples; NaN for none. */
  const meanAt = (k: number, f: (b: number) => number, keep: (b: number) => boolean = () => true) => {
    const kept = sequences.map((_, b) => b).filter(keep);
    return kept.length === 0 ? NaN : kept.reduce((sum, b) => sum + f(b), 0) / kept.length;
  };
  return {
    accuracy: shots.map(k => meanAt(k, b => +right[b][k])),
    seenBefore: shots.map(k => meanAt(k, b => +seen[b][k])),
    ideal: shots.map(k => meanAt(k, b => idealChance(sequences[b], k))),
    onSeen: shots.map(k => meanAt(k, b => +right[b][k], b => seen[b][k])),
    onNew: shots.map(k => meanAt(k, b => +right[b][k], b => !seen[b][k])),
  };
}
