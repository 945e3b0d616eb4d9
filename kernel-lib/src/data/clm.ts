/**
 * Causal language modelling data: the model reads a window of tokens and, at every position,
 * predicts the next one. Targets are the inputs shifted left by one.
 */
import * as tf from '@tensorflow/tfjs';
import { randomInt, seededRandom, Rng } from '../random';
import { Document } from './corpus';

export interface TextSplit {
  train: string;
  val: string;
  trainTitles: string[];
  valTitles: string[];
}

/**
 * Hold out whole documents (e.g. chapters) for validation, chosen with a seeded shuffle:
 * validation text is text the model never trained on, not just a later slice of it.
 */
export function splitDocuments(docs: Document[], valFraction: number, seed: number): TextSplit {
  if (!(valFraction > 0 && valFraction < 1)) throw new Error(`valFraction must be in (0, 1), got ${valFraction}`);
  if (docs.length < 2) throw new Error(`need at least 2 documents to split, got ${docs.length}`);
  const order = docs.map((_, i) => i);
  const rng = seededRandom(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nVal = Math.max(1, Math.round(docs.length * valFraction));
  const valSet = new Set(order.slice(0, nVal));
  const pick = (inVal: boolean) => docs.filter((_, i) => valSet.has(i) === inVal);
  return {
    train: pick(false).map(d => d.text).join('\n\n'),
    val: pick(true).map(d => d.text).join('\n\n'),
    trainTitles: pick(false).map(d => d.title),
    valTitles: pick(true).map(d => d.title)
  };
}

export interface ClmBatch {
  x: tf.Tensor2D; // (B, T) int32 inputs
  y: tf.Tensor2D; // (B, T) int32 targets: x shifted by one
}

/** Random windows of a token stream, reproducible from a seed. */
export class ClmBatches {
  private readonly rng: Rng;

  constructor(readonly tokens: Int32Array, readonly blockSize: number, readonly batchSize: number, seed: number) {
    if (tokens.length < blockSize + 1) {
      throw new Error(`ClmBatches: ${tokens.length} tokens are too few for windows of blockSize + 1 = ${blockSize + 1}`);
    }
    this.rng = seededRandom(seed);
  }

  /** Window starts for one batch. */
  private starts(): number[] {
    return Array.from({ length: this.batchSize }, () => randomInt(this.rng, this.tokens.length - this.blockSize));
  }

  next(): ClmBatch {
    return windowsAt(this.tokens, this.starts(), this.blockSize);
  }
}

/** The batch made of the windows starting at `starts`. */
export function windowsAt(tokens: Int32Array, starts: number[], blockSize: number): ClmBatch {
  const B = starts.length;
  const x = new Int32Array(B * blockSize);
  const y = new Int32Array(B * blockSize);
  starts.forEach((s, b) => {
    x.set(tokens.subarray(s, s + blockSize), b * blockSize);
    y.set(tokens.subarray(s + 1, s + blockSize + 1), b * blockSize);
  });
  return { x: tf.tensor2d(x, [B, blockSize], 'int32'), y: tf.tensor2d(y, [B, blockSize], 'int32') };
}

/**
 * A fixed set of evaluation windows spread evenly over a token stream, so validation loss
 * at step 100 and at step 1000 is measured on the same text.
 */
export function evalWindows(tokens: Int32Array, blockSize: number, batchSize: number, nBatches: number): number[][] {
  const span = tokens.length - blockSize - 1;
  if (span < 0) throw new Error(`evalWindows: ${tokens.length} tokens are too few for windows of ${blockSize + 1}`);
  const total = batchSize * nBatches;
  const starts = Array.from({ length: total }, (_, i) => Math.floor((i * span) / Math.max(1, total - 1)));
  return Array.from({ length: nBatches }, (_, b) => starts.slice(b * batchSize, (b + 1) * batchSize));
}
