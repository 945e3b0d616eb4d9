/**
 * Exercises of notebooks 2 (the transformer, block by block) and 3 (self-attention, measured).
 * The blocks are checked against the library's own on random inputs of several shapes; the
 * attention measures against their definitions on random causal attention rows.
 */
import * as tf from '@tensorflow/tfjs';
import { causalMask, scaledDotProductAttention } from '../../nn/attention';
import { layerNorm } from '../../nn/layerNorm';
import { gelu } from '../../nn/mlp';
import { rmsNorm } from '../../nn/rmsNorm';
import { scoresFromWeights } from '../induction/scores';
import { numbersCase, randomTensor, shapeLabel, tensorCase, uniforms } from './compare';
import { CheckCase, defineExercise } from './exercise';

type TensorFn = (...xs: tf.Tensor[]) => tf.Tensor;

/**
 * Cases of a block: for each list of input shapes, random inputs (and `extra` ones made from the
 * shapes, e.g. the mask); the answer's output against the reference's.
 */
async function blockCases(answer: TensorFn, reference: TensorFn, shapeSets: number[][][], extra?: (shapes: number[][]) => tf.Tensor[]): Promise<CheckCase[]> {
  const u = uniforms(42);
  const cases: CheckCase[] = [];
  for (const shapes of shapeSets) {
    const inputs = [...shapes.map(s => randomTensor(s, u)), ...(extra?.(shapes) ?? [])];
    const expected = tf.tidy(() => reference(...inputs));
    cases.push(await tensorCase(shapeLabel(shapes), () => answer(...inputs), expected));
    tf.dispose([...inputs, expected]);
  }
  return cases;
}

const qkv = (B: number, nh: number, T: number, hs: number) => [[B, nh, T, hs], [B, nh, T, hs], [B, nh, T, hs]];

export type AttentionFn = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor) => tf.Tensor;

export const attentionExercise = defineExercise<AttentionFn>({
  id: '02.attention',
  title: 'scaled dot-product attention',
  task: 'Write softmax(q kᵀ / √hs + mask) v for q, k, v of shape (B, nh, T, hs) and an additive mask (T, T).',
  hints: [
    'scores = q k^T (transpose the last two axes of k), divide by sqrt(head size), add the mask, softmax over the last axis, then multiply by v.',
    'tf.matMul(q, k, false, true) multiplies q by k transposed on its last two axes: (B, nh, T, T).',
    'The head size is q.shape[q.rank - 1]; tf.softmax(scores, -1) normalizes each row over the keys.'
  ],
  solution: `function myAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  const hs = q.shape[q.rank - 1];
  const scores = tf.matMul(q, k, false, true).div(Math.sqrt(hs)); // (B, nh, T, T)
  const weights = tf.softmax(scores.add(mask), -1);
  return tf.matMul(weights, v);                                    // (B, nh, T, hs)
}`,
  cases: answer =>
    blockCases(answer as TensorFn, (q, k, v, mask) => scaledDotProductAttention(q, k, v, mask).output, [qkv(1, 1, 3, 2), qkv(2, 4, 5, 8), qkv(1, 2, 16, 4)], shapes => [
      causalMask(shapes[0][2])
    ])
});

export const geluExercise = defineExercise<(x: tf.Tensor) => tf.Tensor>({
  id: '02.gelu',
  title: 'GELU',
  task: "Write GPT-2's GELU, the tanh approximation: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).",
  hints: [
    '0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).',
    'Math.sqrt(2 / Math.PI) is a plain number: multiply the tensor x.add(x.pow(3).mul(0.044715)) by it.'
  ],
  solution: `function myGelu(x: tf.Tensor): tf.Tensor {
  const inner = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  return x.mul(0.5).mul(inner.tanh().add(1));
}`,
  cases: answer => blockCases(answer as TensorFn, x => gelu(x), [[[7]], [[2, 3, 16]]])
});

export type NormFn = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;

export const layerNormExercise = defineExercise<NormFn>({
  id: '02.layer-norm',
  title: 'LayerNorm',
  task: 'Normalize each vector on the last axis to mean 0 and variance 1 (eps = 1e-5), then * gamma + beta.',
  hints: [
    'mean and variance over the last axis (keepDims), (x - mean) / sqrt(variance + 1e-5), then * gamma + beta. The variance divides by n, not n - 1.',
    'x.mean(-1, true) keeps the axis, so it broadcasts back against x.',
    'variance = x.sub(mean).square().mean(-1, true).'
  ],
  solution: `function myLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const mean = x.mean(-1, true); // each token's own mean, over its channels
  const variance = x.sub(mean).square().mean(-1, true);
  return x.sub(mean).div(variance.add(1e-5).sqrt()).mul(gamma).add(beta);
}`,
  cases: answer => blockCases(answer as TensorFn, (x, g, b) => layerNorm(x, g, b), [[[2, 4], [4], [4]], [[3, 5, 8], [8], [8]]])
});

