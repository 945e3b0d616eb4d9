/**
 * Bind groups reused across training steps on webgpu.
 *
 * Before every dispatch tfjs-backend-webgpu creates a bind group (which buffers the shader reads and
 * writes) and asks the pipeline for its layout. Measured on an H200 through Dawn's Node binding:
 * ~21 us for createBindGroup and ~2.5 us for getBindGroupLayout, against ~9 us to record the
 * dispatch itself; a small GPT's step makes ~250 of them. tfjs takes buffers from a pool, so from
 * one step to the next the same programs get the same buffers: the same bind group would be
 * created again. This keeps them, keyed by the layout and the buffers (by identity), offsets and
 * sizes. A bind group only names buffers, never their contents, so reusing one is always correct
 * while its buffers exist; tfjs destroys pooled buffers only when the backend goes away.
 */

/** What this wraps of tfjs-backend-webgpu 4.22's WebGPUBackend. */
interface Backend {
  device: Device;
  bufferManager: BufferManager;
  makeUniforms(uniforms: Uniform[]): UniformBinding;
  /** uniform buffers that go back to tfjs's pool at the next submit */
  uniformPendingDisposal: object[];
}
interface BufferManager {
  releaseBuffer(buffer: GpuBuffer, reuse?: boolean): void;
  /** free buffers by `${size}_${usage}`; acquireBuffer takes the last */
  freeBuffers: Map<string, GpuBuffer[]>;
}
interface GpuBuffer {
  size: number;
  usage: number;
}
interface Uniform {
  type: string;
  data: number[];
}
interface UniformBinding {
  offset: number;
  size: number;
  buffer: object;
}

/** The device methods this wraps (Dawn's GPUDevice). */
interface Device {
  createBindGroup(descriptor: BindGroupDescriptor): unknown;
  createComputePipeline(descriptor: object): Pipeline;
  createComputePipelineAsync?(descriptor: object): Promise<Pipeline>;
}
interface Pipeline {
  getBindGroupLayout(index: number): unknown;
}
interface BindGroupDescriptor {
  layout: unknown;
  entries: { binding: number; resource: { buffer?: object; offset?: number; size?: number } }[];
}

/** At most this many bind groups are kept (a step needs a few hundred; generation adds some per length). */
const MAX_ENTRIES = 8192;

export interface BindGroupCacheStats {
  hits: number;
  misses: number;
}

const stats = new WeakMap<object, BindGroupCacheStats>();

/** How often the device's bind groups came from the cache (undefined if the device is not wrapped). */
export function bindGroupCacheStats(device: object): BindGroupCacheStats | undefined {
  return stats.get(device);
}

/** One layout object per pipeline and index (Dawn hands out a new one per call), so layouts can be keys. */
function withStableLayouts(pipeline: Pipeline): Pipeline {
  const layouts = new Map<number, unknown>();
  const get = pipeline.getBindGroupLayout.bind(pipeline);
  pipeline.getBindGroupLayout = (index: number) => {
    if (!layouts.has(index)) layouts.set(index, get(index));
    return layouts.get(index);
  };
  return pipeline;
}

/**
 * Wrap the backend so that equal bind groups are created once. Idempotent.
 *
 * tfjs writes each dispatch's uniforms (shapes, sizes, constants) into a buffer from its pool,
 * a different one every time, which would make every bind group new. Here a program's uniforms
 * go to a buffer kept for exactly that content: the same shapes next step find the same buffer,
 * already written.
 */
export function reuseBindGroups(backend: Backend): void {
  const device = backend.device;
  if (stats.has(device)) return;
  const counts: BindGroupCacheStats = { hits: 0, misses: 0 };
  stats.set(device, counts);

  const createPipeline = device.createComputePipeline.bind(device);
  device.createComputePipeline = descriptor => withStableLayouts(createPipeline(descriptor));
  if (device.createComputePipelineAsync) {
    const createAsync = device.createComputePipelineAsync.bind(device);
    device.createComputePipelineAsync = async descriptor => withStableLayouts(await createAsync(descriptor));
  }

  const ids = new WeakMap<object, number>();
  let nextId = 0;
  const idOf = (o: object) => {
    let id = ids.get(o);
    if (id === undefined) ids.set(o, (id = ++nextId));
    return id;
  };

  // tfjs's pool hands out the buffer freed last, so which buffer a program gets wanders from step
  // to step. Kept in order (the first-seen buffer handed out first), the free buffers at the start
  // of a step are the same set every step, and a step's programs get the same buffers every time.
  const pool = backend.bufferManager;
  const release = pool.releaseBuffer.bind(pool);
  pool.releaseBuffer = (buffer, reuse = true) => {
    release(buffer, reuse);
    const free = reuse ? pool.freeBuffers.get(`${buffer.size}_${buffer.usage}`) : undefined;
    if (!free || free[free.length - 1] !== buffer) return;
    // sorted by id, largest first: move the new one down to its place
    const id = idOf(buffer);
    let i = free.length - 1;
    while (i > 0 && idOf(free[i - 1]) < id) {
      free[i] = free[i - 1];
      i--;
    }
    free[i] = buffer;
  };
  const uniformBuffers = new Map<string, UniformBinding>();
  const makeUniforms = backend.makeUniforms.bind(backend);
  backend.makeUniforms = uniforms => {
    const key = uniforms.map(u => `${u.type[0]}${u.data.join(',')}`).join(';');
    let binding = uniformBuffers.get(key);
    if (binding === undefined) {
      if (uniformBuffers.size >= MAX_ENTRIES) {
        // back to tfjs's pool after the next submit (a queued dispatch may still read them)
        for (const b of uniformBuffers.values()) backend.uniformPendingDisposal.push(b.buffer);
        uniformBuffers.clear();
      }
      binding = makeUniforms(uniforms);
      backend.uniformPendingDisposal.pop(); // tfjs's makeUniforms queued it for release: keep it
      uniformBuffers.set(key, binding);
    }
    return binding;
  };

  const cache = new Map<string, unknown>();
  const create = device.createBindGroup.bind(device);
  device.createBindGroup = descriptor => {
    let key = String(idOf(descriptor.layout as object));
    for (const { binding, resource } of descriptor.entries) {
      if (!resource.buffer) return create(descriptor); // a texture or sampler: not cached
      key += `|${binding}:${idOf(resource.buffer)}:${resource.offset ?? 0}:${resource.size ?? '-'}`;
    }
    let group = cache.get(key);
    if (group === undefined) {
      counts.misses++;
      if (cache.size >= MAX_ENTRIES) cache.clear();
      group = create(descriptor);
      cache.set(key, group);
    } else {
      counts.hits++;
    }
    return group;
  };
}
