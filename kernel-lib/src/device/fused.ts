/**
 * Fused kernels: one kernel for what the readable model code does in many tensor operations.
 *
 * The model code in nn/ is written with ordinary tensor operations so that it reads like the math.
 * That costs speed: every operation is a separate pass over memory with its own bookkeeping, and
 * one training step of even a tiny GPT runs over a thousand of them. Profiling the wasm backend
 * (bench/profile-ops.mjs) showed where it hurts most: attention's batched (T x hs) matrix products,
 * GELU's tanh, LayerNorm, the loss's softmax over the vocabulary, and AdamW's chains of small
 * elementwise operations.
 *
 * So those five are also written as single kernels, for each backend: device/fusedWasm.ts
 * (AssemblyScript compiled to WebAssembly SIMD), fusedWebgpu.ts (WGSL) and fusedCpu.ts (plain
 * loops). This file registers their gradients, so autodiff works as usual, and has the ops the
 * model calls. The conformance tests check every fused kernel against the readable version.
 *
 * `fused.enabled = false` (or LLM_LAB_FUSED=0) switches back to the readable path, to compare or debug.
 */
import * as tf from '@tensorflow/tfjs';
import { CPU_KERNELS, cpuMatMul, cpuSumLeading } from './fusedCpu';
import { installWasmKernels, wasmKernelsLoaded } from './fusedWasm';
import { SUM_SQUARES_INPUTS, SUM_SQUARES_PARTS, WEBGPU_KERNELS, webgpuSumLeading } from './fusedWebgpu';
import { webgpuMatMul } from './webgpuMatMul';
import { onSoftwareAdapter, type WebgpuBackend } from './webgpuPrograms';

type TensorInfo = tf.TensorInfo;

export const fused = {
  /** Use the fused kernels where a backend has them; LLM_LAB_FUSED=0 starts with false. */
  enabled: process.env.LLM_LAB_FUSED !== '0',
  /** True when the fused kernels would run for the current backend. */
  get active(): boolean {
    const backend = tf.getBackend();
    return this.enabled && ((backend === 'wasm' && wasmKernelsLoaded()) || (backend === 'webgpu' && webgpuInstalled) || (backend === 'cpu' && cpuInstalled));
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
/** Register the JavaScript versions (device/fusedCpu.ts) and the faster cpu matrix product. */
export function installFusedCpuKernels(): void {
  if (cpuInstalled) return;
  for (const config of CPU_KERNELS) tf.registerKernel(config);
  fasterWhenFused('cpu', 'BatchMatMul', cpuMatMul);
  fasterWhenFused('cpu', 'Sum', cpuSumLeading);
  registerGradients();
  cpuInstalled = true;
}

let webgpuInstalled = false;
/** Register the WGSL versions (device/fusedWebgpu.ts); called once the webgpu backend is ready. */
export function installFusedWebgpuKernels(): void {
  if (webgpuInstalled) return;
  for (const config of WEBGPU_KERNELS) tf.registerKernel(config);
  fasterWhenFused('webgpu', 'Sum', webgpuSumLeading);
  type MatMulArgs = { inputs: { a: TensorInfo; b: TensorInfo }; backend: WebgpuBackend; attrs: { transposeA: boolean; transposeB: boolean } };
  fasterWhenFused('webgpu', 'BatchMatMul', ({ inputs: { a, b }, backend, attrs }: MatMulArgs) =>
    onSoftwareAdapter() ? webgpuMatMul(backend, a, b, attrs.transposeA, attrs.transposeB) : null);
  registerGradients();
  webgpuInstalled = true;
}

/** Load the wasm module into the running wasm backend (device/fusedWasm.ts). */
export function installFusedWasmKernels(): void {
  if (installWasmKernels()) registerGradients();
}

// The gradients run the backward kernels eagerly, once, inside tfjs's backward pass (which
// disposes whatever is not used); the thunks only hand out the results.
const run = (name: string, inputs: tf.NamedTensorMap, attrs: object = {}) =>
  tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];

// (Attention and LayerNorm have more than one output; their gradients are in fusedAttention and
// fusedLayerNorm below.)
const GRADIENTS: tf.GradConfig[] = [
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
];

// ---------------------------------------------------------------------- the ops the model calls

/** tf.customGrad, typed for a function of named tensors and then `save` (tfjs types them as one array). */
function customGrad<A extends tf.Tensor[]>(f: (...args: [...A, tf.GradSaveFunc]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[] }): (...inputs: A) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as (...inputs: A) => tf.Tensor;
}

