/**
 * Repeated sequences, the task on which induction heads form: a prefix, a sequence A of L tokens,
 * then A again (then filler up to a fixed length, or, packed, the next prefix + A + A). Every token
 * of the second copy after its first can be copied from the first one, by a model that finds where
 * the current token occurred before and reads the token that followed it (in-context learning).
 * With uniform random tokens nothing in the first copy can be predicted; with a `source` (encoded
 * text) the first copy has the text's local statistics, and only the second copy is copyable.
 *
 * The lengths may vary per sequence (give [min, max]): with one fixed L, a single head could
 * learn "look back L - 1 positions" from the position embeddings instead of an induction head.
 */
import * as tf from '@tensorflow/tfjs';
import { randomInt, seededRandom, Rng } from '../../random';
import { DecodeOptions, encodeCharacters, SpecialTokens, SpecialTokenTable, Tokenizer } from '../../tokenizers/tokenizer';

export interface InductionDataConfig {
  vocabSize: number;
  /** Length L of the repeated sequence: a number, or [min, max] drawn per sequence. */
  seqLen: number | [number, number];
  /** Random tokens before the first copy: a number, or [min, max] drawn per sequence (default 0). */
  prefixLen?: number | [number, number];
  batchSize: number;
  seed: number;
  /**
   * Pack each row with repeated sequences back to back (each with its own prefix and length) up to
   * this many tokens. Without it a row holds one: blockSize = longest prefix + 2 x longest sequence.
   * Packed rows leave no room for a shortcut: what to copy is somewhere in a context full of other
   * tokens, found only by matching the current token.
   */
  blockSize?: number;
  /**
   * Take each prefix + sequence from a random place of this token stream (e.g. encoded text)
   * instead of uniform random tokens: the first copy then has the stream's local statistics,
   * as in real text, where previous-token heads pay off on their own.
   */
  source?: ArrayLike<number>;
  /**
   * Draw the prefix and the sequence without repeats (default false), so that every token of the
   * second copy occurred exactly once before: what to copy is never ambiguous. Needs
   * vocabSize >= longest prefix + longest sequence.
   */
  distinct?: boolean;
}

/** Where the copies lie in one row: A occupies [start, start + length) and [start + length, start + 2 * length). */
export interface RepeatLayout {
  start: number;
  length: number;
}

export interface InductionBatch {
  x: tf.Tensor2D; // (B, T) int32 inputs
  y: tf.Tensor2D; // (B, T) int32 targets: x shifted by one
  /** Per row, where its repeated sequences lie (one, or several when packed). */
  layouts: RepeatLayout[][];
}

function range(v: number | [number, number], name: string, min: number): [number, number] {
  const [lo, hi] = typeof v === 'number' ? [v, v] : v;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= min && hi >= lo)) {
    throw new Error(`induction data: ${name} must be an integer >= ${min} or [min, max] with min <= max, got ${JSON.stringify(v)}`);
  }
  return [lo, hi];
}

/**
 * The positions of row `layout`, as indices into x (B, T): `firstCopy` predict the tokens of the
 * first copy (unpredictable); `secondCopy` predict a token of the second copy whose previous token
 * occurred before (copyable). Query i of secondCopy sees token x[i] = x[i - L]; the token to copy,
 * y[i], sits at x[i - L + 1]: where an induction head looks.
 */
export function repeatPositions(layout: RepeatLayout, T: number): { firstCopy: number[]; secondCopy: number[] } {
  const { start: P, length: L } = layout;
  const firstCopy: number[] = [];
  const secondCopy: number[] = [];
  for (let i = Math.max(0, P - 1); i < P + L - 1 && i < T; i++) firstCopy.push(i);
  for (let i = P + L; i < P + 2 * L - 1 && i < T; i++) secondCopy.push(i);
  return { firstCopy, secondCopy };
}

/** repeatPositions of every sequence of a row, together. */
export function rowPositions(segments: RepeatLayout[], T: number): { firstCopy: number[]; secondCopy: number[] } {
  const all = segments.map(s => repeatPositions(s, T));
  return { firstCopy: all.flatMap(p => p.firstCopy), secondCopy: all.flatMap(p => p.secondCopy) };
}

