/**
 * Sequence-to-sequence data: pairs (source -> target) for an encoder-decoder model.
 *  - reversal: the target is the source backwards (random strings, or words of a text); solving it
 *    needs the decoder to read the source position by position: its cross-attention becomes
 *    anti-diagonal.
 *  - denoising (BART's text infilling): spans of a sentence are each replaced by one <mask>; the
 *    target is the original sentence.
 * Ids 0..3 are special (PAD, BOS, EOS, MASK); the symbols of a task come after them.
 */
import * as tf from '@tensorflow/tfjs';
import { paddingMask } from '../nn/attention';
import { randomInt, Rng, seededRandom } from '../random';
import { CharTokenizer } from '../tokenizers/char';
import { DecodeOptions, encodeCharacters, SpecialTokenTable, specialTokenText, Tokenizer } from '../tokenizers/tokenizer';

/** The special tokens of every seq2seq vocabulary, ids 0..3 in this order. */
const SPECIALS = new SpecialTokenTable(['pad', 'bos', 'eos', 'mask'], 0, 'Seq2SeqChars');

export const PAD_ID = SPECIALS.ids.pad;
export const BOS_ID = SPECIALS.ids.bos;
export const EOS_ID = SPECIALS.ids.eos;
export const MASK_ID = SPECIALS.ids.mask;
/** The special tokens' texts, by id: <pad>, <bos>, <eos>, <mask>. */
export const SPECIAL_TOKENS = SPECIALS.names.map(specialTokenText);
/** The first id that is not special. */
export const FIRST_ID = SPECIAL_TOKENS.length;

/** Source and target ids, without BOS or EOS (the batch adds them). */
export interface Seq2SeqPair {
  src: number[];
  tgt: number[];
}

/** Characters of a text after the special ids: id = FIRST_ID + the character's CharTokenizer id. */
export class Seq2SeqChars implements Tokenizer {
  readonly specialTokens = SPECIALS.ids;
  private readonly ids: Map<string, number>;

  constructor(readonly chars: CharTokenizer) {
    if (chars.vocabSize !== chars.vocab.length) {
      throw new Error(`Seq2SeqChars: the character tokenizer must have no special tokens of its own (it has ${Object.keys(chars.specialTokens).join(', ')})`);
    }
    this.ids = new Map(chars.vocab.map((ch, i) => [ch, FIRST_ID + i]));
  }

  static fromText(text: string): Seq2SeqChars {
    return new Seq2SeqChars(CharTokenizer.fromText(text));
  }

  get vocabSize(): number {
    return FIRST_ID + this.chars.vocabSize;
  }

  encode(text: string): number[] {
    return SPECIALS.encode(text, (piece, start) =>
      encodeCharacters(piece, start, ch => this.ids.get(ch), (ch, i) => `Seq2SeqChars: character ${JSON.stringify(ch)} at position ${i} is not in the vocabulary (${this.chars.vocabSize} characters)`)
    );
  }

  /** Special ids read as their names (<mask>, <eos>, ...), or are left out with skipSpecialTokens. */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string {
    return SPECIALS.join(ids, (id, i) => this.tokenText(id, i), options);
  }

  tokenStrings(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id, i) => this.tokenText(id, i));
  }

  private tokenText(id: number, position: number): string {
    const text = id >= FIRST_ID ? this.chars.vocab[id - FIRST_ID] : SPECIALS.textOf(id);
    if (text === undefined) throw new Error(`Seq2SeqChars: token id ${id} at position ${position} is outside the vocabulary [0, ${this.vocabSize})`);
    return text;
  }
}

export interface RandomStringOptions {
  /** How many different symbols (ids FIRST_ID .. FIRST_ID + symbols - 1). */
  symbols: number;
  minLength: number;
  maxLength: number;
  seed: number;
}

/** `count` random strings of symbol ids, lengths uniform in [minLength, maxLength]. */
export function randomStrings(count: number, o: RandomStringOptions): number[][] {
  if (!(Number.isInteger(o.symbols) && o.symbols >= 1)) throw new Error(`randomStrings: symbols must be a positive integer, got ${o.symbols}`);
  if (!(Number.isInteger(o.minLength) && o.minLength >= 1 && Number.isInteger(o.maxLength) && o.maxLength >= o.minLength)) {
    throw new Error(`randomStrings: need integers 1 <= minLength <= maxLength, got minLength ${o.minLength}, maxLength ${o.maxLength}`);
  }
  const rng = seededRandom(o.seed);
  return Array.from({ length: count }, () => {
    const n = o.minLength + randomInt(rng, o.maxLength - o.minLength + 1);
    return Array.from({ length: n }, () => FIRST_ID + randomInt(rng, o.symbols));
  });
}

/** The reversal task: each sequence -> the same backwards. */
export function reversalPairs(sequences: number[][]): Seq2SeqPair[] {
  return sequences.map(s => ({ src: [...s], tgt: [...s].reverse() }));
}

/** The distinct words of a text (letters only, lower case) with a length in [minLength, maxLength]. */
export function wordsOf(text: string, minLength: number, maxLength: number): string[] {
  const words = text.toLowerCase().match(/[a-z]+/g) ?? [];
  return [...new Set(words)].filter(w => w.length >= minLength && w.length <= maxLength);
}

