import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useDevice } from '../../kernel-lib/src/device/backend';
import { Block } from '../../kernel-lib/src/nn/block';
import { embeddingLookup } from '../../kernel-lib/src/nn/embedding';
import { Init } from '../../kernel-lib/src/nn/init';
import { seededRandom } from '../../kernel-lib/src/random';
import { maxAbsDiff, onCpu } from './helpers';

beforeAll(onCpu);

describe('gradients', () => {
  it("a transformer block's gradients match central finite differences", async () => {
    const B = 2, T = 4, C = 8, nHead = 2;
    const block = new Block(new Init(21), C, nHead, 0.1);
    const params = block.namedParameters();
    const rnd = seededRandom(5);
    // Perturb every parameter away from its init (LayerNorm gains of exactly 1, zero biases
    // would hide mistakes), with values large enough for attention to be non-uniform.
    for (const [name, v] of params) {
      const vals = new Float32Array(v.size).map(() => (rnd() * 2 - 1) * 0.5 + (name.includes('ln_') && name.includes('weight') ? 1 : 0));
      v.assign(tf.tensor(vals, v.shape));
    }
    const x = tf.tensor(new Float32Array(B * T * C).map(() => rnd() * 2 - 1), [B, T, C]);
    const probe = tf.tensor(new Float32Array(B * T * C).map(() => rnd() * 2 - 1), [B, T, C]);
    // A scalar function of the block's output: a random projection of it.
    const f = () => tf.tidy(() => block.forward(x).output.mul(probe).sum() as tf.Scalar);
    const { grads } = tf.variableGrads(f);

    const eps = 1e-2;
    let checked = 0;
    for (const [name, v] of params) {
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
    expect(checked).toBe(params.length * 3);
    block.dispose();
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`the embedding gradient adds each upstream row into the row of its id (${backend}; UnsortedSegmentSum)`, async () => {
      await useDevice(backend, { quiet: true });
      const V = 40;
      const D = 5;
      const idList = [1, 4, 1, 0, 39, 1, 17, 4];
      const tableValues = new Float32Array(V * D).map((_, i) => Math.sin(i));
      const table = tf.variable(tf.tensor(tableValues, [V, D]));
      const ids = tf.tensor1d(idList, 'int32');
      const dyValues = new Float32Array(idList.length * D).map((_, i) => Math.cos(i));
      const dy = tf.tensor(dyValues, [idList.length, D]);
      const grad = tf.grad(t => embeddingLookup(t as tf.Tensor2D, ids).mul(dy).sum())(table);
      const expected = new Float32Array(V * D); // the naive loop
      idList.forEach((id, r) => {
        for (let d = 0; d < D; d++) expected[id * D + d] += dyValues[r * D + d];
      });
      expect(maxAbsDiff(await grad.data(), expected)).toBeLessThan(1e-6);
      const rows = idList.flatMap(id => Array.from(tableValues.subarray(id * D, id * D + D)));
      expect(maxAbsDiff(await embeddingLookup(table, ids).data(), rows)).toBe(0);
      tf.dispose([table, ids, dy, grad]);
      await onCpu();
    });
  }
});
