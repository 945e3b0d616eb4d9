/**
 * The wasm backend's fused kernels (kernel-lib/assembly/*.ts, AssemblyScript compiled to
 * WebAssembly SIMD, built into dist/device/fused.wasm), registered as tfjs kernels. The module
 * imports the memory of tfjs's own wasm backend, so a kernel reads its inputs and writes its
 * outputs right where the tensors live: no copies. Also here: the UnsortedSegmentSum the wasm
 * backend lacks, and faster versions of seven of its stock kernels. device/fused.ts owns the
 * switch (fused.enabled), the gradients and the ops the model calls.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { leadingSum } from './leadingSum';
import { WasmPool } from './wasmPool';

type TensorInfo = tf.TensorInfo;

// Node has WebAssembly; TypeScript declares it only in the DOM library, which kernel-lib leaves out.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

/** What this file needs from tfjs-backend-wasm's BackendWasm. */
interface WasmBackend {
  wasm: { asm: { memory?: object }; wasmMemory?: object; HEAPU8: Uint8Array; _malloc(bytes: number): number; _free(ptr: number): void };
  getMemoryOffset(dataId: object): number;
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
}

/** The exports of kernel-lib/assembly/index.ts; pointers are byte offsets into the shared memory. */
interface FusedModule {
  // these five do parts [start, end) of their work, on thread `thread` (see run below)
  attentionForward(qkv: number, y: number, probs: number, mask: number, B: number, T: number, C: number, nh: number, scale: number, causal: number,
    start: number, end: number): void;
  attentionBackward(qkv: number, probs: number, dy: number, dqkv: number, scratch: number, B: number, T: number, C: number, nh: number, scale: number,
    causal: number, start: number, end: number, thread: number): void;
  geluForward(x: number, y: number, n: number, start: number, end: number): void;
  geluBackward(x: number, dy: number, dx: number, n: number, start: number, end: number): void;
  crossEntropyBackward(logits: number, targets: number, dlogits: number, count: number, V: number, dLoss: number, scratch: number,
    start: number, end: number, thread: number): void;
  transposeLastTwo(x: number, out: number, batch: number, R: number, C: number, start: number, end: number): void;
  adamw(p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, n: number,
    lr: number, b1: number, b2: number, c1: number, c2: number, eps: number, wd: number, gs: number): void;
  layerNormForward(x: number, gamma: number, beta: number, y: number, mean: number, rstd: number, N: number, C: number, eps: number): void;
  layerNormBackward(dy: number, x: number, gamma: number, mean: number, rstd: number, dx: number, dgamma: number, dbeta: number, N: number, C: number): void;
  unsortedSegmentSum(x: number, ids: number, out: number, N: number, D: number, numSegments: number): void;
  crossEntropyForward(logits: number, targets: number, N: number, V: number, scratch: number): number;
  countTargets(targets: number, N: number): number;
  gatherRows(table: number, ids: number, out: number, N: number, D: number, rows: number): number;
  sumRows(x: number, out: number, N: number, C: number): void;
  matMulRows(a: number, b: number, out: number, M: number, K: number, N: number): void;
  matMulRowsT(a: number, b: number, out: number, M: number, K: number, N: number): void;
  softmaxRows(x: number, y: number, rows: number, C: number): void;
  sumOfSquares(x: number, n: number): number;
  addRepeated(a: number, b: number, out: number, n: number, m: number): void;
}

let kernels: FusedModule | undefined;
/** With several wasm threads: the workers that share the five kernels above (device/wasmPool.ts). */
let pool: WasmPool | undefined;

type SharedKernel = 'attentionForward' | 'attentionBackward' | 'geluForward' | 'geluBackward' | 'crossEntropyBackward' | 'transposeLastTwo';
/** Below this much work (numbers touched) a kernel runs on the calling thread: waking workers costs ~20 us. */
const POOL_MIN_WORK = 1 << 16;

/** kernel(...args, start, end, thread) over parts [0, parts): on the pool's threads when there is enough work. */
function run(name: SharedKernel, args: number[], parts: number, work: number): void {
  if (pool && work >= POOL_MIN_WORK) pool.run(name, args, parts);
  else (kernels![name] as (...a: number[]) => void)(...args, 0, parts, 0);
}
/** How many threads run the kernels above (each needs its own scratch). */
const threads = () => pool?.threads ?? 1;