/** The sentences of a text (whitespace made single spaces) with a length in [minLength, maxLength] characters. */
export function sentencesOf(text: string, minLength: number, maxLength: number): string[] {
  return text
    .split(/(?<=[.!?])\s+/)
    .map(s => s.replace(/\s+/g, ' ').trim())
    .filter(s => s.length >= minLength && s.length <= maxLength);
}

export interface SpanCorruption {
  /** Fraction of the tokens to hide; default 0.15. */
  rate?: number;
  /** Mean span length (lengths uniform in [1, 2 meanSpan - 1]); default 3. */
  meanSpan?: number;
  maskId?: number;
}

/**
 * BART's text infilling: hide spans covering about `rate` of the tokens, each span by ONE mask id,
 * so the model must also work out how many tokens are missing. At least one span is hidden.
 */
export function corruptSpans(ids: number[], o: SpanCorruption, rng: Rng): number[] {
  const { rate = 0.15, meanSpan = 3, maskId = MASK_ID } = o;
  if (!(rate > 0 && rate < 1)) throw new Error(`corruptSpans: rate must be in (0, 1), got ${rate}`);
  if (!(Number.isInteger(meanSpan) && meanSpan >= 1)) throw new Error(`corruptSpans: meanSpan must be a positive integer, got ${meanSpan}`);
  const spanLength = () => 1 + randomInt(rng, 2 * meanSpan - 1);
  const hidden = new Array<boolean>(ids.length).fill(false);
  const hide = (start: number) => hidden.fill(true, start, Math.min(ids.length, start + spanLength()));
  for (let i = 0; i < ids.length; i++) if (rng() < rate / meanSpan) hide(i); // span starts: rate / meanSpan of positions
  if (!hidden.includes(true)) hide(randomInt(rng, ids.length));
  const out: number[] = [];
  ids.forEach((id, i) => {
    if (!hidden[i]) out.push(id);
    else if (i === 0 || !hidden[i - 1]) out.push(maskId); // one mask per span
  });
  return out;
}

/** The denoising task: each sequence, with spans hidden -> the sequence itself. */
export function denoisingPairs(sequences: number[][], o: SpanCorruption & { seed: number }): Seq2SeqPair[] {
  const rng = seededRandom(o.seed);
  return sequences.map(s => ({ src: corruptSpans(s, o, rng), tgt: [...s] }));
}

/** A type (not an interface) so that tf.dispose(batch) accepts it. */
export type Seq2SeqBatch = {
  src: tf.Tensor2D; // (B, S) int32, padded with PAD_ID
  /** Real tokens of each source; srcMask = paddingMask(srcLengths, S). */
  srcLengths: number[];
  srcMask: tf.Tensor4D; // (B, 1, 1, S)
  tgtIn: tf.Tensor2D; // (B, T) int32: BOS, target, then PAD_ID
  tgtOut: tf.Tensor2D; // (B, T) int32: target, EOS, then -1 (no loss): tgtIn shifted by one
};

/** Pad pairs into one batch; S and T are the longest source and target + 1 (at most blockSize). */
export function seq2seqBatch(pairs: Seq2SeqPair[], blockSize: number): Seq2SeqBatch {
  if (pairs.length === 0) throw new Error('seq2seqBatch: no pairs');
  const S = Math.max(...pairs.map(p => p.src.length));
  const T = Math.max(...pairs.map(p => p.tgt.length)) + 1;
  if (S > blockSize || T > blockSize) {
    throw new Error(`seq2seqBatch: the longest source (${S}) and target + 1 (${T}) must fit in blockSize ${blockSize}`);
  }
  const B = pairs.length;
  const src = new Int32Array(B * S).fill(PAD_ID);
  const tgtIn = new Int32Array(B * T).fill(PAD_ID);
  const tgtOut = new Int32Array(B * T).fill(-1);
  pairs.forEach((p, b) => {
    src.set(p.src, b * S);
    tgtIn.set([BOS_ID, ...p.tgt], b * T);
    tgtOut.set([...p.tgt, EOS_ID], b * T);
  });
  const srcLengths = pairs.map(p => p.src.length);
  return {
    src: tf.tensor2d(src, [B, S], 'int32'),
    srcLengths,
    srcMask: paddingMask(srcLengths, S),
    tgtIn: tf.tensor2d(tgtIn, [B, T], 'int32'),
    tgtOut: tf.tensor2d(tgtOut, [B, T], 'int32')
  };
}

/** Random batches of a fixed set of pairs, reproducible from a seed. Dispose each batch (tf.dispose(batch)). */
export class Seq2SeqBatches {
  private readonly rng: Rng;

  constructor(readonly pairs: Seq2SeqPair[], readonly batchSize: number, readonly blockSize: number, seed: number) {
    if (pairs.length === 0) throw new Error('Seq2SeqBatches: no pairs');
    this.rng = seededRandom(seed);
  }

  next(): Seq2SeqBatch {
    return seq2seqBatch(Array.from({ length: this.batchSize }, () => this.pairs[randomInt(this.rng, this.pairs.length)]), this.blockSize);
  }
}