/** Batches of repeated random sequences, reproducible from a seed. */
export class InductionBatches {
  readonly vocabSize: number;
  readonly batchSize: number;
  readonly seqLen: [number, number];
  readonly prefixLen: [number, number];
  /** Tokens per row of x: the longest prefix + two copies of the longest sequence. */
  readonly blockSize: number;
  readonly distinct: boolean;
  readonly source: ArrayLike<number> | undefined;
  /** Several repeated sequences per row. */
  readonly packed: boolean;
  private readonly rng: Rng;

  constructor(config: InductionDataConfig) {
    const { vocabSize, batchSize, seed } = config;
    if (!(Number.isInteger(vocabSize) && vocabSize >= 2)) throw new Error(`induction data: vocabSize must be an integer >= 2, got ${vocabSize}`);
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`induction data: batchSize must be a positive integer, got ${batchSize}`);
    this.vocabSize = vocabSize;
    this.batchSize = batchSize;
    this.seqLen = range(config.seqLen, 'seqLen', 2);
    this.prefixLen = range(config.prefixLen ?? 0, 'prefixLen', 0);
    this.packed = config.blockSize !== undefined;
    this.blockSize = config.blockSize ?? this.prefixLen[1] + 2 * this.seqLen[1];
    if (this.packed && !(Number.isInteger(this.blockSize) && this.blockSize >= 2 * this.seqLen[0] + this.prefixLen[0])) {
      throw new Error(`induction data: blockSize must be an integer >= shortest prefix + 2 x shortest sequence (${this.prefixLen[0] + 2 * this.seqLen[0]}), got ${config.blockSize}`);
    }
    this.distinct = config.distinct ?? false;
    this.source = config.source;
    if (this.source) {
      if (this.source.length < this.prefixLen[1] + this.seqLen[1]) throw new Error(`induction data: the source has ${this.source.length} tokens, fewer than the longest prefix + sequence (${this.prefixLen[1] + this.seqLen[1]})`);
      const bad = Array.prototype.findIndex.call(this.source, (t: number) => !(Number.isInteger(t) && t >= 0 && t < vocabSize));
      if (bad >= 0) throw new Error(`induction data: source[${bad}] = ${this.source[bad]} is outside the vocabulary [0, ${vocabSize})`);
    }
    if (this.distinct && vocabSize < this.prefixLen[1] + this.seqLen[1]) {
      throw new Error(`induction data: distinct tokens need vocabSize (${vocabSize}) >= longest prefix + longest sequence (${this.prefixLen[1]} + ${this.seqLen[1]})`);
    }
    this.rng = seededRandom(seed);
  }

  /** One prefix + sequence + sequence, placed at `offset` in its row. */
  private segment(offset: number): { tokens: number[]; layout: RepeatLayout } {
    const pick = ([lo, hi]: [number, number]) => lo + randomInt(this.rng, hi - lo + 1);
    const P = pick(this.prefixLen);
    const L = pick(this.seqLen);
    const prefixAndA = this.source ? this.sourceSlice(P + L) : this.distinct ? this.distinctTokens(P + L) : Array.from({ length: P + L }, () => randomInt(this.rng, this.vocabSize));
    const a = prefixAndA.slice(P);
    return { tokens: [...prefixAndA, ...a], layout: { start: offset + P, length: L } };
  }

  /** One row of blockSize + 1 tokens and where its copies lie. */
  private row(): { tokens: number[]; layouts: RepeatLayout[] } {
    const tokens: number[] = [];
    const layouts: RepeatLayout[] = [];
    do {
      const s = this.segment(tokens.length);
      tokens.push(...s.tokens);
      layouts.push(s.layout);
    } while (this.packed && tokens.length < this.blockSize + 1);
    while (tokens.length < this.blockSize + 1) tokens.push(randomInt(this.rng, this.vocabSize)); // filler
    return { tokens: tokens.slice(0, this.blockSize + 1), layouts };
  }

  /** n consecutive tokens from a random place of the source stream. */
  private sourceSlice(n: number): number[] {
    const src = this.source!;
    const start = randomInt(this.rng, src.length - n + 1);
    return Array.from({ length: n }, (_, i) => src[start + i]);
  }

  /** n different tokens in random order (a partial Fisher-Yates shuffle of the vocabulary). */
  private distinctTokens(n: number): number[] {
    const ids = Array.from({ length: this.vocabSize }, (_, i) => i);
    for (let i = 0; i < n; i++) {
      const j = i + randomInt(this.rng, this.vocabSize - i);
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    return ids.slice(0, n);
  }

  /** Rows of the same kind (lengths, source, packing) from another seed, e.g. held-out rows. */
  withBatch(batchSize: number, seed: number): InductionBatches {
    const { vocabSize, seqLen, prefixLen, distinct, source } = this;
    return new InductionBatches({ vocabSize, seqLen, prefixLen, distinct, source, blockSize: this.packed ? this.blockSize : undefined, batchSize, seed });
  }

  /** The next batch as plain arrays: x and y hold B rows of blockSize ids each. */
  nextIds(): { x: Int32Array; y: Int32Array; layouts: RepeatLayout[][] } {
    const T = this.blockSize;
    const x = new Int32Array(this.batchSize * T);
    const y = new Int32Array(this.batchSize * T);
    const layouts: RepeatLayout[][] = [];
    for (let b = 0; b < this.batchSize; b++) {
      const row = this.row();
      x.set(row.tokens.slice(0, T), b * T);
      y.set(row.tokens.slice(1), b * T);
      layouts.push(row.layouts);
    }
    return { x, y, layouts };
  }

  /** The next batch: x and y (B, blockSize) int32, and each row's layout. */
  next(): InductionBatch {
    const { x, y, layouts } = this.nextIds();
    const shape: [number, number] = [this.batchSize, this.blockSize];
    return { x: tf.tensor2d(x, shape, 'int32'), y: tf.tensor2d(y, shape, 'int32'), layouts };
  }
}