export const rmsNormExercise = defineExercise<(x: tf.Tensor, gamma: tf.Tensor) => tf.Tensor>({
  id: '02.rms-norm',
  title: 'RMSNorm',
  task: 'Divide each vector on the last axis by its root mean square, sqrt(mean(x²) + 1e-6), then scale by gamma. No mean is subtracted, no shift added.',
  hints: [
    'mean of x squared over the last axis (keepDims), add 1e-6, take the square root, divide x by it, multiply by gamma.',
    'x.square().mean(-1, true) has shape (..., 1): it broadcasts against x.',
    'tf.rsqrt(v) is 1 / sqrt(v): x.mul(x.square().mean(-1, true).add(1e-6).rsqrt()).'
  ],
  solution: `function myRmsNorm(x: tf.Tensor, gamma: tf.Tensor): tf.Tensor {
  const rms = x.square().mean(-1, true).add(1e-6).sqrt(); // (..., 1): one number per vector
  return x.div(rms).mul(gamma);
}`,
  cases: answer => blockCases(answer as TensorFn, (x, g) => rmsNorm(x, g), [[[2, 4], [4]], [[3, 5, 8], [8]]])
});

/** Random causal attention rows of one head: row q spreads weight 1 over keys 0..q, 0 after. */
function causalWeights(T: number, u: (lo: number, hi: number) => number, sharpness: number): number[][] {
  return Array.from({ length: T }, (_, q) => {
    const e = Array.from({ length: T }, (_, k) => (k <= q ? Math.exp(sharpness * u(-1, 1)) : 0));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map(x => x / sum);
  });
}

export const previousTokenExercise = defineExercise<(weights: number[][]) => number>({
  id: '03.previous-token',
  title: 'previous-token score',
  task: "Given one head's attention weights on one window, rows = queries, columns = keys (T × T), return the mean weight each query q ≥ 1 puts on the token just before it, q − 1.",
  hints: [
    'Row q holds the weights of query q; the previous token is column q - 1. Query 0 has no previous token: leave it out.',
    'Sum weights[q][q - 1] for q = 1 .. T - 1 and divide by T - 1.'
  ],
  solution: `function myPreviousTokenScore(weights: number[][]): number {
  let sum = 0;
  for (let q = 1; q < weights.length; q++) sum += weights[q][q - 1];
  return sum / (weights.length - 1);
}`,
  cases: async answer => {
    const u = uniforms(3);
    return [2, 5, 16, 40].map(T => {
      const points = [0.5, 4].map(sharpness => {
        const w = causalWeights(T, u, sharpness);
        const expected = scoresFromWeights(w.flat(), [1, 1, T, T], [[]]).prevToken[0];
        return { at: sharpness > 1 ? 'sharp rows' : 'spread rows', run: () => answer(w.map(r => [...r])), expected };
      });
      return numbersCase(`T = ${T}`, points);
    });
  }
});

/** Entropy in nats of a distribution; a weight of 0 adds nothing (p log p -> 0). */
function entropy(row: number[]): number {
  return -row.reduce((s, p) => (p > 0 ? s + p * Math.log(p) : s), 0);
}

export const attentionEntropyExercise = defineExercise<(row: number[]) => number>({
  id: '03.attention-entropy',
  title: 'entropy of an attention row',
  task: 'Return the entropy, in nats, of one attention row (weights that sum to 1; the masked keys have weight 0): 0 when all weight is on one key, ln n when spread evenly over n keys.',
  hints: [
    'Entropy = −Σ p ln p over the keys.',
    'A weight of exactly 0 adds nothing (p ln p tends to 0), but Math.log(0) is -Infinity and 0 * -Infinity is NaN: skip the zeros.'
  ],
  solution: `function myEntropy(row: number[]): number {
  let h = 0;
  for (const p of row) if (p > 0) h -= p * Math.log(p);
  return h;
}`,
  cases: async answer => {
    const u = uniforms(5);
    const copy = (row: number[]) => () => answer([...row]);
    const cases = [
      numbersCase('one key takes all', [1, 4, 9].map(n => ({ at: `${n} keys`, run: copy(Array.from({ length: n }, (_, k) => (k === n - 1 ? 1 : 0))), expected: 0 }))),
      numbersCase('spread evenly', [1, 2, 7, 64].map(n => ({ at: `${n} keys`, run: copy(new Array(n).fill(1 / n)), expected: Math.log(n) })))
    ];
    const rows = causalWeights(12, u, 2);
    cases.push(numbersCase('random causal rows (zeros after the query)', rows.map((row, q) => ({ at: `query ${q}`, run: copy(row), expected: entropy(row) }))));
    return cases;
  }
});
