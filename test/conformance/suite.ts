/**
 * The conformance suite: every case of ops.ts on `backend` against the cpu backend, forward and
 * all gradients, plus the gradient norm, AdamW, and the attention weights of a padded batch.
 * Tolerance: the largest difference, divided by max(1, the largest reference magnitude), stays
 * under `tolerance` (float32 sums in a different order differ by a few units in the 7th digit;
 * 1e-4 leaves room for that across a whole GPT, and is far below any real bug, which shows up
 * at 1e-2 or more).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDevice, type BackendName } from '../../kernel-lib/src/device/backend';
import { fused } from '../../kernel-lib/src/device/fused';
import { CausalSelfAttention, paddingMask } from '../../kernel-lib/src/nn/attention';
import { Init } from '../../kernel-lib/src/nn/init';
import { maxAbsDiff } from '../unit/helpers';
import { seededRandom } from '../../kernel-lib/src/random';
import { globalNorm } from '../../kernel-lib/src/train/clip';
import { adamwSteps, CASES, runCase } from './ops';

export function relativeError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < reference.length; i++) scale = Math.max(scale, Math.abs(reference[i]));
  return maxAbsDiff(actual, reference) / scale;
}

/** Run f on the reference: the cpu backend with tfjs's own kernels and the readable model code. */
export async function onReference<T>(f: () => Promise<T>): Promise<T> {
  await useDevice('cpu', { quiet: true });
  fused.enabled = false;
  try {
    return await f();
  } finally {
    fused.enabled = true;
  }
}

/** `variant` names a setting the suite runs under, set up and undone by `before` and `after`. */
export interface Variant {
  name: string;
  before(): void;
  after(): void;
}

export function describeConformance(backend: BackendName, tolerance = 1e-4, variant?: Variant): void {
  describe(`${backend}${variant ? ` (${variant.name})` : ''} matches the cpu reference on every op the models use, forward and backward`, () => {
    if (variant) {
      beforeAll(variant.before);
      afterAll(variant.after);
    }
    for (const c of CASES) {
      it(c.name, async () => {
        const reference = await onReference(() => runCase(c));
        await useDevice(backend, { quiet: true });
        const actual = await runCase(c);
        expect(relativeError(actual.forward, reference.forward), 'forward').toBeLessThan(tolerance);
        expect(actual.grads.length).toBe(reference.grads.length);
        reference.grads.forEach((g, i) => expect(relativeError(actual.grads[i], g), `gradient ${i}`).toBeLessThan(tolerance));
      });
    }

    it("a padded batch (lengths 3 and 5 of T 5): the short sequence's last query reads its 3 tokens, 1/3 each", async () => {
      await useDevice(backend, { quiet: true });
      expect(fused.active).toBe(true);
      const attention = new CausalSelfAttention(new Init(1), 8, 2, 0.02);
      const x = tf.zeros([2, 5, 8]); // every score is 0: a query weighs the keys it may read alike
      const mask = paddingMask([3, 5], 5);
      const { output, weights } = attention.forward(x, mask);
      const w = (await weights.array()) as number[][][][]; // (B, nh, T, T)
      for (const h of [0, 1]) {
        expect(relativeError(w[0][h][4], [1 / 3, 1 / 3, 1 / 3, 0, 0]), `head ${h}`).toBeLessThan(1e-6);
        expect(relativeError(w[1][h][4], [0.2, 0.2, 0.2, 0.2, 0.2]), `head ${h}`).toBeLessThan(1e-6);
      }
      tf.dispose([x, mask, output, weights]);
      attention.dispose();
    });

    it('self-attention takes the fused kernel causal or not, padded or not, and the readable path with a mask of another shape', async () => {
      await useDevice(backend, { quiet: true });
      const kernelsOf = async (causal: boolean, mask?: tf.Tensor) => {
        const attention = new CausalSelfAttention(new Init(1), 8, 2, 0.02, { causal });
        const x = tf.ones([2, 5, 8]);
        const { kernelNames } = await tf.profile(() => tf.tidy(() => attention.forward(x, mask).output));
        tf.dispose(x);
        attention.dispose();
        return [...kernelNames];
      };
      const padding = paddingMask([3, 5], 5);
      const queryMask = tf.zeros([5, 5]); // (T, T): not a key mask
      for (const causal of [true, false]) {
        expect(await kernelsOf(causal), `causal ${causal}`).toContain('LlmLabAttention');
        expect(await kernelsOf(causal, padding), `causal ${causal}, padded`).toContain('LlmLabAttention');
        expect(await kernelsOf(causal, queryMask), `causal ${causal}, (T, T) mask`).not.toContain('LlmLabAttention');
      }
      tf.dispose([padding, queryMask]);
    });

    it('global gradient norm of 9 tensors (more than one fused kernel reads)', async () => {
      const norm = async () => {
        const random = seededRandom(5);
        const shapes = [[300], [7, 5], [1], [64, 33], [2, 3, 4], [1000], [5], [129, 2], [3]];
        const grads = shapes.map(s => tf.tensor(Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1), s));
        const n = globalNorm(grads);
        const value = (await n.data())[0];
        tf.dispose([n, ...grads]);
        return value;
      };
      const reference = await onReference(norm);
      await useDevice(backend, { quiet: true });
      expect(Math.abs((await norm()) - reference) / reference).toBeLessThan(tolerance);
    });

    it('AdamW, four steps with weight decay', async () => {
      const reference = await onReference(adamwSteps);
      await useDevice(backend, { quiet: true });
      const actual = await adamwSteps();
      reference.forEach((r, i) => expect(relativeError(actual[i], r)).toBeLessThan(tolerance));
      expect(tf.getBackend()).toBe(backend);
    });
  });
}
