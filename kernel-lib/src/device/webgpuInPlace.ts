/**
 * AdamW on webgpu as one dispatch that updates the parameter and both moments where they are.
 *
 * A tfjs program writes exactly one new tensor, so the fused AdamW kernel (fusedWebgpu.ts) needs
 * three dispatches and three new buffers per parameter, and the optimizer then swaps them in. On a
 * real GPU a small model's step is bound by how many dispatches JavaScript prepares, not by
 * arithmetic (a tiny GPT's step on an H200: ~9 ms of GPU work in ~23 ms), and AdamW was over a
 * quarter of them. Here our own compute pipeline binds p, m and v read-write and runs in tfjs's
 * open compute pass, in order with everything tfjs has queued. For an update that can be undone,
 * the same dispatch also copies p, m and v as they were into buffers the optimizer keeps.
 *
 * This reaches into tfjs-backend-webgpu 4.22's internals (named in WebgpuInternals below). Where
 * anything differs (another backend, a buffer shared with another tensor, a texture) it returns
 * false and the caller takes the three-dispatch kernel, which the conformance suite checks this against.
 */
import * as tf from '@tensorflow/tfjs';
import type { AdamWStep } from './fused';

interface GpuBuffer {
  readonly size: number;
}
interface TensorData {
  resource: unknown;
  refCount: number;
  values: unknown;
}
interface PassEncoder {
  setPipeline(pipeline: unknown): void;
  setBindGroup(index: number, group: unknown): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
}
/** What this file uses of tfjs-backend-webgpu's WebGPUBackend. */
interface WebgpuInternals {
  device: {
    queue: { writeBuffer(buffer: GpuBuffer, offset: number, data: Float32Array): void };
    createBuffer(d: { size: number; usage: number }): GpuBuffer;
    createShaderModule(d: { code: string }): unknown;
    createComputePipeline(d: { layout: 'auto'; compute: { module: unknown; entryPoint: string } }): { getBindGroupLayout(i: number): unknown };
    createBindGroup(d: { layout: unknown; entries: { binding: number; resource: unknown }[] }): unknown;
  };
  tensorMap: { get(dataId: object): TensorData | undefined };
  uploadToGPU(dataId: object): void;
  makeUniforms(uniforms: { type: 'float32' | 'int32'; data: number[] }[]): { offset: number; size: number; buffer: GpuBuffer };
  ensureCommandEncoderReady(): void;
  commandEncoder: { beginComputePass(d: object): PassEncoder } | null;
  computePassEncoder: PassEncoder | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

const WORKGROUP = 64;
/**
 * The update, one thread per weight. With `keepBefore` it first copies p, m and v as they were into
 * pBefore, mBefore, vBefore (what AdamW.undo() puts back): 3 more writes per weight per step, and
 * three buffers the size of p kept for it.
 */
const adamwWgsl = (keepBefore: boolean) => `
struct Step { lr : f32, b1 : f32, b2 : f32, c1 : f32, c2 : f32, eps : f32, gs : f32, unused : f32 }
struct Param { n : i32, groupsX : i32, wd : f32 }
@group(0) @binding(0) var<storage, read_write> p : array<f32>;
@group(0) @binding(1) var<storage, read> g : array<f32>;
@group(0) @binding(2) var<storage, read_write> m : array<f32>;
@group(0) @binding(3) var<storage, read_write> v : array<f32>;
@group(0) @binding(4) var<uniform> u : Step;
@group(0) @binding(5) var<uniform> param : Param;
${keepBefore ? `@group(0) @binding(6) var<storage, read_write> pBefore : array<f32>;
@group(0) @binding(7) var<storage, read_write> mBefore : array<f32>;
@group(0) @binding(8) var<storage, read_write> vBefore : array<f32>;` : ''}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) group : vec3<u32>, @builtin(local_invocation_index) lane : u32) {
  let i = (i32(group.y) * param.groupsX + i32(group.x)) * ${WORKGROUP} + i32(lane);
  if (i >= param.n) { return; }
  ${keepBefore ? 'pBefore[i] = p[i];\n  mBefore[i] = m[i];\n  vBefore[i] = v[i];' : ''}
  let gi = u.gs * g[i];
  let m2 = u.b1 * m[i] + (1.0 - u.b1) * gi;
  let v2 = u.b2 * v[i] + (1.0 - u.b2) * gi * gi;
  m[i] = m2;
  v[i] = v2;
  p[i] = p[i] - u.lr * ((m2 / u.c1) / (sqrt(v2 / u.c2) + u.eps) + param.wd * p[i]);
}`;

/** The values every parameter of one optimizer step shares, in one uniform buffer per device. */
const stepBuffers = new WeakMap<object, { buffer: GpuBuffer; values: string }>();
const UNIFORM = 0x40;
const COPY_DST = 0x08;

function stepUniforms(backend: WebgpuInternals, step: AdamWStep): GpuBuffer {
  const values = [step.lr, step.beta1, step.beta2, step.c1, step.c2, step.eps, step.gradScale, 0];
  let current = stepBuffers.get(backend.device);
  if (!current) {
    current = { buffer: backend.device.createBuffer({ size: values.length * 4, usage: UNIFORM | COPY_DST }), values: '' };
    stepBuffers.set(backend.device, current);
  }
  if (current.values !== values.join()) {
    // Dispatches recorded but not yet submitted may still read the last step's values: a write
    // goes to the queue at once, so submit them first.
    backend.endComputePassEncoder();
    if (backend.commandEncoder) backend.submitQueue();
    backend.device.queue.writeBuffer(current.buffer, 0, new Float32Array(values));
    current.values = values.join();
  }
  return current.buffer;
}

/** Per device: the pipeline without the copies [0] and with them [1]. */
const pipelines = new WeakMap<object, { getBindGroupLayout(i: number): unknown }[]>();

/** The backend's GPU buffer of `t`, if t is the only tensor using it (so writing it in place is safe). */
function soleBuffer(backend: WebgpuInternals, t: tf.Tensor, writable: boolean): GpuBuffer | null {
  backend.uploadToGPU(t.dataId);
  const data = backend.tensorMap.get(t.dataId);
  const GPUBuffer = (globalThis as { GPUBuffer?: abstract new () => unknown }).GPUBuffer;
  if (!data || !GPUBuffer || !(data.resource instanceof GPUBuffer) || t.dtype !== 'float32' || (writable && data.refCount !== 1)) return null;
  return data.resource as GpuBuffer;
}

/**
 * p, m, v <- AdamW(p, g, m, v) in place on webgpu; false (nothing done) where that is not possible.
 * With `before` (three float32 tensors of p's size, each the only one using its buffer), the same
 * dispatch first copies p, m and v into them.
 */
export function adamwInPlace(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, step: AdamWStep, before?: [tf.Tensor, tf.Tensor, tf.Tensor]): boolean {
  if (tf.getBackend() !== 'webgpu') return false;
  const backend = tf.backend() as unknown as WebgpuInternals;
  const n = p.size;
  const written = [p, m, v, ...(before ?? [])];
  if (g.size !== n || written.some(t => t.size !== n) || n === 0) return false;
  const buffers = [soleBuffer(backend, p, true), soleBuffer(backend, g, false), soleBuffer(backend, m, true), soleBuffer(backend, v, true)];
  const beforeBuffers = (before ?? []).map(t => soleBuffer(backend, t, true));
  if ([...buffers, ...beforeBuffers].some(b => b === null)) return false;

  let perDevice = pipelines.get(backend.device);
  if (!perDevice) pipelines.set(backend.device, (perDevice = []));
  const variant = before ? 1 : 0;
  const pipeline = (perDevice[variant] ??= backend.device.createComputePipeline({
    layout: 'auto',
    compute: { module: backend.device.createShaderModule({ code: adamwWgsl(!!before) }), entryPoint: 'main' }
  }));
  const groups = Math.ceil(n / WORKGROUP);
  const groupsX = Math.min(groups, 65535);
  const shared = stepUniforms(backend, step);
  // the same for this parameter every step (so the bind group is too: device/webgpuBindGroups.ts)
  const own = backend.makeUniforms([{ type: 'int32', data: [n] }, { type: 'int32', data: [groupsX] }, { type: 'float32', data: [step.weightDecay] }]);
  const bindGroup = backend.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      ...buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
      { binding: 4, resource: { buffer: shared } },
      { binding: 5, resource: own },
      ...beforeBuffers.map((buffer, i) => ({ binding: 6 + i, resource: { buffer } }))
    ]
  });

  // Queue it where tfjs queues its own programs (see WebGPUBackend.recordAndSubmit).
  for (const t of [g, ...written]) backend.commandQueueOwnedIds.add(t.dataId);
  backend.ensureCommandEncoderReady();
  if (!backend.computePassEncoder) backend.computePassEncoder = backend.commandEncoder!.beginComputePass({});
  backend.computePassEncoder.setPipeline(pipeline);
  backend.computePassEncoder.setBindGroup(0, bindGroup);
  backend.computePassEncoder.dispatchWorkgroups(groupsX, Math.ceil(groups / groupsX), 1);
  backend.dispatchCountInPass++;
  if (backend.dispatchCountInPass >= (tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number)) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  // a copy read back earlier (tensor.data()) is out of date now
  for (const t of written) backend.tensorMap.get(t.dataId)!.values = null;
  return true;
}
