/**
 * Quantization formats: a float32 weight stored as small integer codes plus a few float scales.
 *
 *   method           codes                         scales                           decoded weight
 *   int8             8 bits, two's complement      one absmax/127 per tensor        q * s
 *   int8-channel     8 bits, two's complement      one absmax/127 per out channel   q * s
 *   int8-zeropoint   8 bits, unsigned (0..255)     (max-min)/255 + a u8 zero-point  (q - z) * s
 *                                                  per out channel
 *   int4             4 bits, q + 8 (q in -7..7)    one absmax/7 per group           q * s
 *   nf4              4 bits, index into NF4        one absmax per block of 64       NF4[q] * s
 *                                                  (double quant: see doubleQuant.ts)
 *
 * int4 is symmetric (absmax): zero stays exactly zero and the error is at most s/2, like int8's.
 *
 * Storage order. A weight of shape [..., N] (a Linear's [in, out]) is stored channel by channel:
 * the R = size / N numbers of output channel 0, then channel 1, ... (the transpose, PyTorch's
 * [out, in] layout). So a per-channel scale covers one contiguous run, and a group or block is
 * `groupSize` consecutive numbers in that order (a block may run on into the next channel, as in
 * bitsandbytes, which blocks the flattened tensor). 4-bit codes are packed two per byte, the
 * first in the high nibble (as bitsandbytes packs them); an odd count leaves the last low nibble 0.
 */
import * as tf from '@tensorflow/tfjs';
import { checkQuantConfig, QuantConfig, QuantMethod } from './config';
import { DoubleQuant, doubleQuantize, doubleQuantBytes, dequantizeScales } from './doubleQuant';
import { NF4, nearestNF4 } from './nf4';

export interface QuantizedTensor {
  readonly method: QuantMethod;
  /** The float weight's shape. */
  readonly shape: number[];
  /** How many consecutive numbers (storage order) share one scale. */
  readonly groupSize: number;
  /** The codes, packed: one byte each (int8 methods) or two per byte (int4, nf4). */
  readonly data: Uint8Array;
  /** The scale of each group, as decoding uses it (with double quant: decoded from `doubleQuant`, not stored). */
  readonly scales: Float32Array;
  /** int8-zeropoint: the zero-point of each output channel; else null. */
  readonly zeros: Uint8Array | null;
  /** nf4 with double quantization: the stored (8-bit) form of the block scales; else null. */
  readonly doubleQuant: DoubleQuant | null;
  /** Exact storage size in bytes: codes + scales as stored (+ zero-points). */
  readonly bytes: number;
  /** bytes * 8 / number of weights. */
  readonly bitsPerWeight: number;
}

export const bitsOf = (method: QuantMethod) => (method === 'int4' || method === 'nf4' ? 4 : 8);
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Quantize a float32 weight of `shape` (see the table above for each method). */
export function quantize(weights: Float32Array | tf.Tensor, shape: number[], config: QuantConfig): QuantizedTensor {
  const n = size(shape);
  const values = weights instanceof tf.Tensor ? (weights.dataSync() as Float32Array) : weights;
  if (weights instanceof tf.Tensor && weights.shape.join() !== shape.join()) throw new Error(`quantize: the tensor has shape [${weights.shape}], not the shape [${shape}] given`);
  if (values.length !== n) throw new Error(`quantize: ${values.length} weights do not fill the shape [${shape}] (${n})`);
  const { method, groupSize, doubleQuant } = checkQuantConfig(config, shape);
  const bad = values.findIndex(v => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`quantize: weight ${bad} is ${values[bad]}; only finite numbers can be quantized`);
  const w = toStorageOrder(values, shape);
  const groups = n / groupSize;
  const scales = new Float32Array(groups);
  let zeros: Uint8Array | null = null;
  const codes = new Uint8Array(n); // one code per number, packed below for 4 bits
  if (method === 'int8-zeropoint') {
    zeros = new Uint8Array(groups);
    for (let g = 0; g < groups; g++) {
      let lo = 0; // the range always holds 0, so 0 is exactly representable
      let hi = 0;
      for (let i = g * groupSize; i < (g + 1) * groupSize; i++) (lo = Math.min(lo, w[i])), (hi = Math.max(hi, w[i]));
      const s = (scales[g] = (hi - lo) / 255);
      const z = (zeros[g] = s === 0 ? 0 : clamp(Math.round(-lo / scales[g]), 0, 255));
      for (let i = g * groupSize; i < (g + 1) * groupSize; i++) codes[i] = s === 0 ? z : clamp(Math.round(w[i] / scales[g]) + z, 0, 255);
    }
  } else {
    const qmax = method === 'int4' ? 7 : 127;
    for (let g = 0; g < groups; g++) {
      let absmax = 0;
      for (let i = g * groupSize; i < (g + 1) * groupSize; i++) absmax = Math.max(absmax, Math.abs(w[i]));
      if (method === 'nf4') {
        scales[g] = absmax;
        for (let i = g * groupSize; i < (g + 1) * groupSize; i++) codes[i] = nearestNF4(absmax === 0 ? 0 : w[i] / absmax);
        continue;
      }
      const s = (scales[g] = absmax / qmax);
      for (let i = g * groupSize; i < (g + 1) * groupSize; i++) {
        const q = s === 0 ? 0 : clamp(Math.round(w[i] / s), -qmax, qmax);
        codes[i] = method === 'int4' ? q + 8 : q & 255;
      }
    }
  }
  const data = bitsOf(method) === 4 ? packNibbles(codes) : codes;
  // the codes were chosen with the exact absmax (as in QLoRA); decoding uses the double-quantized one
  return quantizedTensor({ method, shape, groupSize, data, zeros, scales: doubleQuant ? doubleQuantize(scales) : scales });
}

