/**
 * Fused kernels for the wasm backend (and, in kernels/fusedWebgpu.ts and fusedCpu.ts, for webgpu and cpu).
 *
 * The model code in nn/ is written with ordinary tensor operations so that it reads like the math.
 * That costs speed: every operation is a separate pass over memory with its own bookkeeping, and
 * one training step of even a tiny GPT runs over a thousand of them. Profiling the wasm backend
 * (bench/profile-ops.mjs) showed where it hurts most: attention's batched (T x hs) matrix products,
 * GELU's tanh, LayerNorm, the loss's softmax over the vocabulary, and AdamW's chains of small
 * elementwise operations.
 * (One more kernel here is not a fusion but a gap: UnsortedSegmentSum, the gradient of an
 * embedding lookup, which the wasm backend lacks.)
 *
 * So those five are also written as single kernels (kernel-lib/assembly/*.ts, AssemblyScript
 * compiled to WebAssembly SIMD, built into dist/kernels/fused.wasm). The module imports the memory
 * of tfjs's own wasm backend, so a kernel reads its inputs and writes its outputs right where the
 * tensors live: no copies. Each is registered as a tfjs kernel with its gradient, so autodiff
 * works as usual. The conformance tests check every fused kernel against the readable version.
 *
 * `fused.enabled = false` (or LLM_LAB_FUSED=0) switches back to the readable path, to compare or debug.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { CPU_KERNELS, cpuMatMul, cpuSumLeading } from './fusedCpu';
import { WEBGPU_KERNELS, webgpuSumLeading } from './fusedWebgpu';
import { leadingSum } from './leadingSum';

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
  attentionForward(qkv: number, y: number, probs: number, B: number, T: number, C: number, nh: number, scale: number): void;
  attentionBackward(qkv: number, probs: number, dy: number, dqkv: number, scratch: number, B: number, T: number, C: number, nh: number, scale: number): void;
  geluForward(x: number, y: number, n: number): void;
  geluBackward(x: number, dy: number, dx: number, n: number): void;
  adamw(p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, n: number,
    lr: number, b1: number, b2: number, c1: number, c2: number, eps: number, wd: number): void;
  layerNormForward(x: number, gamma: number, beta: number, y: number, mean: number, rstd: number, N: number, C: number, eps: number): void;
  layerNormBackward(dy: number, x: number, gamma: number, mean: number, rstd: number, dx: number, dgamma: number, dbeta: number, N: number, C: number): void;
  unsortedSegmentSum(x: number, ids: number, out: number, N: number, D: number, numSegments: number): void;
  crossEntropyForward(logits: number, targets: number, N: number, V: number, scratch: number): number;
  crossEntropyBackward(logits: number, targets: number, dlogits: number, N: number, V: number, dLoss: number, scratch: number): void;
  gatherRows(table: number, ids: number, out: number, N: number, D: number, rows: number): number;
  sumRows(x: number, out: number, N: number, C: number): void;
}

let kernels: FusedModule | undefined;

export const fused = {
  /** Use the fused kernels where they apply (wasm backend, supported shapes); LLM_LAB_FUSED=0 starts with false. */
  enabled: process.env.LLM_LAB_FUSED !== '0',
  /** True when the fused kernels would run for the current backend. */
  get active(): boolean {
    const backend = tf.getBackend();
    return this.enabled && ((backend === 'wasm' && kernels !== undefined) || (backend === 'webgpu' && webgpuInstalled) || (backend === 'cpu' && cpuInstalled));
  }
};

let gradientsRegistered = false;
function registerGradients(): void {
  if (gradientsRegistered) return;
  for (const config of GRADIENTS) tf.registerGradient(config);
  gradientsRegistered = true;
}

/** Put `faster` in front of tfjs's kernel while fused.enabled; where it returns null, tfjs's runs. */
function fasterWhenFused(backend: string, name: string, faster: (args: never) => TensorInfo | null): void {
  const original = tf.getKernel(name, backend)!;
  tf.unregisterKernel(name, backend);
  tf.registerKernel({ ...original, kernelFunc: (args => (fused.enabled && faster(args as never)) || original.kernelFunc(args)) as tf.KernelFunc });
}

let cpuInstalled = false;
/** Register the JavaScript versions (kernels/fusedCpu.ts) and the faster cpu matrix product. */
export function installFusedCpuKernels(): void {
  if (cpuInstalled) return;
  for (const config of CPU_KERNELS) tf.registerKernel(config);
  fasterWhenFused('cpu', 'BatchMatMul', cpuMatMul);
  fasterWhenFused('cpu', 'Sum', cpuSumLeading);
  registerGradients();
  cpuInstalled = true;
}