/**
 * Multi-head self-attention from c_attn's output (B, T, 3C): y (B, T, C), weights (B, nh, T, T).
 * Causal unless `causal: false`; `mask`, an additive key mask (B, 1, 1, T) such as paddingMask
 * (nn/attention.ts), is added to every query's scores, as in the readable code.
 *
 * Only y is differentiated, through tf.customGrad: had the kernel's weights output been on the
 * gradient tape, tfjs would build a tensor of zeros as its gradient in every backward pass
 * (4 MB per layer for the small GPT, written from the CPU). The views get the weights all the same.
 * The mask needs no gradient (nor does the backward kernel read it: masked keys have weight 0).
 */
export function fusedAttention(qkv: tf.Tensor3D, nHead: number, options: { causal?: boolean; mask?: tf.Tensor } = {}): { y: tf.Tensor3D; weights: tf.Tensor4D } {
  const attrs = { nHead, causal: options.causal === false ? 0 : 1 };
  const mask = options.mask;
  let probs!: tf.Tensor4D;
  const attend = customGrad((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, p] = run('LlmLabAttention', mask ? { qkv: input, mask } : { qkv: input }, attrs) as [tf.Tensor3D, tf.Tensor4D];
    save([input, p]);
    probs = tf.keep(p); // past customGrad's own scope; handed to the caller's below
    return { value: y, gradFunc: (dy, [q, savedProbs]) => run('LlmLabAttentionGrad', { dy: dy as tf.Tensor, qkv: q, probs: savedProbs }, attrs) as tf.Tensor };
  });
  const y = attend(qkv) as tf.Tensor3D;
  const weights = probs.clone(); // owned by the caller's scope
  probs.dispose();
  return { y, weights };
}

export function fusedGelu(x: tf.Tensor): tf.Tensor {
  return run('LlmLabGelu', { x }) as tf.Tensor;
}

/** LayerNorm in one kernel; its row statistics stay off the gradient tape (see fusedAttention). */
export function fusedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const normalize = customGrad((input: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, mean, rstd] = run('LlmLabLayerNorm', { x: input, gamma: g, beta: b }, { eps }) as tf.Tensor[];
    save([input, g, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy, [sx, sg, sMean, sRstd]) => run('LlmLabLayerNormGrad', { dy: dy as tf.Tensor, x: sx, gamma: sg, mean: sMean, rstd: sRstd }) as tf.Tensor[]
    };
  });
  return normalize(x, gamma, beta);
}

/** Mean cross-entropy of logits (N, V) and int32 targets (N,) over the rows whose target is >= 0 (nn/loss.ts). */
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
  /** The gradient is multiplied by this first (gradient clipping's scale; 1 for none). */
  gradScale: number;
}

/**
 * The sum of the squares of every entry of `tensors` (float32), in one kernel (wasm) or one per
 * few tensors (webgpu, which binds only so many buffers), where the backend has that kernel; else null.
 */
export function fusedSumOfSquares(tensors: tf.Tensor[]): tf.Scalar | null {
  if (!fused.active || !tf.getKernel('LlmLabSumSquares', tf.getBackend()) || tensors.some(t => t.dtype !== 'float32')) return null;
  if (tf.getBackend() === 'wasm') {
    return tf.tidy(() => {
      const all = Object.fromEntries(tensors.map((t, i) => [`x${i}`, t]));
      return (run('LlmLabSumSquares', { total: tf.zeros([1]), ...all }) as tf.Tensor).reshape([]) as tf.Scalar;
    });
  }
  return tf.tidy(() => {
    let partials = tf.zeros([SUM_SQUARES_PARTS]);
    for (let i = 0; i < tensors.length; i += SUM_SQUARES_INPUTS) {
      const group = Object.fromEntries(tensors.slice(i, i + SUM_SQUARES_INPUTS).map((t, j) => [`x${j}`, t]));
      partials = run('LlmLabSumSquares', { total: partials, ...group }) as tf.Tensor;
    }
    return partials.sum() as tf.Scalar;
  });
}

/** One AdamW update of a parameter: the new parameter, first and second moments. */
export function fusedAdamW(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, step: AdamWStep): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return run('LlmLabAdamW', { p, g, m, v }, step) as [tf.Tensor, tf.Tensor, tf.Tensor];
}