/** Names for the random tokens: single characters, so an attention view labels them readably. */
const SYMBOLS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * A tokenizer for the random tokens: token i is the i-th of a-z, A-Z, 0-9 (at most 62), so a
 * repeated sequence reads as text ("qhxbk...qhxbk...") and works with showAttention. It has no
 * special tokens: every id is a random token.
 */
export class SymbolTokenizer implements Tokenizer {
  readonly vocab: string[];
  private readonly ids: Map<string, number>;
  private readonly specials = new SpecialTokenTable([], 0, 'SymbolTokenizer');

  constructor(readonly vocabSize: number) {
    if (!(Number.isInteger(vocabSize) && vocabSize >= 2 && vocabSize <= SYMBOLS.length)) {
      throw new Error(`SymbolTokenizer: vocabSize must be an integer in [2, ${SYMBOLS.length}], got ${vocabSize}`);
    }
    this.vocab = SYMBOLS.slice(0, vocabSize).split('');
    this.ids = new Map(this.vocab.map((ch, i) => [ch, i]));
  }

  get specialTokens(): SpecialTokens {
    return this.specials.ids;
  }

  encode(text: string): number[] {
    return this.specials.encode(text, (piece, start) =>
      encodeCharacters(piece, start, ch => this.ids.get(ch), (ch, i) => `SymbolTokenizer: ${JSON.stringify(ch)} at position ${i} is not a token (the tokens are ${this.vocab.join('')})`)
    );
  }

  decode(ids: ArrayLike<number>, options?: DecodeOptions): string {
    return this.specials.join(ids, (id, i) => this.tokenText(id, i), options);
  }

  tokenStrings(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id, i) => this.tokenText(id, i));
  }

  private tokenText(id: number, position: number): string {
    const text = this.vocab[id];
    if (text === undefined) throw new Error(`SymbolTokenizer: token id ${id} at position ${position} is outside the vocabulary [0, ${this.vocabSize})`);
    return text;
  }
}

/** One repeated random sequence as text (prefix + A + A), e.g. for showAttention. */
export function repeatedText(tokenizer: SymbolTokenizer, seqLen: number, options: { prefixLen?: number; seed?: number; distinct?: boolean } = {}): string {
  const data = new InductionBatches({ vocabSize: tokenizer.vocabSize, seqLen, prefixLen: options.prefixLen ?? 0, batchSize: 1, seed: options.seed ?? 0, distinct: options.distinct });
  return tokenizer.decode(data.nextIds().x);
}