let webgpuInstalled = false;
/** Register the WGSL versions (kernels/fusedWebgpu.ts); called once the webgpu backend is ready. */
export function installFusedWebgpuKernels(): void {
  if (webgpuInstalled) return;
  for (const config of WEBGPU_KERNELS) tf.registerKernel(config);
  fasterWhenFused('webgpu', 'Sum', webgpuSumLeading);
  registerGradients();
  webgpuInstalled = true;
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
 * Load dist/kernels/fused.wasm into the running wasm backend and register its kernels.
 * Called once the wasm backend is ready; a missing or broken module only means the slower path.
 */
export function installFusedKernels(): void {
  if (kernels) return;
  const backend = tf.findBackend('wasm') as unknown as WasmBackend | null;
  // the memory: exported by the single-threaded build, made in JavaScript by the threaded one
  const memory = backend?.wasm?.wasmMemory ?? backend?.wasm?.asm?.memory;
  if (!backend || !memory) return;
  // dist/kernels/fused.wasm, found the same way from src/kernels (tests) and dist/kernels; the
  // threaded wasm build (kernels/wasmThreads.ts) has shared memory, which needs its own build
  const shared = backend.wasm.HEAPU8.buffer instanceof SharedArrayBuffer;
  const file = path.join(__dirname, '..', '..', 'dist', 'kernels', shared ? 'fused-shared.wasm' : 'fused.wasm');
  const bytes = fs.readFileSync(file);
  kernels = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as FusedModule;
  for (const config of KERNELS) tf.registerKernel({ ...config, backendName: 'wasm' });
  // not a fused kernel but a missing one (the gradient of tf.gather): registered whatever `enabled` says
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) tf.registerKernel({ ...unsortedSegmentSum, backendName: 'wasm' });
  for (const [name, better] of IMPROVED) improveKernel(name, better);
  registerGradients();
}

// ------------------------------------------------------------------------------- the kernels

type KernelFunc = (args: { inputs: Record<string, TensorInfo>; backend: WasmBackend; attrs: Record<string, number> }) => TensorInfo | TensorInfo[];
const kernel = (kernelName: string, f: KernelFunc) => ({ kernelName, kernelFunc: f as unknown as tf.KernelFunc });

