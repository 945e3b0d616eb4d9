/**
 * Initial weights, drawn from one seeded generator in the order the layers are built: the same
 * seed gives the same model on every backend and every run. A model makes one `Init` from its
 * config's seed and hands it to each layer it builds.
 */
import * as tf from '@tensorflow/tfjs';
import { gaussian, seededRandom, Rng } from '../random';

/** The generator takes 32 bits: a larger seed would wrap around (2^32 would be seed 0). */
export const MAX_SEED = 0xffffffff;

export function isSeed(seed: number): boolean {
  return Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED;
}

export class Init {
  private readonly normal: Rng;

  constructor(readonly seed: number) {
    if (!isSeed(seed)) throw new Error(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
    this.normal = gaussian(seededRandom(seed));
  }

  /** A trainable variable with values from N(0, std^2). */
  randn(shape: number[], std: number): tf.Variable {
    const values = new Float32Array(size(shape));
    for (let i = 0; i < values.length; i++) values[i] = this.normal() * std;
    return variable(values, shape);
  }

  zeros(shape: number[]): tf.Variable {
    return variable(new Float32Array(size(shape)), shape);
  }

  ones(shape: number[]): tf.Variable {
    return variable(new Float32Array(size(shape)).fill(1), shape);
  }
}

// tfjs variable names are global: keep them unique across models in one kernel. (A parameter's
// own name is its path in the model's tree, nn/module.ts.)
let nextId = 0;

function variable(values: Float32Array, shape: number[]): tf.Variable {
  const initial = tf.tensor(values, shape, 'float32');
  const v = tf.variable(initial, true, `param#${nextId++}`);
  initial.dispose(); // the variable keeps the data
  return v;
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