/**
 * A QuantizedTensor from its stored parts (quantize, or a checkpoint), sizes checked: `scales` are
 * float32 or, double-quantized, their 8-bit form. Computes the decoding scales and the exact bytes.
 */
export function quantizedTensor(parts: { method: QuantMethod; shape: number[]; groupSize: number; data: Uint8Array; scales: Float32Array | DoubleQuant; zeros: Uint8Array | null }): QuantizedTensor {
  const { method, shape, groupSize, data, scales, zeros } = parts;
  const n = size(shape);
  const groups = n / groupSize;
  const dq = scales instanceof Float32Array ? null : scales;
  const expect = (what: string, got: number, want: number) => {
    if (got !== want) throw new Error(`${method} [${shape}]: ${what} has ${got} entries, expected ${want}`);
  };
  expect('the packed codes', data.length, bitsOf(method) === 4 ? Math.ceil(n / 2) : n);
  expect('the scales', dq ? dq.codes.length : (scales as Float32Array).length, groups);
  if (dq) expect('the second-level scales', dq.scales.length, Math.ceil(groups / dq.blockSize));
  if (method === 'int8-zeropoint') expect('the zero-points', zeros?.length ?? 0, groups);
  const bytes = data.length + (dq ? doubleQuantBytes(dq) : 4 * groups) + (zeros ? zeros.length : 0);
  return {
    method, shape: [...shape], groupSize, data, zeros, doubleQuant: dq, bytes, bitsPerWeight: (8 * bytes) / n,
    scales: dq ? dequantizeScales(dq) : (scales as Float32Array)
  };
}

/** The code of stored number i (0..255 for 8 bits, 0..15 for 4). */
export function codeAt(q: QuantizedTensor, i: number): number {
  if (bitsOf(q.method) === 8) return q.data[i];
  const byte = q.data[i >> 1];
  return i & 1 ? byte & 15 : byte >> 4;
}

/**
 * The value of each code, before its group's zero-point and scale: every method is a codebook,
 * and decodeAt below (like every kernel) is one formula for all of them.
 */
export function codebook(method: QuantMethod): Float32Array {
  switch (method) {
    case 'int8':
    case 'int8-channel':
      return Float32Array.from({ length: 256 }, (_, c) => (c << 24) >> 24); // the byte as a signed int8
    case 'int8-zeropoint':
      return Float32Array.from({ length: 256 }, (_, c) => c);
    case 'int4':
      return Float32Array.from({ length: 16 }, (_, c) => c - 8);
    case 'nf4':
      return Float32Array.from(NF4);
  }
}

/** The decoded value of stored number i: (codebook[code] - zero) * scale, the definition every kernel matches. */
export function decodeAt(q: QuantizedTensor, i: number, table = codebook(q.method)): number {
  const g = Math.floor(i / q.groupSize);
  return (table[codeAt(q, i)] - (q.zeros ? q.zeros[g] : 0)) * q.scales[g];
}

/** The float32 weight a QuantizedTensor stands for, in the original shape's (row-major) order. */
export function dequantize(q: QuantizedTensor): Float32Array {
  const n = size(q.shape);
  const N = q.shape.length ? q.shape[q.shape.length - 1] : 1;
  const R = n / N;
  const out = new Float32Array(n);
  const table = codebook(q.method);
  for (let c = 0; c < N; c++) for (let r = 0; r < R; r++) out[r * N + c] = decodeAt(q, c * R + r, table);
  return out;
}

/** dequantize as a tensor of the weight's shape. */
export function dequantizeTensor(q: QuantizedTensor): tf.Tensor {
  return tf.tensor(dequantize(q), q.shape, 'float32');
}

/** [..., N] row-major -> channel by channel (see the header). */
function toStorageOrder(values: Float32Array, shape: number[]): Float32Array {
  const N = shape.length ? shape[shape.length - 1] : 1;
  const R = values.length / N;
  const w = new Float32Array(values.length);
  for (let r = 0; r < R; r++) for (let c = 0; c < N; c++) w[c * R + r] = values[r * N + c];
  return w;
}

/** Two 4-bit codes per byte, the first in the high nibble: ceil(n / 2) bytes. */
export function packNibbles(codes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(codes.length / 2));
  for (let i = 0; i < codes.length; i++) out[i >> 1] |= i & 1 ? codes[i] : codes[i] << 4;
  return out;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