const KERNELS = [
  kernel('LlmLabAttention', ({ inputs: { qkv }, backend, attrs: { nHead } }) => {
    checkFloat32('LlmLabAttention', { qkv });
    const [B, T, C3] = qkv.shape;
    const C = C3 / 3;
    const y = backend.makeOutput([B, T, C], 'float32');
    const probs = backend.makeOutput([B, nHead, T, T], 'float32');
    kernels!.attentionForward(ptr(backend, qkv), ptr(backend, y), ptr(backend, probs), B, T, C, nHead, 1 / Math.sqrt(C / nHead));
    return [y, probs];
  }),
  kernel('LlmLabAttentionGrad', ({ inputs: { dy, qkv, probs }, backend, attrs: { nHead } }) => {
    const [B, T, C3] = qkv.shape;
    const C = C3 / 3;
    const dqkv = backend.makeOutput([B, T, C3], 'float32');
    const scratch = backend.wasm._malloc(T * 4);
    try {
      kernels!.attentionBackward(ptr(backend, qkv), ptr(backend, probs), ptr(backend, dy), ptr(backend, dqkv), scratch, B, T, C, nHead, 1 / Math.sqrt(C / nHead));
    } finally {
      backend.wasm._free(scratch);
    }
    return dqkv;
  }),
  kernel('LlmLabGelu', ({ inputs: { x }, backend }) => {
    checkFloat32('LlmLabGelu', { x });
    const y = backend.makeOutput(x.shape, 'float32');
    kernels!.geluForward(ptr(backend, x), ptr(backend, y), tf.util.sizeFromShape(x.shape));
    return y;
  }),
  kernel('LlmLabGeluGrad', ({ inputs: { x, dy }, backend }) => {
    const dx = backend.makeOutput(x.shape, 'float32');
    kernels!.geluBackward(ptr(backend, x), ptr(backend, dy), ptr(backend, dx), tf.util.sizeFromShape(x.shape));
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
    const scratch = backend.wasm._malloc(8);
    try {
      const dLoss = heap(backend, Float32Array, ptr(backend, dy), 1)[0];
      kernels!.crossEntropyBackward(ptr(backend, logits), ptr(backend, targets), ptr(backend, dlogits), N, V, dLoss, scratch);
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
      tf.util.sizeFromShape(p.shape), a.lr, a.beta1, a.beta2, a.c1, a.c2, a.eps, a.weightDecay
    );
    return [pOut, mOut, vOut];
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

// ------------------------------------------- faster versions of three of tfjs's own wasm kernels

type Improvement = (args: Parameters<KernelFunc>[0]) => TensorInfo | null;

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
  // Sums over leading axes (a bias's gradient: over all tokens). tfjs's wasm Sum transposes first.
  ['Sum', ({ inputs: { x }, backend, attrs }) => {
    const sum = leadingSum(x, attrs);
    if (!sum) return null;
    const out = backend.makeOutput(sum.shape, 'float32');
    kernels!.sumRows(ptr(backend, x), ptr(backend, out), sum.N, sum.C);
    return out;
  }]
];

// The gradients run the backward kernels eagerly, once, inside tfjs's backward pass (which
// disposes whatever is not used); the thunks only hand out the results.
const run = (name: string, inputs: tf.NamedTensorMap, attrs: object = {}) =>
  tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];

const GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: 'LlmLabAttention',
    inputsToSave: ['qkv'],
    outputsToSave: [false, true],
    // Only y is differentiated. The weights output is there for the views: a loss computed from
    // the weights themselves would need fused.enabled = false (tfjs passes zeros for it here).
    gradFunc: (dys, [qkv, probs], attrs) => {
      const dy = (dys as tf.Tensor[])[0];
      const dqkv = run('LlmLabAttentionGrad', { dy, qkv, probs }, attrs) as tf.Tensor;
      return { qkv: () => dqkv };
    }
  },
  {
    kernelName: 'LlmLabCrossEntropy',
    inputsToSave: ['logits', 'targets'],
    gradFunc: (dy, [logits, targets]) => ({
      logits: () => run('LlmLabCrossEntropyGrad', { dy: dy as tf.Tensor, logits, targets }) as tf.Tensor,
      targets: () => tf.zerosLike(targets).toFloat() // ids get no gradient
    })
  },
  {
    kernelName: 'LlmLabGelu',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => run('LlmLabGeluGrad', { x, dy: dy as tf.Tensor }) as tf.Tensor })
  },
  {
    kernelName: 'LlmLabLayerNorm',
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, [x, gamma, mean, rstd]) => {
      const dy = (dys as tf.Tensor[])[0];
      const [dx, dgamma, dbeta] = run('LlmLabLayerNormGrad', { dy, x, gamma, mean, rstd }) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    }
  }
];

// ---------------------------------------------------------------------- the ops the model calls

/** Whether the fused attention applies: wasm, and a head size the SIMD loops handle (multiple of 4). */
export function fusedAttentionApplies(dModel: number, nHead: number): boolean {
  // the wasm loops go four floats at a time through a head
  return fused.active && (tf.getBackend() !== 'wasm' || (dModel / nHead) % 4 === 0);
}

/** Causal multi-head self-attention from c_attn's output (B, T, 3C): y (B, T, C), weights (B, nh, T, T). */
export function fusedAttention(qkv: tf.Tensor3D, nHead: number): { y: tf.Tensor3D; weights: tf.Tensor4D } {
  const [y, weights] = run('LlmLabAttention', { qkv }, { nHead }) as [tf.Tensor3D, tf.Tensor4D];
  return { y, weights };
}

export function fusedGelu(x: tf.Tensor): tf.Tensor {
  return run('LlmLabGelu', { x }) as tf.Tensor;
}

export function fusedLayerNormApplies(dim: number): boolean {
  return fused.active && (tf.getBackend() !== 'wasm' || dim % 4 === 0);
}

export function fusedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const [y, mean, rstd] = run('LlmLabLayerNorm', { x, gamma, beta }, { eps }) as tf.Tensor[];
  // the backward pass keeps its own references to mean and rstd
  mean.dispose();
  rstd.dispose();
  return y;
}

/** Mean cross-entropy of logits (N, V) and int32 targets (N,), on wasm with SIMD exp. */
export function fusedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return run('LlmLabCrossEntropy', { logits, targets: targets.dtype === 'int32' ? targets : targets.toInt() }) as tf.Scalar;
}

export interface AdamWStep {
  lr: number;
  beta1: number;
  beta2: number;
  /** Bias corrections 1 - beta^t. */
  c1: number;
  c2: number;
  eps: number;
  weightDecay: number;
}

/** One AdamW update of a parameter: the new parameter, first and second moments. */
export function fusedAdamW(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, step: AdamWStep): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return run('LlmLabAdamW', { p, g, m, v }, step) as [tf.Tensor, tf.Tensor, tf.Tensor];
}
