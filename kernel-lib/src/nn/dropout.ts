/**
 * Dropout, as GPT-2 uses it: while training, each number is set to 0 with probability p and the
 * kept ones are scaled by 1 / (1 - p) ("inverted" dropout), so every unit keeps its expected value
 * and evaluation needs no rescaling. In eval mode, or with p = 0, forward returns its input itself:
 * the same tensor, so the numbers are those of a model without dropout.
 *
 * The masks come from a seeded stream, one per model (its dropoutSeed, or its seed), which advances
 * with every mask drawn: two runs with the same seeds drop the same units at every step.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, seededRandom } from '../random';
import { isSeed, MAX_SEED } from './init';
import { Module } from './module';

/** Where a model's dropout masks come from: uniform numbers from one seed, one per masked number. */
export class MaskStream {
  private readonly uniform: Rng;
  /** Numbers drawn so far: the stream's position. */
  drawn = 0;

  constructor(readonly seed: number) {
    if (!isSeed(seed)) throw new Error(`dropout seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
    // Init draws the weights from seededRandom(seed): the masks take other numbers than the weights did.
    this.uniform = seededRandom((seed ^ 0x5bd1e995) >>> 0);
  }

  /** A mask of `shape`: each number 0 with probability p, else 1 / (1 - p). */
  keepMask(shape: number[], p: number): tf.Tensor {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const scale = 1 / (1 - p);
    for (let i = 0; i < values.length; i++) values[i] = this.uniform() < p ? 0 : scale;
    this.drawn += values.length;
    return tf.tensor(values, shape, 'float32');
  }
}

/** A model's dropout: one rate for all its dropouts, and the stream their masks come from. */
export interface DropoutConfig {
  p: number;
  masks: MaskStream;
}

/** The errors a model config gets for its dropout settings: a rate outside [0, 1) (1 would drop everything and scale by 1/0), a bad seed. */
export function checkDropoutConfig(where: string, c: { dropout?: number; dropoutSeed?: number }): void {
  const p: unknown = c.dropout;
  if (p !== undefined && (typeof p !== 'number' || !(p >= 0 && p < 1))) throw new Error(`${where}: dropout must be a number in [0, 1), got ${typeof p === 'number' ? p : JSON.stringify(p)}`);
  if (c.dropoutSeed !== undefined && !isSeed(c.dropoutSeed)) throw new Error(`${where}: dropoutSeed must be an integer in [0, ${MAX_SEED}], got ${c.dropoutSeed}`);
}

/** The dropout of a model config: rate `dropout` (default 0), masks from `dropoutSeed` (default: the model's seed). */
export function modelDropout(config: { dropout?: number; dropoutSeed?: number; seed: number }): DropoutConfig {
  return { p: config.dropout ?? 0, masks: new MaskStream(config.dropoutSeed ?? config.seed) };
}

/** Zero each number with probability p in training mode, scaling the rest by 1 / (1 - p); the identity otherwise. */
export class Dropout extends Module {
  readonly p: number;
  private readonly masks: MaskStream | null;

  /** Without a config: p = 0, a Dropout that never drops (the default of every layer). */
  constructor(config?: DropoutConfig) {
    super();
    this.p = config?.p ?? 0;
    checkDropoutConfig('Dropout', { dropout: this.p });
    this.masks = config?.masks ?? null;
  }

  /** Whether forward drops anything now: in training mode with p > 0. */
  get active(): boolean {
    return this.training && this.p > 0;
  }

  /** x of any shape -> the same shape; x itself unless active. */
  forward(x: tf.Tensor): tf.Tensor {
    if (!this.active) return x;
    // the mask is a constant: the gradient flows through the kept units only, scaled by 1 / (1 - p)
    return tf.tidy(() => x.mul(this.masks!.keepMask(x.shape, this.p)));
  }
}
