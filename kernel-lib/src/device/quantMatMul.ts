/**
 * A dequantizing matrix product: y = x W for a weight W [K, N] held as packed integer codes, read
 * and decoded inside the product's loop, never written out as a float32 weight.
 *
 * The kernel knows no quantization method, only a codebook: stored number i (the weight's column
 * i / K, row i % K: channel by channel, see quant/formats.ts) has a code of `bits` bits, and
 *
 *     W[k, n] = (table[code] - zeros[g]) * scales[g],   i = n K + k,  g = floor(i / groupSize)
 *
 * (int8: table[c] = c as a signed byte; int4: c - 8; nf4: the 16 NF4 values; zeros only for
 * int8-zeropoint). The codes travel as an int32 tensor holding the packed bytes, four to a number
 * (little-endian): tfjs has no uint8 tensors, and the bytes are the same. 4-bit codes: two per
 * byte, the first in the high nibble.
 *
 * Two kernels per backend: 'LlmLabQuantMatMul' (x [M, K] -> y [M, N]) and its transpose
 * 'LlmLabQuantMatMulT' (dy [M, N] -> dx = dy W^T [M, K]), the gradient with respect to x. The
 * codes and scales get no gradient: a quantized weight is frozen. cpu and wasm run the JavaScript
 * loops below (on wasm straight on the tensors in the wasm memory); webgpu runs
 * quantMatMulWebgpu.ts.
 *
 * Why JavaScript on wasm: the AssemblyScript kernels (kernel-lib/assembly) are one compiled module
 * shared by every fused kernel, and this one is not (yet) part of it. A scalar JavaScript loop loses
 * to XNNPACK's (and tfjs-cpu's) float product once there are more than a few rows, so on cpu and
 * wasm the dequantizing kernel stands in only for products of at most JS_QUANT_MAX_ROWS rows
 * (generation: one new token per sequence), where decoding the whole weight first costs more than
 * the product. Measured for nf4 [160, 640] on wasm (a busy 2-core machine): 1 row 4.2 ms against
 * 7.6 ms for decode + matMul, 4 rows 6.2 / 8.5 ms, 16 rows 25.5 / 19.2 ms. On webgpu the WGSL kernel
 * always applies. That is `quantMatMulApplies`, the one rule.
 */
import * as tf from '@tensorflow/tfjs';
import { fused } from './fused';
import { WEBGPU_QUANT_KERNELS } from './quantMatMulWebgpu';

type TensorInfo = tf.TensorInfo;

/** A packed weight [K, N] as the kernels read it (see the header). */
export interface PackedWeight {
  K: number;
  N: number;
  bits: 4 | 8;
  groupSize: number;
  /** int32: the packed code bytes, four per number, little-endian. */
  codes: tf.Tensor1D;
  /** float32: the value of each code (16 or 256). */
  table: tf.Tensor1D;
  /** float32: one per group. */
  scales: tf.Tensor1D;
  /** float32: one per group; symmetric codes have none: `zeroPoints` false and any one-number tensor here. */
  zeros: tf.Tensor1D;
  zeroPoints: boolean;
}

/** Products of at most this many rows take the dequantizing kernel on cpu and wasm (see the header). */
export const JS_QUANT_MAX_ROWS = 4;

/** The one rule: whether the dequantizing kernel runs for a product of `rows` rows, here and now. */
export function quantMatMulApplies(rows: number): boolean {
  const backend = tf.getBackend();
  return fused.enabled && (backend === 'webgpu' || ((backend === 'cpu' || backend === 'wasm') && rows <= JS_QUANT_MAX_ROWS));
}

/** y = x W: x [M, K] float32 -> [M, N], with the dequantizing kernel (differentiable in x). */
export function quantMatMul(x: tf.Tensor2D, w: PackedWeight): tf.Tensor2D {
  if (x.shape[1] !== w.K) throw new Error(`quantMatMul: x has ${x.shape[1]} columns, the weight ${w.K} rows ([${w.K}, ${w.N}])`);
  installQuantKernels(tf.getBackend());
  return tf.engine().runKernel('LlmLabQuantMatMul', inputsOf(x, 'x', w), attrsOf(w)) as tf.Tensor2D;
}

const inputsOf = (t: tf.Tensor, name: string, w: PackedWeight) => ({ [name]: t, codes: w.codes, table: w.table, scales: w.scales, zeros: w.zeros });
const attrsOf = (w: PackedWeight) => ({ K: w.K, N: w.N, bits: w.bits, groupSize: w.groupSize, zeroPoints: w.zeroPoints ? 1 : 0 }) as unknown as tf.NamedAttrMap;

const installed = new Set<string>();
let gradientRegistered = false;

/** Register the two kernels for `backend` (once) and the gradient (once). */
function installQuantKernels(backend: string): void {
  if (!gradientRegistered) {
    tf.registerGradient({
      kernelName: 'LlmLabQuantMatMul',
      inputsToSave: ['codes', 'table', 'scales', 'zeros'],
      gradFunc: (dy, saved, attrs) => {
        const [codes, table, scales, zeros] = saved;
        const inputs = { dy: dy as tf.Tensor, codes, table, scales, zeros };
        return { x: () => tf.engine().runKernel('LlmLabQuantMatMulT', inputs, attrs) as tf.Tensor };
      }
    });
    gradientRegistered = true;
  }
  if (installed.has(backend)) return;
  const kernels = backend === 'webgpu' ? WEBGPU_QUANT_KERNELS : backend === 'cpu' || backend === 'wasm' ? jsKernels(backend) : null;
  if (!kernels) throw new Error(`quantMatMul: no dequantizing kernel for the ${backend} backend (cpu, wasm and webgpu have one)`);
  for (const [kernelName, kernelFunc] of kernels) tf.registerKernel({ kernelName, backendName: backend, kernelFunc: kernelFunc as tf.KernelFunc });
  installed.add(backend);
}

