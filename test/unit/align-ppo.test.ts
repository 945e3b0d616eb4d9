/**
 * PPO's math against hand computations written out below: the KL estimators, masked whitening,
 * the per-token rewards, GAE (gamma, lambda, an answer that ends early), the clipped policy loss
 * and the clipped value loss with their gradients; PPOConfig's checks; the value head's model.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { klPerToken } from '../../kernel-lib/src/align/kl';
import { maskedMean, maskedWhiten, stopGradient } from '../../kernel-lib/src/align/masked';
import { clippedPolicyLoss, gae, PPO_DEFAULTS, ppoConfig, tokenRewards, valueLoss } from '../../kernel-lib/src/align/ppo';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { PolicyWithValue } from '../../kernel-lib/src/models/policyWithValue';
import { sequenceLogProbs } from '../../kernel-lib/src/train/sequenceLogProbs';
import { maxAbsDiff, onCpu } from './helpers';

beforeAll(onCpu);

function expectClose(actual: ArrayLike<number> | number[][], expected: number[] | number[][], tol = 1e-5): void {
  const a = (Array.isArray(actual) ? (actual as number[][]).flat() : Array.from(actual)) as number[];
  expect(maxAbsDiff(a, (expected as number[][]).flat() as number[]), `${a} vs ${expected}`).toBeLessThan(tol);
}

describe('KL estimators', () => {
  it('k1, k2, k3 at two tokens: log 2 and log 1/3 between policy and reference', async () => {
    // token 0: π = 0.5, π_ref = 0.25, r = 0.5;  token 1: π = 0.2, π_ref = 0.6, r = 3
    const logp = tf.tensor1d([Math.log(0.5), Math.log(0.2)]);
    const refLogp = tf.tensor1d([Math.log(0.25), Math.log(0.6)]);
    const ln2 = 0.693147;
    const ln3 = 1.098612;
    expectClose(await klPerToken(logp, refLogp, 'k1').data(), [ln2, -ln3]); // -log r
    expectClose(await klPerToken(logp, refLogp, 'k2').data(), [0.5 * ln2 * ln2, 0.5 * ln3 * ln3]); // 0.240227, 0.603474
    expectClose(await klPerToken(logp, refLogp, 'k3').data(), [0.5 - 1 + ln2, 3 - 1 - ln3]); // 0.193147, 0.901388
    expect(klPerToken(logp, refLogp).shape).toEqual([2]); // k1 by default
  });

  it('k1 and k3 average to the exact KL over the policy\'s distribution; k3 is never negative', async () => {
    // π = [0.5, 0.3, 0.2], π_ref = [0.25, 0.25, 0.5]: KL = 0.5 ln 2 + 0.3 ln 1.2 + 0.2 ln 0.4 = 0.218012
    const p = [0.5, 0.3, 0.2];
    const q = [0.25, 0.25, 0.5];
    const exact = 0.5 * Math.log(2) + 0.3 * Math.log(1.2) + 0.2 * Math.log(0.4);
    expect(exact).toBeCloseTo(0.218012, 6);
    const logp = tf.tensor1d(p.map(Math.log));
    const refLogp = tf.tensor1d(q.map(Math.log));
    for (const k of ['k1', 'k3'] as const) {
      const perToken = await klPerToken(logp, refLogp, k).data();
      expect(p.reduce((s, pi, i) => s + pi * perToken[i], 0), k).toBeCloseTo(exact, 6);
    }
    const k1 = await klPerToken(logp, refLogp, 'k1').data();
    expect(Math.min(...k1)).toBeLessThan(0); // a single k1 can be negative ...
    expect(Math.min(...(await klPerToken(logp, refLogp, 'k3').data()))).toBeGreaterThan(0); // ... k3 cannot
  });

  it('rejects an unknown estimator and mismatched shapes', () => {
    expect(() => klPerToken(tf.zeros([2]), tf.zeros([2]), 'k4' as 'k1')).toThrow(`klPerToken: klEstimator must be 'k1', 'k2', 'k3', got "k4"`);
    expect(() => klPerToken(tf.zeros([2]), tf.zeros([3]))).toThrow('klPerToken: logp [2] and refLogp [3] must have the same shape');
  });
});

describe('masked statistics', () => {
  it('the mean and the whitening leave the padding out (Bessel-corrected variance)', async () => {
    // values 1, 2, 3 and padding 100: mean 2, variance (1 + 0 + 1) / (3 - 1) = 1
    const x = tf.tensor2d([[1, 2], [3, 100]]);
    const mask = tf.tensor2d([[1, 1], [1, 0]]);
    expect((await maskedMean(x, mask).data())[0]).toBeCloseTo(2, 6);
    expectClose(await maskedMean(x, mask, 1).data(), [1.5, 3]);
    expectClose(await maskedWhiten(x, mask).data(), [-1, 0, 1, 0]);
    expectClose(await maskedWhiten(x, tf.tensor2d([[0, 1], [0, 0]])).data(), [0, 0, 0, 0]); // one value: centred to 0, not 0 / 0
  });

  it('stopGradient passes the values and no gradient', async () => {
    const x = tf.tensor1d([1, 2]);
    const g = tf.grad((v: tf.Tensor) => v.square().add(stopGradient(v).mul(v)).sum())(x); // d/dv (v^2 + c v) = 2v + c
    expectClose(await g.data(), [3, 6]);
  });
});

describe('per-token rewards and GAE', () => {
  it('tokenRewards: -klCoef * kl at every token, the score added at each answer\'s last token', async () => {
    // row 0: kl = [0.5, -1, 0], score 2 at t = 2;  row 1 ends after 2 tokens: kl = [0.2, -0.5], score -1 at t = 1
    const logp = tf.tensor2d([[-1, -2, -0.5], [-0.3, -0.7, 0]]);
    const refLogp = tf.tensor2d([[-1.5, -1, -0.5], [-0.5, -0.2, -3]]);
    const mask = tf.tensor2d([[1, 1, 1], [1, 1, 0]]);
    const { rewards, kl } = tokenRewards(tf.tensor1d([2, -1]), logp, refLogp, mask, 0.1);
    expectClose(await kl.array(), [[0.5, -1, 0], [0.2, -0.5, 0]]);
    expectClose(await rewards.array(), [[-0.05, 0.1, 2], [-0.02, 0.05 - 1, 0]]);
    expect(() => tokenRewards(tf.tensor1d([1, 2, 3]), logp, refLogp, mask, 0.1)).toThrow('tokenRewards: scores must have shape (B) = [2], one per answer, got [3]');
  });

  const rewards = tf.tensor2d([[0.1, -0.2, 1.0], [0.2, 0.5, 9]]); // 9 and 7: padding, must be ignored
  const values = tf.tensor2d([[0.5, 0.4, 0.3], [0.6, 0.1, 7]]);
  const mask = tf.tensor2d([[1, 1, 1], [1, 1, 0]]);

  it('gamma 0.9, lambda 0.8: advantages and returns by hand, the second answer ending after 2 tokens', async () => {
    // row 0, backwards: delta2 = 1 - 0.3 = 0.7, A2 = 0.7
    //   delta1 = -0.2 + 0.9 * 0.3 - 0.4 = -0.33, A1 = -0.33 + 0.72 * 0.7 = 0.174
    //   delta0 = 0.1 + 0.9 * 0.4 - 0.5 = -0.04, A0 = -0.04 + 0.72 * 0.174 = 0.08528
    // row 1 ends at t = 1 (no value after it): A1 = 0.5 - 0.1 = 0.4
    //   delta0 = 0.2 + 0.9 * 0.1 - 0.6 = -0.31, A0 = -0.31 + 0.72 * 0.4 = -0.022
    const { advantages, returns } = gae(rewards, values, mask, 0.9, 0.8);
    expectClose(await advantages.array(), [[0.08528, 0.174, 0.7], [-0.022, 0.4, 0]]);
    expectClose(await returns.array(), [[0.58528, 0.574, 1.0], [0.578, 0.5, 0]]); // A + V
  });

  it('lambda 1, gamma 1: the rewards still to come less the value; lambda 0: one-step TD errors', async () => {
    const mc = gae(rewards, values, mask, 1, 1).advantages;
    expectClose(await mc.array(), [[0.9 - 0.5, 0.8 - 0.4, 1 - 0.3], [0.7 - 0.6, 0.5 - 0.1, 0]]);
    const td = gae(rewards, values, mask, 0.9, 0).advantages;
    expectClose(await td.array(), [[-0.04, -0.33, 0.7], [-0.31, 0.4, 0]]);
  });

  it('rejects gamma or lambda outside [0, 1] and shapes that differ', () => {
    expect(() => gae(rewards, values, mask, 1.1, 0.9)).toThrow('gae: gamma must be in [0, 1], got 1.1');
    expect(() => gae(rewards, values, mask, 1, -0.5)).toThrow('gae: lam must be in [0, 1], got -0.5');
    expect(() => gae(rewards, tf.zeros([2, 4]), mask, 1, 1)).toThrow('gae: values [2,4] must have the shape of rewards [2,3]');
  });
});

describe('clipped losses', () => {
  // cliprange 0.2; oldLogp = 0, so logp = log ratio. Per token (ratio, advantage) -> max(-A r, -A clip(r)):
  //   (1.1,  2): inside          -2.2 (unclipped = clipped)   d/dlogp = -A r = -2.2
  //   (1.5,  2): above, A > 0    -2.4 (clipped)               0
  //   (0.5, -1): below, A < 0     0.8 (clipped)               0
  //   (0.5,  1): below, A > 0    -0.5 (unclipped: worse)      -0.5
  //   (1.5, -1): above, A < 0     1.5 (unclipped: worse)       1.5
  //   (3,    5): padding
  const ratios = [1.1, 1.5, 0.5, 0.5, 1.5, 3];
  const advantages = tf.tensor2d([[2, 2, -1, 1, -1, 5]]);
  const mask = tf.tensor2d([[1, 1, 1, 1, 1, 0]]);
  const oldLogp = tf.zeros([1, 6]);

  it('policy loss: the clipped objective by hand, the clip fraction and approx KL', async () => {
    const { loss, clipFraction, approxKl } = clippedPolicyLoss(tf.tensor2d([ratios.map(Math.log)]), oldLogp, advantages, mask, 0.2);
    expect((await loss.data())[0]).toBeCloseTo((-2.2 - 2.4 + 0.8 - 0.5 + 1.5) / 5, 5); // -0.56
    expect((await clipFraction.data())[0]).toBeCloseTo(2 / 5, 6);
    // 0.5 (log r)^2: 0.004542, 0.082201, 0.240227, 0.240227, 0.082201
    expect((await approxKl.data())[0]).toBeCloseTo((0.004542 + 0.082201 + 0.240227 + 0.240227 + 0.082201) / 5, 5);
  });

  it('policy loss gradient: -A r / n where the unclipped term wins, 0 where the clip holds it; none to old log-probs or advantages', async () => {
    const logp = tf.tensor2d([ratios.map(Math.log)]);
    const [dLogp, dOld, dAdv] = tf.grads((l: tf.Tensor, o: tf.Tensor, a: tf.Tensor) => clippedPolicyLoss(l, o, a, mask, 0.2).loss)([logp, oldLogp, advantages]);
    expectClose(await dLogp.data(), [-2.2 / 5, 0, 0, -0.5 / 5, 1.5 / 5, 0]);
    expectClose(await dOld.data(), [0, 0, 0, 0, 0, 0]);
    expectClose(await dAdv.data(), [0, 0, 0, 0, 0, 0]);
  });

  it('value loss: half the mean of the larger squared error, its gradient 0 where the clipped one wins', async () => {
    // cliprangeValue 0.2, old value 1:  V 1.1, R 2: 0.81 both (inside);  V 1.5, R 2: clipped 1.2 -> 0.64 > 0.25;
    // V 1.5, R 1: 0.25 > clipped (1.2 - 1)^2 = 0.04;  4th token: padding
    const values = tf.tensor2d([[1.1, 1.5, 1.5, 9]]);
    const old = tf.tensor2d([[1, 1, 1, 1]]);
    const returns = tf.tensor2d([[2, 2, 1, 0]]);
    const m = tf.tensor2d([[1, 1, 1, 0]]);
    const { loss, clipFraction } = valueLoss(values, old, returns, m, 0.2);
    expect((await loss.data())[0]).toBeCloseTo((0.5 * (0.81 + 0.64 + 0.25)) / 3, 5);
    expect((await clipFraction.data())[0]).toBeCloseTo(1 / 3, 6);
    const g = tf.grad((v: tf.Tensor) => valueLoss(v, old, returns, m, 0.2).loss)(values);
    expectClose(await g.data(), [(1.1 - 2) / 3, 0, (1.5 - 1) / 3, 0]);
  });

  it('reject a clip range outside (0, 1) and shapes that differ', () => {
    expect(() => clippedPolicyLoss(oldLogp, oldLogp, advantages, mask, 1)).toThrow('clippedPolicyLoss: cliprange must be in (0, 1), got 1');
    expect(() => clippedPolicyLoss(oldLogp, oldLogp, advantages, tf.ones([1, 5]), 0.2)).toThrow('clippedPolicyLoss: mask [1,5] must have the shape of logp [1,6]');
    expect(() => valueLoss(oldLogp, oldLogp, advantages, mask, 0)).toThrow('valueLoss: cliprangeValue must be > 0, got 0');
  });

  it('leave no tensor behind but their results', () => {
    const before = tf.memory().numTensors;
    const logp = tf.tensor2d([ratios.map(Math.log)]);
    const out = clippedPolicyLoss(logp, oldLogp, advantages, mask, 0.2);
    const v = valueLoss(logp, oldLogp, advantages, mask, 0.2);
    const g = gae(advantages, logp, mask, 1, 0.95);
    const r = tokenRewards(tf.tensor1d([1]), logp, oldLogp, mask, 0.1);
    expect(tf.memory().numTensors).toBe(before + 1 + 3 + 2 + 2 + 2 + 1);
    tf.dispose([logp, out, v, g, r]);
    expect(tf.memory().numTensors).toBe(before + 1); // the scores tensor1d above
  });
});

describe('PPOConfig', () => {
  it('fills in TRL\'s defaults', () => {
    expect(ppoConfig({ klCoef: 0 })).toEqual({ ...PPO_DEFAULTS, klCoef: 0 });
    expect(PPO_DEFAULTS).toMatchObject({ numPpoEpochs: 4, cliprange: 0.2, cliprangeValue: 0.2, vfCoef: 0.1, klCoef: 0.05, gamma: 1, lam: 0.95 });
  });

  it.each([
    [{ cliprange: 0 }, 'PPOConfig: cliprange must be a number > 0, got 0'],
    [{ cliprange: 1.5 }, 'PPOConfig: cliprange must be below 1 (the ratio is clipped to [1 - cliprange, 1 + cliprange]), got 1.5'],
    [{ numPpoEpochs: 0 }, 'PPOConfig: numPpoEpochs must be a positive integer, got 0'],
    [{ batchSize: 16, numMiniBatches: 3 }, 'PPOConfig: batchSize (16) must be divisible by numMiniBatches (3)'],
    [{ klCoef: -0.1 }, 'PPOConfig: klCoef must be a number >= 0, got -0.1'],
    [{ gamma: 1.01 }, 'PPOConfig: gamma must be in [0, 1], got 1.01'],
    [{ lam: Number.NaN }, 'PPOConfig: lam must be in [0, 1], got NaN'],
    [{ klEstimator: 'k2' }, `PPOConfig: klEstimator must be 'k1' or 'k3' (unbiased estimates of the KL), got "k2"`],
    [{ kl_coef: 0.1 }, 'PPOConfig: unknown setting "kl_coef"; the settings are batchSize, numMiniBatches']
  ] as [object, string][])('rejects %j with a clear error', (bad, message) => {
    expect(() => ppoConfig(bad as object)).toThrow(message);
  });
});

describe('PolicyWithValue', () => {
  const config = { vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, seed: 5 };

  it('shares the GPT\'s weights, adds v_head.summary as TRL names it, and reads values from the same hidden states', async () => {
    const gpt = new GPT(config);
    const model = new PolicyWithValue(gpt);
    const names = model.namedParameters().map(([n]) => n);
    expect(names).toEqual([...gpt.namedParameters().map(([n]) => n), 'v_head.summary.weight', 'v_head.summary.bias']);
    expect(model.namedParameters()[0][1]).toBe(gpt.namedParameters()[0][1]); // the same variable
    const ids = tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8]], [2, 4], 'int32');
    const { logits, values } = model.forward(ids);
    expect(values.shape).toEqual([2, 4]);
    expect(maxAbsDiff(await logits.data(), await gpt.forward(ids).logits.data())).toBeLessThan(1e-6);
    // values = hidden . w + b, the bias set to 0.5 to see it
    model.vHead.summary.bias.assign(tf.tensor1d([0.5]));
    const hidden = (await gpt.transformer.forward(ids).hidden.array()) as number[][][];
    const w = (await model.vHead.summary.weight.array()) as number[][];
    const expected = hidden.map(row => row.map(h => h.reduce((s, x, c) => s + x * w[0][c], 0.5)));
    expectClose(await model.forward(ids).values.array(), expected);
    // a CausalLM for sequenceLogProbs, as the GPT is
    const mask = tf.ones([2, 4]);
    expect(maxAbsDiff(await sequenceLogProbs(model, ids, mask).sum.data(), await sequenceLogProbs(gpt, ids, mask).sum.data())).toBeLessThan(1e-6);
    model.dispose();
  });
});
