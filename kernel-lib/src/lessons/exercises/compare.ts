/**
 * How a check compares an answer with what it must be: a number, an array of numbers or a tensor,
 * within a tolerance. Each helper runs the learner's code itself, so what it throws or returns
 * (nothing, a string, the wrong shape) becomes a failed case with a message, never an exception.
 */
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../../random';
import { CheckCase, messageOf } from './exercise';

/** |yours - expected| may be abs + rel * |expected|. */
export interface Tolerance {
  abs: number;
  rel: number;
}

/** Float32 arithmetic in the library, float64 in a learner's plain JavaScript: both pass. */
export const DEFAULT_TOLERANCE: Tolerance = { abs: 1e-5, rel: 1e-4 };

const within = (err: number, expected: number, tol: Tolerance) => err <= tol.abs + tol.rel * Math.abs(expected);
const shown = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(6));

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (value instanceof tf.Tensor) return `a tensor [${value.shape}]`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'string' ? `the string ${JSON.stringify(value.slice(0, 40))}` : `a ${typeof value}`;
}

/** Run the learner's code: its value, or what went wrong. */
export function attempt(run: () => unknown): { value: unknown; problem?: undefined } | { value?: undefined; problem: string } {
  try {
    return { value: run() };
  } catch (e) {
    return { problem: `threw: ${messageOf(e)}` };
  }
}

export interface NumberPoint {
  /** Where, e.g. "step 12". */
  at: string;
  run: () => unknown;
  expected: number;
}

/** One case made of many points where the answer must give a number; reports the first miss. */
export function numbersCase(inputs: string, points: NumberPoint[], tol: Tolerance = DEFAULT_TOLERANCE): CheckCase {
  let maxError = 0;
  for (const p of points) {
    const { value, problem } = attempt(p.run);
    if (problem !== undefined) return { inputs, passed: false, maxError: null, problem: `${p.at}: ${problem}` };
    if (typeof value !== 'number') return { inputs, passed: false, maxError: null, problem: `${p.at}: returned ${describe(value)}, not a number` };
    const err = Math.abs(value - p.expected);
    if (!Number.isFinite(value) || !within(err, p.expected, tol)) {
      return { inputs, passed: false, maxError: Number.isFinite(err) ? err : null, problem: `${p.at}: got ${shown(value)}, expected ${shown(p.expected)}` };
    }
    maxError = Math.max(maxError, err);
  }
  return { inputs, passed: true, maxError };
}

/** A case where the answer must give numbers, one per expected value (an array or a typed array). */
export function arrayCase(inputs: string, run: () => unknown, expected: ArrayLike<number>, tol: Tolerance = DEFAULT_TOLERANCE): CheckCase {
  const { value, problem } = attempt(run);
  if (problem !== undefined) return { inputs, passed: false, maxError: null, problem };
  const isList = Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
  if (!isList) return { inputs, passed: false, maxError: null, problem: `returned ${describe(value)}, not an array of numbers` };
  const got = value as ArrayLike<unknown>;
  if (got.length !== expected.length) return { inputs, passed: false, maxError: null, problem: `${got.length} numbers, expected ${expected.length}` };
  let maxError = 0;
  for (let i = 0; i < expected.length; i++) {
    const g = got[i];
    if (typeof g !== 'number') return { inputs, passed: false, maxError: null, problem: `[${i}] is ${describe(g)}, not a number` };
    const err = Math.abs(g - expected[i]);
    if (!Number.isFinite(g) || !within(err, expected[i], tol)) {
      return { inputs, passed: false, maxError: Number.isFinite(err) ? err : null, problem: `[${i}]: got ${shown(g)}, expected ${shown(expected[i])}` };
    }
    maxError = Math.max(maxError, err);
  }
  return { inputs, passed: true, maxError };
}

/** A case where the answer must give a tensor equal to `expected`; disposes what the answer made. */
export async function tensorCase(inputs: string, run: () => unknown, expected: tf.Tensor, tol: Tolerance = { abs: 1e-4, rel: 0 }): Promise<CheckCase> {
  const { value, problem } = attempt(() => tf.tidy(run as () => tf.Tensor));
  if (problem !== undefined) return { inputs, passed: false, maxError: null, problem };
  if (!(value instanceof tf.Tensor)) return { inputs, passed: false, maxError: null, problem: `returned ${describe(value)}, not a tensor` };
  try {
    if (value.shape.join() !== expected.shape.join()) return { inputs, passed: false, maxError: null, problem: `shape [${value.shape}], expected [${expected.shape}]` };
    const stats = tf.tidy(() => tf.stack([value.toFloat().sub(expected).abs().max(), expected.abs().max()]));
    const [err, largest] = await stats.data();
    stats.dispose();
    const limit = tol.abs + tol.rel * largest;
    return { inputs, passed: err <= limit, maxError: err, problem: Number.isFinite(err) ? undefined : 'NaN or Infinity in the result' };
  } finally {
    value.dispose();
  }
}

/** Seeded uniform numbers in [lo, hi): the same inputs on every run, so a result can be reproduced. */
export function uniforms(seed: number): (lo: number, hi: number) => number {
  const random = seededRandom(seed);
  return (lo, hi) => lo + (hi - lo) * random();
}

/** A tensor of `shape` with seeded values in [-1, 1). */
export function randomTensor(shape: number[], u: (lo: number, hi: number) => number): tf.Tensor {
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => u(-1, 1)), shape);
}

export const shapeLabel = (shapes: number[][]) => shapes.map(s => `[${s.join(', ')}]`).join(', ');
