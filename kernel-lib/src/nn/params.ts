/**
 * The trainable numbers of a model, by name. Names follow Hugging Face GPT-2
 * (`transformer.h.0.attn.c_attn.weight`, ...) so checkpoints map one to one.
 */
import * as tf from '@tensorflow/tfjs';
import { gaussian, seededRandom, Rng } from '../random';

export class Params {
  readonly variables = new Map<string, tf.Variable>();
  private readonly normal: Rng;

  constructor(seed: number) {
    this.normal = gaussian(seededRandom(seed));
  }

  private add(name: string, values: Float32Array, shape: number[]): tf.Variable {
    if (this.variables.has(name)) throw new Error(`parameter ${name} is defined twice`);
    const initial = tf.tensor(values, shape, 'float32');
    const v = tf.variable(initial, true, `${name}#${nextId++}`);
    initial.dispose(); // the variable keeps the data
    this.variables.set(name, v);
    return v;
  }

  /** Weights drawn from N(0, std^2), from the model's seed (same on every backend). */
  randn(name: string, shape: number[], std: number): tf.Variable {
    const values = new Float32Array(size(shape));
    for (let i = 0; i < values.length; i++) values[i] = this.normal() * std;
    return this.add(name, values, shape);
  }

  zeros(name: string, shape: number[]): tf.Variable {
    return this.add(name, new Float32Array(size(shape)), shape);
  }

  ones(name: string, shape: number[]): tf.Variable {
    return this.add(name, new Float32Array(size(shape)).fill(1), shape);
  }

  get(name: string): tf.Variable {
    const v = this.variables.get(name);
    if (!v) throw new Error(`no parameter named ${name}`);
    return v;
  }

  /** Total number of trainable numbers. */
  count(): number {
    let n = 0;
    for (const v of this.variables.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}

// tfjs variable names are global: keep them unique across models in one kernel.
let nextId = 0;

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
