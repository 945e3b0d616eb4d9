/**
 * The device layer: where the math runs and how fast. Everything outside this folder (nn/,
 * models/, train/, ...) imports from here only, never a backend's internals.
 *
 *   backend.ts     which tfjs backend runs (webgpu -> wasm -> cpu), and moving a model between them
 *   deviceLoss.ts  a lost GPU: host copies of the weights, and the way back
 *   fastPath.ts    the one rule per fused kernel for when it may stand in for the readable code
 *   fused.ts       the fused ops (attention, LayerNorm, GELU, cross-entropy, AdamW, the gradient norm)
 *                  and their gradients; fusedCpu.ts, fusedWasm.ts (+ ../../assembly), fusedWebgpu.ts
 *                  implement them per backend; wasm*.ts and webgpu*.ts are each backend's speed-ups
 */
import * as tf from '@tensorflow/tfjs';
import { fastPath } from './fastPath';
import { AdamWStep, fusedAdamW } from './fused';
import { adamwInPlace } from './webgpuInPlace';

export { tf, useDevice, ensureDevice, currentDevice, probeAdapter, describeAdapter, releaseWebgpu } from './backend';
export type { BackendChoice, BackendName, Device, AdapterInfo } from './backend';
export { webgpuLost, copyVariablesToHost } from './deviceLoss';
export { fastPath } from './fastPath';
export type { AttentionCall } from './fastPath';
export { fused, fusedAttention, fusedGelu, fusedLayerNorm, fusedCrossEntropy, fusedSumOfSquares } from './fused';
export type { AdamWStep } from './fused';
export { adamwInPlace } from './webgpuInPlace';
export { quantMatMul, quantMatMulApplies } from './quantMatMul';
export type { PackedWeight } from './quantMatMul';

/**
 * One fused AdamW update of p, m and v: in place on webgpu (one dispatch, no new tensors) where
 * the buffers allow, else the backend's fused kernel and three assigns.
 */
export function fusedAdamWUpdate(p: tf.Variable, g: tf.Tensor, m: tf.Variable, v: tf.Variable, step: AdamWStep): void {
  if (adamwInPlace(p, g, m, v, step)) return;
  const [p2, m2, v2] = fusedAdamW(p, g, m, v, step);
  p.assign(p2);
  m.assign(m2);
  v.assign(v2);
  tf.dispose([p2, m2, v2]);
}

/**
 * Whether an optimizer update writes the weights where they are (webgpu's fused AdamW): then the
 * tensors an update replaces cannot simply be kept to undo it (a kept reference forces the slower
 * path), so an update that may be undone copies them as it runs (adamwInPlace's `before`).
 */
export function updatesInPlace(): boolean {
  return tf.getBackend() === 'webgpu' && fastPath.adamw();
}