// ------------------------------------------------------------------ the loops (cpu and wasm)

export interface Operands {
  x: Float32Array; // x [M, K] (forward) or dy [M, N] (transposed)
  bytes: Uint8Array;
  table: Float32Array;
  scales: Float32Array;
  zeros: Float32Array | null;
  out: Float32Array; // [M, N] or [M, K], zeros to start
  M: number;
  K: number;
  N: number;
  bits: number;
  groupSize: number;
}

/** Column n of W, decoded into `col` (K numbers): the only float copy of the weight, one column long. */
function decodeColumn(o: Operands, n: number, col: Float32Array): void {
  for (let k = 0; k < o.K; k++) {
    const i = n * o.K + k;
    const code = o.bits === 8 ? o.bytes[i] : i & 1 ? o.bytes[i >> 1] & 15 : o.bytes[i >> 1] >> 4;
    const g = Math.floor(i / o.groupSize);
    col[k] = (o.table[code] - (o.zeros ? o.zeros[g] : 0)) * o.scales[g];
  }
}

/** out[m, n] = sum_k x[m, k] W[k, n] */
export function quantMatMulLoop(o: Operands): void {
  const col = new Float32Array(o.K);
  for (let n = 0; n < o.N; n++) {
    decodeColumn(o, n, col);
    for (let m = 0; m < o.M; m++) {
      let s = 0;
      for (let k = 0, row = m * o.K; k < o.K; k++) s += o.x[row + k] * col[k];
      o.out[m * o.N + n] = s;
    }
  }
}

/** out[m, k] = sum_n dy[m, n] W[k, n] (dy in o.x) */
export function quantMatMulTLoop(o: Operands): void {
  const col = new Float32Array(o.K);
  for (let n = 0; n < o.N; n++) {
    decodeColumn(o, n, col);
    for (let m = 0; m < o.M; m++) {
      const d = o.x[m * o.N + n];
      if (d !== 0) for (let k = 0, row = m * o.K; k < o.K; k++) o.out[row + k] += d * col[k];
    }
  }
}

type Args = { inputs: Record<string, TensorInfo>; backend: unknown; attrs: Record<string, number> };

interface CpuBackend {
  data: { get(dataId: object): { values: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number } } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}
interface WasmBackend {
  wasm: { HEAPU8: Uint8Array };
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
}

/** The two kernels for cpu or wasm: the same loops, reading the tensors where each backend keeps them. */
function jsKernels(backend: 'cpu' | 'wasm'): [string, (args: Args) => TensorInfo][] {
  const kernel = (transposed: boolean) => ({ inputs, backend: b, attrs: { K, N, bits, groupSize, zeroPoints } }: Args): TensorInfo => {
    const x = inputs[transposed ? 'dy' : 'x'];
    if (x.dtype !== 'float32' || x.shape.length !== 2) throw new Error(`quantMatMul: ${transposed ? 'dy' : 'x'} must be a float32 matrix, got ${x.dtype} [${x.shape}]`);
    const M = x.shape[0];
    const outShape = [M, transposed ? K : N];
    const view = viewer(backend, b);
    const out = backend === 'wasm' ? (b as WasmBackend).makeOutput(outShape, 'float32') : null;
    const outValues = out ? (view(out, Float32Array, M * outShape[1]) as Float32Array) : new Float32Array(M * outShape[1]);
    outValues.fill(0);
    const o: Operands = {
      x: view(x, Float32Array, M * (transposed ? N : K)) as Float32Array,
      bytes: view(inputs.codes, Uint8Array, 4 * inputs.codes.shape[0]) as Uint8Array,
      table: view(inputs.table, Float32Array, inputs.table.shape[0]) as Float32Array,
      scales: view(inputs.scales, Float32Array, inputs.scales.shape[0]) as Float32Array,
      zeros: zeroPoints ? (view(inputs.zeros, Float32Array, inputs.zeros.shape[0]) as Float32Array) : null,
      out: outValues, M, K, N, bits, groupSize
    };
    (transposed ? quantMatMulTLoop : quantMatMulLoop)(o);
    return out ?? (b as CpuBackend).makeTensorInfo(outShape, 'float32', outValues);
  };
  return [['LlmLabQuantMatMul', kernel(false)], ['LlmLabQuantMatMulT', kernel(true)]];
}

type ArrayType = typeof Float32Array | typeof Uint8Array;

/** A typed view of a tensor's bytes where the backend keeps them (no copy). */
function viewer(kind: 'cpu' | 'wasm', b: unknown) {
  return (t: TensorInfo, type: ArrayType, length: number): Float32Array | Uint8Array => {
    if (kind === 'wasm') {
      const w = b as WasmBackend;
      return new type(w.wasm.HEAPU8.buffer as ArrayBuffer, w.getMemoryOffset(t.dataId), length);
    }
    const values = (b as CpuBackend).data.get(t.dataId).values;
    return new type(values.buffer as ArrayBuffer, values.byteOffset, length);
  };
}
