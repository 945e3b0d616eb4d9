/**
 * sequenceLogProbs and the masked next-token loss against a log-softmax written out by hand in
 * float64, with a mask that leaves out a prompt and padding.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fused } from '../../kernel-lib/src/device/fused';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { crossEntropy } from '../../kernel-lib/src/nn/loss';
import { maskedNextTokenLoss, maskedTargets, sequenceLogProbs } from '../../kernel-lib/src/train/sequenceLogProbs';
import { onCpu } from './helpers';

beforeAll(onCpu);

const config = { vocabSize: 9, blockSize: 6, nLayer: 1, nHead: 2, nEmbd: 8, seed: 2 };
const rows = [
  [1, 2, 3, 4, 5, 6],
  [7, 1, 8, 2, 0, 0]
];
// row 0: prompt of 2 tokens, answer of 4; row 1: prompt of 1, answer of 3, then 2 of padding
const mask = [
  [0, 0, 1, 1, 1, 1],
  [0, 1, 1, 1, 0, 0]
];

/** log p(ids[b][t] | ids[b][<t]) from the logits, in float64. */
function naiveLogProb(logits: number[][][], b: number, t: number): number {
  const z = logits[b][t - 1];
  const max = Math.max(...z);
  const logSumExp = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
  return z[rows[b][t]] - logSumExp;
}

describe('sequenceLogProbs', () => {
  it('sums log p of the masked-in tokens of each sequence, each read from the tokens before it', async () => {
    const model = new GPT(config);
    const ids = tf.tensor2d(rows, [2, 6], 'int32');
    const lossMask = tf.tensor2d(mask, [2, 6], 'int32');
    const logits = (await model.forward(ids).logits.array()) as number[][][];
    const out = sequenceLogProbs(model, ids, lossMask);
    const perToken = (await out.perToken.array()) as number[][];
    for (let b = 0; b < 2; b++) {
      for (let t = 1; t < 6; t++) {
        const expected = mask[b][t] ? naiveLogProb(logits, b, t) : 0;
        expect(perToken[b][t - 1], `sequence ${b}, token ${t}`).toBeCloseTo(expected, 5);
      }
    }
    const sums = Array.from(await out.sum.data());
    expect(sums[0]).toBeCloseTo([2, 3, 4, 5].reduce((s, t) => s + naiveLogProb(logits, 0, t), 0), 4);
    expect(sums[1]).toBeCloseTo([1, 2, 3].reduce((s, t) => s + naiveLogProb(logits, 1, t), 0), 4);
    expect(Array.from(await out.count.data())).toEqual([4, 3]);
    tf.dispose([ids, lossMask, out]);
    model.dispose();
  });

  it('the masked next-token loss is the mean of -log p over the same tokens, on the fused path and the readable one', async () => {
    const model = new GPT(config);
    const ids = tf.tensor2d(rows, [2, 6], 'int32');
    const lossMask = tf.tensor2d(mask, [2, 6], 'int32');
    const logits = (await model.forward(ids).logits.array()) as number[][][];
    const scored = [[0, 2], [0, 3], [0, 4], [0, 5], [1, 1], [1, 2], [1, 3]];
    const expected = -scored.reduce((s, [b, t]) => s + naiveLogProb(logits, b, t), 0) / scored.length;
    expect(Array.from(await maskedTargets(ids, lossMask).data())).toEqual([-1, 3, 4, 5, 6, 1, 8, 2, -1, -1]);
    expect(fused.active).toBe(true);
    const fast = (await maskedNextTokenLoss(model, ids, lossMask).data())[0];
    fused.enabled = false;
    const readable = (await maskedNextTokenLoss(model, ids, lossMask).data())[0];
    fused.enabled = true;
    expect(fast).toBeCloseTo(expected, 5);
    expect(readable).toBeCloseTo(expected, 5);
    // a mask of ones is the plain next-token loss of the whole sequences
    const all = tf.onesLike(ids);
    const plain = model.loss(ids.slice([0, 0], [2, 5]), ids.slice([0, 1], [2, 5]));
    expect((await maskedNextTokenLoss(model, ids, all).data())[0]).toBeCloseTo((await plain.data())[0], 6);
    tf.dispose([ids, lossMask, all, plain]);
    model.dispose();
  });

  it('gives gradients to the model only through the scored tokens', async () => {
    const model = new GPT(config);
    const ids = tf.tensor2d(rows, [2, 6], 'int32');
    const none = tf.zerosLike(ids);
    const { value, grads } = tf.variableGrads(() => sequenceLogProbs(model, ids, none).sum.sum() as tf.Scalar, model.parameters());
    expect((await value.data())[0]).toBe(0);
    for (const g of Object.values(grads)) expect(Math.max(...Array.from(await g.abs().data()))).toBe(0);
    tf.dispose([ids, none, value, grads]);
    model.dispose();
  });

  it('names the shapes when ids and mask disagree', () => {
    const model = new GPT(config);
    const ids = tf.tensor2d(rows, [2, 6], 'int32');
    expect(() => sequenceLogProbs(model, ids, tf.ones([2, 5]))).toThrow('sequenceLogProbs: lossMask must have the shape of ids [2,6], got [2,5]');
    expect(() => maskedNextTokenLoss(model, tf.tensor2d([[1]], [1, 1], 'int32'), tf.ones([1, 1]))).toThrow('maskedNextTokenLoss: ids must have shape (B, T) with T >= 2, got [1,1]');
    tf.dispose(ids);
    model.dispose();
  });
});

describe('crossEntropy with -1 targets', () => {
  it('is the one masked loss: the same number as the mean over the kept rows alone', async () => {
    const logits = tf.tensor2d([[1, 2, 0.5], [0.1, -1, 2], [3, 0, 0], [0.3, 0.2, 0.1]]);
    const masked = (await crossEntropy(logits, tf.tensor1d([2, -1, 0, -1], 'int32')).data())[0];
    const kept = (await crossEntropy(tf.gather(logits, [0, 2]) as tf.Tensor2D, tf.tensor1d([2, 0], 'int32')).data())[0];
    expect(masked).toBeCloseTo(kept, 6);
    tf.dispose(logits);
  });
});
