/**
 * Our wasm matmul (explicit transpose, then the plain fast path) against the cpu backend:
 * every transpose combination, ranks 2 to 4, forward and gradients, in both orders (a product
 * whose second operand is the larger is computed as the transpose of the swapped product).
 * And the wasm Transpose of the last two axes, against cpu, on shapes that are not whole tiles.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { useDevice } from '../../kernel-lib/src/device/backend';
import { seededRandom } from '../../kernel-lib/src/random';
import { globalNorm } from '../../kernel-lib/src/train/clip';
import { onReference } from '../conformance/suite';
import { maxAbsDiff } from './helpers';

function randomValues(n: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

async function onBackend(name: 'cpu' | 'wasm', f: () => tf.Tensor[]): Promise<Float32Array[]> {
  const run = async () => {
    const outs = f();
    const values = await Promise.all(outs.map(t => t.data() as Promise<Float32Array>));
    tf.dispose(outs);
    return values;
  };
  if (name === 'cpu') return onReference(run); // tfjs's own cpu kernels
  await useDevice(name, { quiet: true });
  return run();
}

afterAll(() => useDevice('cpu', { quiet: true }));

describe('wasm BatchMatMul with transposes', () => {
  const cases: { batch: number[]; m: number; k: number; n: number }[] = [
    { batch: [], m: 7, k: 5, n: 3 },
    { batch: [4], m: 9, k: 16, n: 9 },
    { batch: [2, 3], m: 6, k: 4, n: 5 },
    // B larger than A: the transposed products take the swapped order
    { batch: [], m: 3, k: 6, n: 11 },
    { batch: [2], m: 5, k: 8, n: 13 }
  ];
  for (const { batch, m, k, n } of cases) {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`batch [${batch}] ${m}x${k}x${n} transposeA=${tA} transposeB=${tB}: forward and gradients match cpu`, async () => {
        const aShape = [...batch, ...(tA ? [k, m] : [m, k])];
        const bShape = [...batch, ...(tB ? [n, k] : [k, n])];
        const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
        const aVals = randomValues(size(aShape), 1);
        const bVals = randomValues(size(bShape), 2);
        const dyVals = randomValues(size([...batch, m, n]), 3);
        const run = () => {
          const a = tf.tensor(aVals, aShape);
          const b = tf.tensor(bVals, bShape);
          const dy = tf.tensor(dyVals, [...batch, m, n]);
          const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, tA, tB).mul(dy).sum();
          const [ga, gb] = tf.grads(f)([a, b]);
          return [tf.matMul(a, b, tA, tB), ga, gb];
        };
        const cpu = await onBackend('cpu', run);
        const wasm = await onBackend('wasm', run);
        for (let i = 0; i < 3; i++) expect(maxAbsDiff(wasm[i], cpu[i])).toBeLessThan(1e-5);
      });
    }
  }

  it('leaks no tensors and no backend buffers (the transposed copies are freed)', async () => {
    await useDevice('wasm', { quiet: true });
    const a = tf.tensor(randomValues(16, 4), [4, 4]);
    const b = tf.tensor(randomValues(16, 5), [4, 4]);
    const c = tf.tensor(randomValues(40, 6), [4, 10]);
    tf.matMul(a, b, false, true).dispose();
    tf.matMul(a, c, true, false).dispose();
    const before = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    tf.matMul(a, b, true, true).dispose();
    tf.matMul(a, b, false, true).dispose();
    tf.matMul(a, c, true, false).dispose(); // the swapped order
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
  });
});

describe('wasm Transpose of the last two axes', () => {
  for (const shape of [[5, 3], [70, 37], [3, 33, 66], [2, 2, 4, 9], [1, 64]]) {
    it(`[${shape}] matches cpu, and other permutations still do`, async () => {
      const values = randomValues(shape.reduce((x, y) => x * y, 1), 7);
      const rank = shape.length;
      const swap = [...Array(rank - 2).keys(), rank - 1, rank - 2];
      const reverse = [...Array(rank).keys()].reverse();
      const run = () => [tf.transpose(tf.tensor(values, shape), swap), tf.transpose(tf.tensor(values, shape), reverse)];
      const cpu = await onBackend('cpu', run);
      const wasm = await onBackend('wasm', run);
      expect(wasm[0]).toEqual(cpu[0]);
      expect(wasm[1]).toEqual(cpu[1]);
    });
  }
});

describe('wasm products of a few rows (generation) and Softmax', () => {
  // M <= 4 runs in assembly/matmul.ts, M = 5 still in XNNPACK: both must agree with cpu
  const cases: { a: number[]; b: number[]; tB: boolean }[] = [
    { a: [1, 7], b: [7, 9], tB: false },
    { a: [1, 1, 64], b: [64, 65], tB: false },
    { a: [3, 10], b: [13, 10], tB: true },
    { a: [1, 4, 33], b: [1, 33, 6], tB: false },
    { a: [1, 2, 64], b: [65, 64], tB: true },
    { a: [5, 16], b: [16, 12], tB: false }
  ];
  for (const { a, b, tB } of cases) {
    it(`[${a}] x [${b}]${tB ? '^T' : ''} matches cpu`, async () => {
      const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
      const aVals = randomValues(size(a), 8);
      const bVals = randomValues(size(b), 9);
      const run = () => [tf.matMul(tf.tensor(aVals, a), tf.tensor(bVals, b), false, tB)];
      const cpu = await onBackend('cpu', run);
      const wasm = await onBackend('wasm', run);
      expect(wasm[0].length).toBe(cpu[0].length);
      expect(maxAbsDiff(wasm[0], cpu[0])).toBeLessThan(1e-5);
    });
  }

  it('Softmax over the last axis matches cpu, on rows of any length and with large scores', async () => {
    const values = randomValues(3 * 4 * 37, 10).map((v, i) => v * (i % 5 === 0 ? 80 : 3));
    const run = () => [
      tf.softmax(tf.tensor(values, [3, 4, 37])),
      tf.softmax(tf.tensor(values.slice(0, 5), [5]))
    ];
    const cpu = await onBackend('cpu', run);
    const wasm = await onBackend('wasm', run);
    for (let i = 0; i < 2; i++) expect(maxAbsDiff(wasm[i], cpu[i])).toBeLessThan(1e-6);
    const rowSum = Array.from({ length: 12 }, (_, r) => wasm[0].slice(r * 37, r * 37 + 37).reduce((s, p) => s + p, 0));
    rowSum.forEach(s => expect(s).toBeCloseTo(1, 5));
  });

  it('gives masked scores (-Infinity, or far below the row maximum) a weight of exactly 0', async () => {
    await useDevice('wasm', { quiet: true });
    const scores = tf.tensor([[0.5, -Infinity, -Infinity, 1.5, -Infinity, -1e9, 0, -200]]);
    const weights = await tf.softmax(scores).data();
    tf.dispose(scores);
    expect(Array.from(weights).filter((_, i) => [1, 2, 4, 5, 7].includes(i))).toEqual([0, 0, 0, 0, 0]);
    expect(weights[3]).toBeCloseTo(Math.exp(1.5) / (Math.exp(0.5) + Math.exp(1.5) + 1), 6);
  });
});

describe('wasm sum of squares (the gradient norm)', () => {
  it('gives the bits of the readable Square, Sum and Add chain, in one kernel call', async () => {
    await useDevice('wasm', { quiet: true });
    const r = seededRandom(11);
    const shapes = [[300], [7, 5], [1], [0], [64, 33], [2, 3, 4], [1000], [129, 2], [3], [1024, 160]];
    const grads = shapes.map((s, i) => tf.tensor(randomValues(s.reduce((a, b) => a * b, 1), 20 + i).map(v => v * 10 ** (r() * 4 - 2)), s));
    const readable = grads.reduce((acc, g) => acc.add(g.square().sum()), tf.scalar(0));
    const { result, kernels } = await (async () => {
      const info = await tf.profile(() => globalNorm(grads));
      return { result: info.result as tf.Scalar, kernels: info.kernelNames };
    })();
    expect(kernels).toEqual(expect.arrayContaining(['LlmLabSumSquares']));
    expect(kernels).not.toContain('Square');
    const norm = (await result.data())[0];
    expect(norm).toBe(Math.fround(Math.sqrt((await readable.data())[0])));
    tf.dispose([readable, result, ...grads]);
  });
});

describe('wasm Add', () => {
  const cases: [number[], number[]][] = [
    [[6, 5], [5]], // a bias on every row (5: not a multiple of 4)
    [[3, 4, 8], [1, 4, 8]], // a position embedding on every sequence
    [[7], [7]],
    [[1, 9], [2, 3, 9]], // the larger second
    [[2, 3], []], // a scalar
    [[4, 1, 3], [4, 2, 3]], // a broadcast in the middle: tfjs's own Add
    [[2, 3], [2, 1]]
  ];
  for (const [sa, sb] of cases) {
    it(`[${sa}] + [${sb}] matches cpu`, async () => {
      const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
      const f = () => [tf.add(tf.tensor(randomValues(size(sa), 31), sa), tf.tensor(randomValues(size(sb), 32), sb))];
      const shapeOn = async (backend: 'cpu' | 'wasm') => {
        await useDevice(backend, { quiet: true });
        const out = f()[0];
        out.dispose();
        return out.shape;
      };
      const reference = await onBackend('cpu', f);
      const expectedShape = await shapeOn('cpu');
      expect(await shapeOn('wasm')).toEqual(expectedShape);
      expect(Array.from((await onBackend('wasm', f))[0])).toEqual(Array.from(reference[0])); // the same sums
    });
  }
});
