import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Block } from '../../kernel-lib/src/nn/block';
import { embeddingLookup } from '../../kernel-lib/src/nn/embedding';
import { Params } from '../../kernel-lib/src/nn/params';
import { seededRandom } from '../../kernel-lib/src/random';
import { maxAbsDiff, onCpu } from './helpers';

beforeAll(onCpu);

describe('gradients', () => {
  it("a transformer block's gradients match central finite differences", async () => {
    const B = 2, T = 4, C = 8, nHead = 2;
    const params = new Params(21);
    const block = new Block(params, 'h.0', C, nHead, 0.1);
    const rnd = seededRandom(5);
    // Perturb every parameter away from its init (LayerNorm gains of exactly 1, zero biases
    // would hide mistakes), with values large enough for attention to be non-uniform.
    for (const v of params.variables.values()) {
      const vals = new Float32Array(v.size).map(() => (rnd() * 2 - 1) * 0.5 + (v.name.includes('ln_') && v.name.includes('weight') ? 1 : 0));
      v.assign(tf.tensor(vals, v.shape));
    }
    const x = tf.tensor(new Float32Array(B * T * C).map(() => rnd() * 2 - 1), [B, T, C]);
    const probe = tf.tensor(new Float32Array(B * T * C).map(() => rnd() * 2 - 1), [B, T, C]);
    // A scalar function of the block's output: a random projection of it.
    const f = () => tf.tidy(() => block.forward(x).output.mul(probe).sum() as tf.Scalar);
    const { grads } = tf.variableGrads(f);

    const eps = 1e-2;
    let checked = 0;
    for (const [name, v] of params.variables) {
      const analytic = await grads[v.name].data();
      const base = await v.data();
      // A few coordinates per tensor, chosen at random.
      for (let n = 0; n < 3; n++) {
        const i = Math.floor(rnd() * v.size);
        const at = (delta: number) => {
          const moved = Float32Array.from(base);
          moved[i] += delta;
          v.assign(tf.tensor(moved, v.shape));
          const y = f();
          const val = y.dataSync()[0];
          y.dispose();
          return val;
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        v.assign(tf.tensor(base, v.shape));
        const err = Math.abs(numeric - analytic[i]) / Math.max(1, Math.abs(numeric));
        expect(err, `${name}[${i}]: analytic ${analytic[i]} vs numeric ${numeric}`).toBeLessThan(2e-2);
        checked++;
      }
    }
    expect(checked).toBe(params.variables.size * 3);
    params.dispose();
  });

  it('the embedding gradient (one-hot matmul) equals the gather gradient', async () => {
    const table = tf.variable(tf.tensor(new Float32Array(6 * 3).map((_, i) => Math.sin(i)), [6, 3]));
    const ids = tf.tensor1d([1, 4, 1, 0, 5, 1], 'int32');
    const dy = tf.tensor(new Float32Array(6 * 3).map((_, i) => Math.cos(i)), [6, 3]);
    const ours = tf.grad(t => embeddingLookup(t as tf.Tensor2D, ids).mul(dy).sum())(table);
    const reference = tf.grad(t => tf.gather(t, ids).mul(dy).sum())(table);
    expect(maxAbsDiff(await ours.data(), await reference.data())).toBeLessThan(1e-6);
    expect(maxAbsDiff(await embeddingLookup(table, ids).data(), await tf.gather(table, ids).data())).toBe(0);
    // Row 1 appears three times: its gradient is the sum of three rows of dy.
    const g = (await ours.array()) as number[][];
    const d = (await dy.array()) as number[][];
    expect(g[1][0]).toBeCloseTo(d[0][0] + d[2][0] + d[5][0], 5);
    expect(g[2]).toEqual([0, 0, 0]);
  });
});