/** The threads that share the fused kernels, and how many chunks of work the workers have done. */
export function wasmPoolStats(): { threads: number; workerChunks: number } {
  return { threads: threads(), workerChunks: pool?.workerChunks ?? 0 };
}

const ptr = (backend: WasmBackend, t: TensorInfo) => backend.getMemoryOffset(t.dataId);

/** A view of `length` numbers at byte `offset` of the wasm memory (made fresh: memory can grow). */
function heap<A extends Int32Array | Float32Array>(backend: WasmBackend, type: { new (b: ArrayBuffer, o: number, n: number): A }, offset: number, length: number): A {
  return new type(backend.wasm.HEAPU8.buffer as ArrayBuffer, offset, length);
}

function checkFloat32(kernel: string, inputs: Record<string, TensorInfo>): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t.dtype !== 'float32') throw new Error(`${kernel}: input ${name} must be float32, got ${t.dtype}`);
  }
}

/**
 * Load dist/device/fused.wasm into the running wasm backend and register its kernels. Called
 * once the wasm backend is ready; false when that backend is not the one this code knows.
 */
export function installWasmKernels(): boolean {
  if (kernels) return true;
  const backend = tf.findBackend('wasm') as unknown as WasmBackend | null;
  // the memory: exported by the single-threaded build, made in JavaScript by the threaded one
  const memory = backend?.wasm?.wasmMemory ?? backend?.wasm?.asm?.memory;
  if (!backend || !memory) return false;
  // dist/device/fused.wasm, found the same way from src/device (tests) and dist/kernels; the
  // threaded wasm build (device/wasmThreads.ts) has shared memory, which needs its own build
  const shared = backend.wasm.HEAPU8.buffer instanceof SharedArrayBuffer;
  const file = path.join(__dirname, '..', '..', 'dist', 'device', shared ? 'fused-shared.wasm' : 'fused.wasm');
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: build kernel-lib (npm run build -w kernel-lib)`);
  const bytes = fs.readFileSync(file);
  kernels = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as FusedModule;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const threadCount = (require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount(): number }).getThreadsCount();
  if (shared && threadCount > 1) pool = new WasmPool(bytes, memory, kernels as unknown as Record<string, (...a: number[]) => unknown>, threadCount);
  for (const config of KERNELS) tf.registerKernel({ ...config, backendName: 'wasm' });
  // not a fused kernel but a missing one (the gradient of tf.gather): registered whatever `enabled` says
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) tf.registerKernel({ ...unsortedSegmentSum, backendName: 'wasm' });
  for (const [name, better] of IMPROVED) improveKernel(name, better);
  return true;
}

/** True once the module is loaded. */
export function wasmKernelsLoaded(): boolean {
  return kernels !== undefined;
}

// ------------------------------------------------------------------------------- the kernels

type KernelFunc = (args: { inputs: Record<string, TensorInfo>; backend: WasmBackend; attrs: Record<string, number> }) => TensorInfo | TensorInfo[];
const kernel = (kernelName: string, f: KernelFunc) => ({ kernelName, kernelFunc: f as unknown as tf.KernelFunc });

const KERNELS = [
  kernel('LlmLabAttention', ({ inputs: { qkv, mask }, backend, attrs: { nHead, causal } }) => {
    checkFloat32('LlmLabAttention', mask ? { qkv, mask } : { qkv });
    const [B, T, C3] = qkv.shape;
    const C = C3 / 3;
    const y = backend.makeOutput([B, T, C], 'float32');
    const probs = backend.makeOutput([B, nHead, T, T], 'float32');
    const args = [ptr(backend, qkv), ptr(backend, y), ptr(backend, probs), mask ? ptr(backend, mask) : 0, B, T, C, nHead, 1 / Math.sqrt(C / nHead), causal];
    run('attentionForward', args, B * nHead, B * T * T * C);
    return [y, probs];
  }),
  kernel('LlmLabAttentionGrad', ({ inputs: { dy, qkv, probs }, backend, attrs: { nHead, causal } }) => {
    const [B, T, C3] = qkv.shape;
    const C = C3 / 3;
    const dqkv = backend.makeOutput([B, T, C3], 'float32');
    const scratch = backend.wasm._malloc(threads() * T * 4);
    try {
      const args = [ptr(backend, qkv), ptr(backend, probs), ptr(backend, dy), ptr(backend, dqkv), scratch, B, T, C, nHead, 1 / Math.sqrt(C / nHead), causal];
      run('attentionBackward', args, B * nHead, B * T * T * C);
    } finally {
      backend.wasm._free(scratch);
    }
    return dqkv;
  }),
  kernel('LlmLabGelu', ({ inputs: { x }, backend }) => {
    checkFloat32('LlmLabGelu', { x });
    const y = backend.makeOutput(x.shape, 'float32');
    const n = tf.util.sizeFromShape(x.shape);
    run('geluForward', [ptr(backend, x), ptr(backend, y), n], Math.ceil(n / 4), n);
    return y;
  }),
  kernel('LlmLabGeluGrad', ({ inputs: { x, dy }, backend }) => {
    const dx = backend.makeOutput(x.shape, 'float32');
    const n = tf.util.sizeFromShape(x.shape);
    run('geluBackward', [ptr(backend, x), ptr(backend, dy), ptr(backend, dx), n], Math.ceil(n / 4), n);
    return dx;
  }),
  kernel('LlmLabLayerNorm', ({ inputs: { x, gamma, beta }, backend, attrs: { eps } }) => {
    checkFloat32('LlmLabLayerNorm', { x, gamma, beta });
    const C = x.shape[x.shape.length - 1];
    const N = tf.util.sizeFromShape(x.shape) / C;
    const y = backend.makeOutput(x.shape, 'float32');
    const mean = backend.makeOutput([N], 'float32');
    const rstd = backend.makeOutput([N], 'float32');
    kernels!.layerNormForward(ptr(backend, x), ptr(backend, gamma), ptr(backend, beta), ptr(backend, y), ptr(backend, mean), ptr(backend, rstd), N, C, eps);
    return [y, mean, rstd];
  }),
  kernel('LlmLabLayerNormGrad', ({ inputs: { dy, x, gamma, mean, rstd }, backend }) => {
    const C = x.shape[x.shape.length - 1];
    const N = tf.util.sizeFromShape(x.shape) / C;
    const dx = backend.makeOutput(x.shape, 'float32');
    const dgamma = backend.makeOutput([C], 'float32');
    const dbeta = backend.makeOutput([C], 'float32');
    kernels!.layerNormBackward(
      ptr(backend, dy), ptr(backend, x), ptr(backend, gamma), ptr(backend, mean), ptr(backend, rstd),
      ptr(backend, dx), ptr(backend, dgamma), ptr(backend, dbeta), N, C
    );
    return [dx, dgamma, dbeta];
  }),
  kernel('LlmLabCrossEntropy', ({ inputs: { logits, targets }, backend }) => {
    checkFloat32('LlmLabCrossEntropy', { logits });
    const [N, V] = logits.shape;
    const scratch = backend.wasm._malloc(8);
    let loss: number;
    try {
      loss = kernels!.crossEntropyForward(ptr(backend, logits), ptr(backend, targets), N, V, scratch);
    } finally {
      backend.wasm._free(scratch);
    }
    if (loss < 0) {
      const row = -1 - loss;
      const target = heap(backend, Int32Array, ptr(backend, targets) + row * 4, 1)[0];
      throw new Error(`cross-entropy: target ${target} (row ${row}) is outside the vocabulary [0, ${V - 1}]`);
    }
    const out = backend.makeOutput([], 'float32');
    heap(backend, Float32Array, ptr(backend, out), 1)[0] = loss;
    return out;
  }),
  kernel('LlmLabCrossEntropyGrad', ({ inputs: { dy, logits, targets }, backend }) => {
    const [N, V] = logits.shape;
    const dlogits = backend.makeOutput([N, V], 'float32');
    const scratch = backend.wasm._malloc(threads() * 8);
    try {
      const dLoss = heap(backend, Float32Array, ptr(backend, dy), 1)[0];
      const count = kernels!.countTargets(ptr(backend, targets), N); // the rows with a loss: dLoss is shared among them
      run('crossEntropyBackward', [ptr(backend, logits), ptr(backend, targets), ptr(backend, dlogits), count, V, dLoss, scratch], N, N * V);
    } finally {
      backend.wasm._free(scratch);
    }
    return dlogits;
  }),
  kernel('LlmLabAdamW', ({ inputs: { p, g, m, v }, backend, attrs: a }) => {
    checkFloat32('LlmLabAdamW', { p, g, m, v });
    const [pOut, mOut, vOut] = [0, 1, 2].map(() => backend.makeOutput(p.shape, 'float32'));
    kernels!.adamw(
      ptr(backend, p), ptr(backend, g), ptr(backend, m), ptr(backend, v), ptr(backend, pOut), ptr(backend, mOut), ptr(backend, vOut),
      tf.util.sizeFromShape(p.shape), a.lr, a.beta1, a.beta2, a.c1, a.c2, a.eps, a.weightDecay, a.gradScale
    );
    return [pOut, mOut, vOut];
  }),
  // total + the sums of the squares of x0, x1, ... (gradient clipping's norm, squared), added up
  // one number after another in float32 and in the order of the inputs, as Square, Sum and Add
  // would: the same bits, in one call instead of three per gradient (~3 ms a step on tiny).
  kernel('LlmLabSumSquares', ({ inputs, backend }) => {
    checkFloat32('LlmLabSumSquares', inputs);
    let sum = heap(backend, Float32Array, ptr(backend, inputs.total), 1)[0];
    for (let i = 0; inputs[`x${i}`]; i++) {
      const x = inputs[`x${i}`];
      sum = Math.fround(sum + kernels!.sumOfSquares(ptr(backend, x), tf.util.sizeFromShape(x.shape)));
    }
    const out = backend.makeOutput([1], 'float32');
    heap(backend, Float32Array, ptr(backend, out), 1)[0] = sum;
    return out;
  })
];

const unsortedSegmentSum = kernel('UnsortedSegmentSum', ({ inputs: { x, segmentIds }, backend, attrs: { numSegments } }) => {
  if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0] || segmentIds.dtype !== 'int32' || x.dtype !== 'float32') {
    throw new Error(`UnsortedSegmentSum (wasm): expected float32 x (N, ...) and int32 segmentIds (N,), got x ${x.dtype} [${x.shape}], segmentIds ${segmentIds.dtype} [${segmentIds.shape}]`);
  }
  const N = x.shape[0];
  const D = N === 0 ? 0 : tf.util.sizeFromShape(x.shape) / N;
  const out = backend.makeOutput([numSegments, ...x.shape.slice(1)], 'float32');
  kernels!.unsortedSegmentSum(ptr(backend, x), ptr(backend, segmentIds), ptr(backend, out), N, D, numSegments);
  return out;
});

// -------------------------------------------- faster versions of seven of tfjs's own wasm kernels

type Improvement = (args: Parameters<KernelFunc>[0]) => TensorInfo | null;

/** Products with at most this many rows run in assembly/matmul.ts, not in XNNPACK. */
const SMALL_PRODUCT_ROWS = 4;
/** Softmaxes of at most this many numbers run in assembly/softmax.ts, not in XNNPACK. */
const SMALL_SOFTMAX = 1 << 14;

/** Run `better` in front of tfjs's wasm kernel `name`; where it returns null the original runs. */
function improveKernel(name: string, better: Improvement): void {
  const original = tf.getKernel(name, 'wasm')!;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: (args => better(args as never) ?? original.kernelFunc(args)) as tf.KernelFunc });
}

const IMPROVED: [string, Improvement][] = [
  // tfjs clones every tensor it saves for the backward pass; its wasm Identity copies the data,
  // but tensors never change, so sharing the buffer (as Reshape does) is enough.
  ['Identity', ({ inputs: { x }, backend }) => {
    if (x.dtype === 'string') return null;
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }],
  // The embedding lookup: rows of a float table by int32 ids (axis 0). tfjs's version spent
  // milliseconds on 1,024 ids, checking them one by one through a generic read.
  ['GatherV2', ({ inputs: { x, indices }, backend, attrs: { axis, batchDims } }) => {
    if (x.dtype !== 'float32' || indices.dtype !== 'int32' || x.shape.length < 1 || (axis !== 0 && axis !== -x.shape.length) || batchDims) return null;
    const N = tf.util.sizeFromShape(indices.shape);
    const rows = x.shape[0];
    const D = rows === 0 ? 0 : tf.util.sizeFromShape(x.shape) / rows;
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], 'float32');
    const bad = kernels!.gatherRows(ptr(backend, x), ptr(backend, indices), ptr(backend, out), N, D, rows);
    if (bad >= 0) {
      const id = heap(backend, Int32Array, ptr(backend, indices) + bad * 4, 1)[0];
      (backend as unknown as { disposeData(id: object): void }).disposeData(out.dataId);
      throw new Error(`gather: index ${id} (at position ${bad}) is outside [0, ${rows - 1}]`);
    }
    return out;
  }],
  // Adding a bias to every row, a position embedding to every sequence, or two tensors of one
  // shape: tfjs's broadcasting Add took 70-430 us for these (tiny: ~1.5 ms a step). Same sums.
  ['Add', ({ inputs: { a, b }, backend }) => {
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
    const [big, small] = tf.util.sizeFromShape(a.shape) >= tf.util.sizeFromShape(b.shape) ? [a, b] : [b, a];
    // small repeats along big: its shape, less leading 1s, ends big's shape
    const lead = small.shape.findIndex(d => d !== 1);
    const tail = lead < 0 ? [] : small.shape.slice(lead);
    const rank = big.shape.length;
    if (small.shape.length > rank || !tail.every((d, i) => d === big.shape[rank - tail.length + i])) return null;
    const n = tf.util.sizeFromShape(big.shape);
    const m = tf.util.sizeFromShape(small.shape);
    const out = backend.makeOutput(big.shape, 'float32');
    if (n > 0 && m > 0) kernels!.addRepeated(ptr(backend, big), ptr(backend, small), ptr(backend, out), n, m);
    return out;
  }],
  // Sums over leading axes (a bias's gradient: over all tokens). tfjs's wasm Sum transposes first.
  ['Sum', ({ inputs: { x }, backend, attrs }) => {
    const sum = leadingSum(x, attrs);
    if (!sum) return null;
    const out = backend.makeOutput(sum.shape, 'float32');
    kernels!.sumRows(ptr(backend, x), ptr(backend, out), sum.N, sum.C);
    return out;
  }],
  // Products of a few rows (generation: one new token per sequence) on the calling thread
  // (assembly/matmul.ts); the products of training stay with XNNPACK (device/wasmMatMul.ts).
  ['BatchMatMul', ({ inputs: { a, b }, backend, attrs }) => {
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const [M, K] = a.shape.slice(-2);
    const N = b.shape[b.shape.length - (transposeB ? 2 : 1)];
    const unbatched = (t: TensorInfo) => t.shape.slice(0, -2).every(d => d === 1);
    if (transposeA || M > SMALL_PRODUCT_ROWS || a.dtype !== 'float32' || b.dtype !== 'float32' || !unbatched(a) || !unbatched(b)) return null;
    const out = backend.makeOutput([...(a.shape.length >= b.shape.length ? a : b).shape.slice(0, -2), M, N], 'float32');
    (transposeB ? kernels!.matMulRowsT : kernels!.matMulRows)(ptr(backend, a), ptr(backend, b), ptr(backend, out), M, K, N);
    return out;
  }],
  // A small Softmax over the last axis (assembly/softmax.ts), as in generation: tfjs's goes
  // through XNNPACK, which took ~0.9 ms for a few rows with several threads. Large ones (training
  // a model without fused attention) stay with XNNPACK, and so keep their numbers.
  ['Softmax', ({ inputs: { logits }, backend, attrs }) => {
    const dim = (attrs as unknown as { dim: number }).dim;
    const rank = logits.shape.length;
    if (logits.dtype !== 'float32' || rank === 0 || (dim !== -1 && dim !== rank - 1) || tf.util.sizeFromShape(logits.shape) > SMALL_SOFTMAX) return null;
    const C = logits.shape[rank - 1];
    const out = backend.makeOutput(logits.shape, 'float32');
    if (C > 0) kernels!.softmaxRows(ptr(backend, logits), ptr(backend, out), tf.util.sizeFromShape(logits.shape) / C, C);
    return out;
  }],
  // Swapping the last two axes (what the matrix products of backpropagation need, see
  // device/wasmMatMul.ts): 4 x 4 blocks at a time, where tfjs's version moves one element at a time.
  ['Transpose', ({ inputs: { x }, backend, attrs }) => {
    const perm = (attrs as unknown as { perm: number[] }).perm;
    const rank = x.shape.length;
    if (x.dtype !== 'float32' || rank < 2 || !perm.every((p, i) => p === (i < rank - 2 ? i : i === rank - 2 ? rank - 1 : rank - 2))) return null;
    const [R, C] = x.shape.slice(-2);
    const out = backend.makeOutput([...x.shape.slice(0, -2), C, R], 'float32');
    const batch = tf.util.sizeFromShape(x.shape.slice(0, -2));
    // bands of 32 rows (TILE in assembly/transpose.ts)
    // (a copy is quick: a quarter of its size is its work, so that only large ones wake the pool)
    run('transposeLastTwo', [ptr(backend, x), ptr(backend, out), batch, R, C], batch * Math.ceil(R / 32), (batch * R * C) / 4);
    return out;
  }]
];

