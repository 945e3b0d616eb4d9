/**
 * Quantization formats (kernel-lib/src/quant): NF4 against the published values and the block-wise
 * absmax definition, worked by hand; each method's error bound; exact packed sizes; double
 * quantization's scale error; clear errors for bad configs.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { codeAt, dequantize, dequantizeTensor, DOUBLE_QUANT_BLOCK, NF4, quantize, QuantizedTensor } from '../../kernel-lib/src/quant';
import { gaussian, seededRandom } from '../../kernel-lib/src/random';
import { onCpu } from './helpers';

beforeAll(onCpu);

function randomWeights(n: number, seed = 1, std = 0.02): Float32Array {
  const g = gaussian(seededRandom(seed));
  return Float32Array.from({ length: n }, () => g() * std);
}

/** The scale (and zero-point) that decodes element (r, c) of a weight [R, N]: channel-major storage. */
function groupOf(q: QuantizedTensor, r: number, c: number): number {
  const R = q.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return Math.floor((c * R + r) / q.groupSize);
}

describe('NF4', () => {
  it('has the 16 published values of QLoRA (bitsandbytes\' table), sorted, from -1 to 1 with an exact 0', () => {
    expect(NF4).toEqual([
      -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
      -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
      0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0
    ]);
  });

  it('quantizes a block by its absmax to the nearest NF4 value: [1, -2, 0.2, 0] -> codes 12, 0, 8, 7, bytes 0xC0 0x87', () => {
    // absmax 2: x / 2 = [0.5, -1, 0.1, 0]; 0.5 lies below the midpoint of 0.4407 and 0.5626 (0.5017): code 12;
    // 0.1 below the midpoint of 0.0796 and 0.1609 (0.1203): code 8; -1: code 0; 0: code 7
    const q = quantize(Float32Array.of(1, -2, 0.2, 0), [4], { method: 'nf4', groupSize: 4, doubleQuant: false });
    expect(Array.from(q.data)).toEqual([0xc0, 0x87]);
    expect([0, 1, 2, 3].map(i => codeAt(q, i))).toEqual([12, 0, 8, 7]);
    expect(Array.from(q.scales)).toEqual([2]);
    expect(Array.from(dequantize(q))).toEqual(Array.from(Float32Array.of(2 * NF4[12], -2, 2 * NF4[8], 0)));
    expect(q.bytes).toBe(2 + 4);
  });

  it('stores a weight [in, out] channel by channel, each block scaled by its own absmax', () => {
    // W = [[1, 4], [-3, 2]]: channel 0 is (1, -3), channel 1 is (4, 2); blocks of 2 are the channels
    const q = quantize(Float32Array.of(1, 4, -3, 2), [2, 2], { method: 'nf4', groupSize: 2, doubleQuant: false });
    expect(Array.from(q.scales)).toEqual([3, 4]);
    // 1/3 = 0.333 -> 0.3379 (code 11); -1 -> code 0; 1 -> code 15; 0.5 -> 0.4407 (code 12)
    expect([0, 1, 2, 3].map(i => codeAt(q, i))).toEqual([11, 0, 15, 12]);
    expect(Array.from(dequantize(q))).toEqual(Array.from(Float32Array.of(3 * NF4[11], 4, -3, 4 * NF4[12])));
  });

  it('double quantization stores the block scales in 8 bits (blocks of 256, a float32 scale each, and a mean offset), each within half a step', () => {
    const n = 64 * 600; // 600 block scales: 3 blocks of 256 (the last one partial)
    const w = randomWeights(n, 2);
    const plain = quantize(w, [160, n / 160], { method: 'nf4', doubleQuant: false });
    const dq = quantize(w, [160, n / 160], { method: 'nf4' });
    expect(dq.doubleQuant!.codes.length).toBe(600);
    expect(dq.doubleQuant!.scales.length).toBe(3);
    const mean = plain.scales.reduce((a, b) => a + b, 0) / 600;
    expect(dq.doubleQuant!.offset).toBeCloseTo(mean, 6);
    for (let b = 0; b < 600; b++) {
      const step = dq.doubleQuant!.scales[Math.floor(b / DOUBLE_QUANT_BLOCK)];
      expect(Math.abs(dq.scales[b] - plain.scales[b])).toBeLessThanOrEqual(step / 2 + 1e-9);
    }
    expect(Array.from(dq.data)).toEqual(Array.from(plain.data)); // codes chosen with the exact absmax, as in QLoRA
    // bytes: n/2 codes + 600 scale codes + 3 float32 second-level scales + the float32 offset
    expect(dq.bytes).toBe(n / 2 + 600 + 3 * 4 + 4);
    expect(plain.bytes).toBe(n / 2 + 600 * 4);
    expect(dq.bitsPerWeight).toBeCloseTo(4 + 8 / 64 + (16 * 8) / n, 10);
  });
});

