/** The building blocks beyond GPT-2's: positional encodings, RMSNorm, SwiGLU, against naive loops. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SwiGLU } from '../../kernel-lib/src/nn/mlp';
import { Init } from '../../kernel-lib/src/nn/init';
import { rope, sinusoidalEncoding } from '../../kernel-lib/src/nn/positions';
import { rmsNorm } from '../../kernel-lib/src/nn/rmsNorm';
import { seededRandom } from '../../kernel-lib/src/random';
import { maxAbsDiff, onCpu } from './helpers';

beforeAll(onCpu);

const random = (n: number, seed: number) => {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

describe('positional encodings', () => {
  it('sinusoidal: sin and cos of p / 10000^(2i/d)', async () => {
    const pe = await sinusoidalEncoding(6, 8).array();
    expect(pe[0]).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
    expect(pe[5][2]).toBeCloseTo(Math.sin(5 / 10000 ** (2 / 8)), 6);
    expect(pe[5][3]).toBeCloseTo(Math.cos(5 / 10000 ** (2 / 8)), 6);
    expect(() => sinusoidalEncoding(4, 7)).toThrow('need T >= 1 and an even d >= 2, got T = 4, d = 7');
  });

  it('RoPE: rotations keep lengths, and q . k depends only on the distance between positions', async () => {
    const d = 8;
    const q = random(d, 1);
    const k = random(d, 2);
    // the same q at position m and k at position n, for several (m, n) with m - n = 3
    const dotAt = async (m: number, n: number) => {
      const rq = rope(tf.tensor2d(q, [1, d]), { offset: m });
      const rk = rope(tf.tensor2d(k, [1, d]), { offset: n });
      return (await rq.mul(rk).sum().data())[0];
    };
    const dots = await Promise.all([[3, 0], [10, 7], [40, 37]].map(([m, n]) => dotAt(m, n)));
    expect(Math.max(...dots) - Math.min(...dots)).toBeLessThan(1e-5);
    expect(Math.abs((await dotAt(5, 0)) - dots[0])).toBeGreaterThan(1e-3); // another distance, another score
    const x = tf.tensor3d(random(2 * 5 * d, 3), [2, 5, d]);
    const norms = async (t: tf.Tensor) => Array.from(await t.square().sum(-1).data());
    expect(maxAbsDiff(await norms(rope(x)), await norms(x))).toBeLessThan(1e-5);
    // position 0 is not turned
    expect(maxAbsDiff(await rope(x).slice([0, 0, 0], [2, 1, d]).data(), await x.slice([0, 0, 0], [2, 1, d]).data())).toBeLessThan(1e-7);
  });
});

describe('RMSNorm and SwiGLU', () => {
  it('RMSNorm equals the naive loop', async () => {
    const x = random(3 * 6, 4);
    const g = random(6, 5);
    const ours = await rmsNorm(tf.tensor2d(x, [3, 6]), tf.tensor1d(g)).data();
    const naive: number[] = [];
    for (let r = 0; r < 3; r++) {
      const row = x.slice(r * 6, r * 6 + 6);
      const rms = Math.sqrt(row.reduce((s, v) => s + v * v, 0) / 6 + 1e-6);
      row.forEach((v, c) => naive.push((v / rms) * g[c]));
    }
    expect(maxAbsDiff(ours, naive)).toBeLessThan(1e-6);
  });

  it('SwiGLU equals down(silu(gate x) * up x), with no biases', async () => {
    const f = new SwiGLU(new Init(3), 4, 6, 0.02);
    const x = tf.tensor2d(random(2 * 4, 6), [2, 4]);
    const [G, U, D] = ['gate_proj', 'up_proj', 'down_proj'].map(name => f.getParameter(`${name}.weight`));
    const silu = (t: tf.Tensor) => t.div(t.neg().exp().add(1));
    const naive = tf.matMul(silu(tf.matMul(x, G)).mul(tf.matMul(x, U)), D);
    expect(maxAbsDiff(await f.forward(x).data(), await naive.data())).toBeLessThan(1e-6);
    expect(f.namedParameters().map(([name]) => name)).toEqual(['gate_proj.weight', 'up_proj.weight', 'down_proj.weight']);
    f.dispose();
  });
});
