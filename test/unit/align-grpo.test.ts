/**
 * GRPO against hand computations written out below: group advantages (sample std, a group that
 * all scored the same), the loss (clipped ratio per token plus beta * k3 to the reference, 'bnpo'
 * and 'grpo' averaging, padding left out) and its gradient; GRPOConfig's checks.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GRPO_DEFAULTS, grpoConfig, groupAdvantages, groupPrompts, grpoLoss } from '../../kernel-lib/src/align/grpo';
import { maxAbsDiff, onCpu } from './helpers';

beforeAll(onCpu);

describe('group advantages', () => {
  it('(r - mean) / (std + 1e-4) per group of consecutive rewards, std with n - 1', () => {
    // group [1, 0, 0, 0]: mean 0.25, sample variance (0.5625 + 3 x 0.0625) / 3 = 0.25, std 0.5
    // group [3, 3, 3, 3]: all the same, advantages 0;  group [2, 5]: std sqrt(4.5) = 2.121320
    expect(maxAbsDiff(groupAdvantages([1, 0, 0, 0, 3, 3, 3, 3], 4), [0.75 / 0.5001, -0.25 / 0.5001, -0.25 / 0.5001, -0.25 / 0.5001, 0, 0, 0, 0])).toBeLessThan(1e-12);
    expect(maxAbsDiff(groupAdvantages([2, 5, 1, 1], 2), [-1.5 / 2.1214203, 1.5 / 2.1214203, 0, 0])).toBeLessThan(1e-6);
  });

  it('scaleRewards false only subtracts the group mean', () => {
    expect(groupAdvantages([1, 0, 0, 0, 2, 4, 6, 8], 4, false)).toEqual([0.75, -0.25, -0.25, -0.25, -3, -1, 1, 3]);
  });

  it('rejects a group of 1 (no baseline), rewards that do not make whole groups, and non-numbers', () => {
    expect(() => groupAdvantages([1, 2], 1)).toThrow('groupAdvantages: numGenerations must be an integer >= 2 (a group of 1 has no baseline: its advantage is always 0), got 1');
    expect(() => groupAdvantages([1, 2, 3], 2)).toThrow('groupAdvantages: 3 rewards do not make groups of numGenerations 2');
    expect(() => groupAdvantages([1, Number.NaN], 2)).toThrow('groupAdvantages: reward 1 is NaN, not a finite number');
  });

  it('groupPrompts repeats each prompt numGenerations times in a row', () => {
    expect(groupPrompts([[1, 2], [3]], 3)).toEqual([[1, 2], [1, 2], [1, 2], [3], [3], [3]]);
  });
});

describe('grpoLoss', () => {
  // oldLogp = 0, refLogp = 0: logp = log ratio, and π_ref / π = 1 / ratio. beta 0.1, epsilon 0.2.
  // answer 0 (A = 1):    ratio 1.1 inside: -1.1 + 0.1 k3 (0.0044011) = -1.0995599
  //                      ratio 1.5 clipped: -1.2 + 0.1 k3 (0.0721318) = -1.1927868
  //                      ratio 0.9 inside: -0.9 + 0.1 k3 (0.0057506) = -0.8994249
  // answer 1 (A = -0.5): ratio 0.7 clipped: 0.4 + 0.1 k3 (0.0718965) = 0.4071896
  //                      ratio 1.0:          0.5 + 0 = 0.5;  then padding (ratio 2)
  const ratios = [[1.1, 1.5, 0.9], [0.7, 1.0, 2.0]];
  const logp = () => tf.tensor2d(ratios.map(r => r.map(Math.log)));
  const zeros = tf.zeros([2, 3]);
  const advantages = tf.tensor1d([1, -0.5]);
  const mask = tf.tensor2d([[1, 1, 1], [1, 1, 0]]);
  const perToken = [-1.0995599, -1.1927868, -0.8994249, 0.4071896, 0.5];
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

  it("'bnpo' averages all 5 tokens, 'grpo' each answer's then the answers; kl is the mean k3", async () => {
    const bnpo = grpoLoss(logp(), zeros, zeros, advantages, mask, { beta: 0.1, epsilon: 0.2, lossType: 'bnpo' });
    expect((await bnpo.loss.data())[0]).toBeCloseTo(sum(perToken) / 5, 5); // -0.456916
    expect((await bnpo.kl.data())[0]).toBeCloseTo((0.0044011 + 0.0721318 + 0.0057506 + 0.0718965 + 0) / 5, 6);
    expect((await bnpo.clipFraction.data())[0]).toBeCloseTo(2 / 5, 6);
    const grpo = grpoLoss(logp(), zeros, zeros, advantages, mask, { beta: 0.1, epsilon: 0.2, lossType: 'grpo' });
    expect((await grpo.loss.data())[0]).toBeCloseTo((sum(perToken.slice(0, 3)) / 3 + sum(perToken.slice(3)) / 2) / 2, 5); // -0.305165
  });

  it('gradient: -A r where the ratio is not clipped, plus beta (1 - π_ref / π); none to old log-probs or advantages', async () => {
    // per token: -1.1 + 0.1 (1 - 1/1.1) = -1.0909091;  0 + 0.1 (1 - 1/1.5) = 0.0333333;  -0.9 + 0.1 (1 - 1/0.9) = -0.9111111
    //            0 + 0.1 (1 - 1/0.7) = -0.0428571;     0.5 + 0 = 0.5;  padding 0
    const g = [-1.0909091, 0.0333333, -0.9111111, -0.0428571, 0.5, 0];
    const f = (l: tf.Tensor, o: tf.Tensor, a: tf.Tensor) => grpoLoss(l, o, zeros, a, mask, { beta: 0.1, epsilon: 0.2, lossType: 'bnpo' }).loss;
    const [dLogp, dOld, dAdv] = tf.grads(f)([logp(), tf.zeros([2, 3]), advantages]); // old: not the reference's tensor
    expect(maxAbsDiff(await dLogp.data(), g.map(x => x / 5))).toBeLessThan(1e-6);
    expect(maxAbsDiff(await dOld.data(), [0, 0, 0, 0, 0, 0])).toBe(0);
    expect(maxAbsDiff(await dAdv.data(), [0, 0])).toBe(0);
    const dGrpo = tf.grad((l: tf.Tensor) => grpoLoss(l, zeros, zeros, advantages, mask, { beta: 0.1, epsilon: 0.2, lossType: 'grpo' }).loss)(logp());
    expect(maxAbsDiff(await dGrpo.data(), [...g.slice(0, 3).map(x => x / 3 / 2), ...g.slice(3).map(x => x / 2 / 2)])).toBeLessThan(1e-6);
  });

  it('one iteration per batch (old = logp): the ratio is 1 and the gradient -A / n; beta 0 needs no reference; leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const l = logp();
    const g = tf.grad((x: tf.Tensor) => grpoLoss(x, l, null, advantages, mask, { beta: 0, epsilon: 0.2, lossType: 'bnpo' }).loss)(l);
    expect(maxAbsDiff(await g.data(), [-1 / 5, -1 / 5, -1 / 5, 0.5 / 5, 0.5 / 5, 0])).toBeLessThan(1e-6);
    const out = grpoLoss(l, l, null, advantages, mask, { beta: 0, epsilon: 0.2, lossType: 'bnpo' });
    expect((await out.kl.data())[0]).toBe(0);
    tf.dispose([g, out, l]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad input with the values', () => {
    const c = { beta: 0.1, epsilon: 0.2, lossType: 'bnpo' as const };
    expect(() => grpoLoss(logp(), zeros, null, advantages, mask, c)).toThrow('grpoLoss: beta is 0.1 but refLogp is null; give the reference\'s log-probs, or set beta to 0');
    expect(() => grpoLoss(logp(), zeros, zeros, tf.zeros([3]), mask, c)).toThrow('grpoLoss: advantages must have shape (N) = [2], one per answer, got [3]');
    expect(() => grpoLoss(logp(), zeros, tf.zeros([2, 4]), advantages, mask, c)).toThrow('grpoLoss: refLogp [2,4] must have the shape of logp [2,3]');
    expect(() => grpoLoss(logp(), zeros, zeros, advantages, mask, { ...c, epsilon: 0 })).toThrow('grpoLoss: epsilon must be in (0, 1), got 0');
    expect(() => grpoLoss(logp(), zeros, zeros, advantages, mask, { ...c, beta: -1 })).toThrow('grpoLoss: beta must be >= 0, got -1');
  });
});

describe('GRPOConfig', () => {
  it("fills in TRL's defaults", () => {
    expect(grpoConfig({ numGenerations: 4 })).toEqual({ ...GRPO_DEFAULTS, numGenerations: 4 });
    expect(GRPO_DEFAULTS).toMatchObject({ numGenerations: 8, beta: 0.04, epsilon: 0.2, numIterations: 1, scaleRewards: true });
  });

  it.each([
    [{ numGenerations: 1 }, 'GRPOConfig: numGenerations must be an integer >= 2 (a group of 1 has no baseline: its advantage is always 0), got 1'],
    [{ beta: -0.01 }, 'GRPOConfig: beta must be a number >= 0, got -0.01'],
    [{ epsilon: 1 }, 'GRPOConfig: epsilon must be in (0, 1) (the ratio is clipped to [1 - epsilon, 1 + epsilon]), got 1'],
    [{ temperature: 0 }, 'GRPOConfig: temperature must be a number > 0 (a group of greedy answers would all be the same), got 0'],
    [{ maxCompletionLength: 0 }, 'GRPOConfig: maxCompletionLength must be a positive integer, got 0'],
    [{ lossType: 'dr_grpo' }, `GRPOConfig: lossType must be 'grpo' or 'bnpo', got "dr_grpo"`],
    [{ num_generations: 4 }, 'GRPOConfig: unknown setting "num_generations"; the settings are batchSize, numGenerations']
  ] as [object, string][])('rejects %j with a clear error', (bad, message) => {
    expect(() => grpoConfig(bad)).toThrow(message);
  });
});