describe('error bounds: every decoded weight is within half its scale', () => {
  const shape = [48, 40];
  const w = randomWeights(48 * 40, 3);
  for (const method of ['int8', 'int8-channel', 'int8-zeropoint', 'int4'] as const) {
    it(`${method}: |w - ŵ| <= scale / 2 for each element, and the scales are as defined`, () => {
      const q = quantize(w, shape, method === 'int4' ? { method, groupSize: 32 } : { method });
      const d = dequantize(q);
      const expectedGroups = { int8: 1, 'int8-channel': 40, 'int8-zeropoint': 40, int4: (48 * 40) / 32 }[method];
      expect(q.scales.length).toBe(expectedGroups);
      for (let r = 0; r < 48; r++) {
        for (let c = 0; c < 40; c++) {
          const s = q.scales[groupOf(q, r, c)];
          expect(Math.abs(w[r * 40 + c] - d[r * 40 + c])).toBeLessThanOrEqual(s / 2 + 1e-9);
        }
      }
      if (method === 'int8') expect(q.scales[0]).toBeCloseTo(w.reduce((m, x) => Math.max(m, Math.abs(x)), 0) / 127, 9);
      if (method === 'int8-channel') {
        const absmax0 = Math.max(...Array.from({ length: 48 }, (_, r) => Math.abs(w[r * 40])));
        expect(q.scales[0]).toBeCloseTo(absmax0 / 127, 9);
      }
      if (method === 'int8-zeropoint') {
        const col0 = Array.from({ length: 48 }, (_, r) => w[r * 40]);
        const lo = Math.min(0, ...col0);
        const hi = Math.max(0, ...col0);
        expect(q.scales[0]).toBeCloseTo((hi - lo) / 255, 9);
        expect(q.zeros![0]).toBe(Math.round(-lo / q.scales[0]));
      }
    });
  }

  it('int8-zeropoint decodes 0 exactly and uses the whole 0..255 range for a one-signed channel', () => {
    const q = quantize(Float32Array.of(0, 1, 2, 3, 4, 5, 6, 7.5), [8, 1], { method: 'int8-zeropoint' });
    expect(q.zeros![0]).toBe(0);
    expect(codeAt(q, 7)).toBe(255);
    expect(dequantize(q)[0]).toBe(0);
  });

  it('a zero weight stays zero in every method', () => {
    for (const method of ['int8', 'int8-channel', 'int8-zeropoint', 'int4', 'nf4'] as const) {
      expect(Array.from(dequantize(quantize(new Float32Array(128), [2, 64], { method })))).toEqual(Array(128).fill(0));
    }
  });
});

describe('packed sizes are exact', () => {
  it('8 bits: one byte per weight + the scales (+ the zero-points)', () => {
    const w = randomWeights(12 * 10);
    expect(quantize(w, [12, 10], { method: 'int8' }).bytes).toBe(120 + 4);
    expect(quantize(w, [12, 10], { method: 'int8-channel' }).bytes).toBe(120 + 10 * 4);
    const zp = quantize(w, [12, 10], { method: 'int8-zeropoint' });
    expect(zp.data.length).toBe(120);
    expect(zp.bytes).toBe(120 + 10 * 4 + 10);
    expect(zp.bitsPerWeight).toBeCloseTo((8 * 170) / 120, 12);
  });

  it('4 bits: ceil(n / 2) bytes (two codes per byte) + one float32 per group, odd counts included', () => {
    const q = quantize(randomWeights(15), [3, 5], { method: 'int4', groupSize: 5 });
    expect(q.data.length).toBe(8);
    expect(q.data[7] & 15).toBe(0); // the unused low nibble of the last byte
    expect(q.bytes).toBe(8 + 3 * 4);
    const big = quantize(randomWeights(160 * 480), [160, 480], { method: 'int4' });
    expect(big.data.length).toBe(160 * 240);
    expect(big.bytes).toBe(160 * 240 + (160 * 480 / 64) * 4);
    expect(big.bitsPerWeight).toBe(4.5);
  });
});

describe('quantize takes a tensor, and dequantizeTensor gives one', () => {
  it('the same codes from a tf.Tensor as from its Float32Array, and no tensor left behind', () => {
    const w = randomWeights(64 * 8, 5);
    const before = tf.memory().numTensors;
    const t = tf.tensor2d(w, [64, 8]);
    const q = quantize(t, [64, 8], { method: 'nf4' });
    expect(Array.from(q.data)).toEqual(Array.from(quantize(w, [64, 8], { method: 'nf4' }).data));
    const d = dequantizeTensor(q);
    expect(d.shape).toEqual([64, 8]);
    expect(Array.from(d.dataSync())).toEqual(Array.from(dequantize(q)));
    tf.dispose([t, d]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('bad configs are clear errors naming the values', () => {
  const w = randomWeights(100);
  it.each([
    [{ method: 'int3' }, 'quantization method "int3" is unknown; known: int8, int8-channel, int8-zeropoint, int4, nf4'],
    [{ method: 'int4' }, 'int4: groupSize 64 does not divide the 100 weights of shape [10,10]'],
    [{ method: 'nf4', groupSize: 0 }, 'nf4: groupSize must be a whole number >= 1, got 0'],
    [{ method: 'int4', groupSize: 2.5 }, 'int4: groupSize must be a whole number >= 1, got 2.5'],
    [{ method: 'int8', groupSize: 10 }, 'int8: groupSize (10) applies to int4 and nf4 only (int8 has one scale per tensor)'],
    [{ method: 'int4', groupSize: 10, doubleQuant: true }, 'int4: doubleQuant (true) applies to nf4 only']
  ])('%j', (config, message) => {
    expect(() => quantize(w, [10, 10], config as never)).toThrow(message);
  });

  it('a shape the weights do not fill, and weights that are not finite', () => {
    expect(() => quantize(w, [10, 11], { method: 'int8' })).toThrow('quantize: 100 weights do not fill the shape [10,11] (110)');
    const bad = w.slice();
    bad[7] = NaN;
    expect(() => quantize(bad, [10, 10], { method: 'int8' })).toThrow('quantize: weight 7 is NaN; only finite numbers can be quantized');
  });
});
