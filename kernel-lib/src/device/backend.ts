/**
 * Where the math runs. TensorFlow.js has several backends; in Node we can use:
 *   webgpu  Dawn's Node binding (npm `webgpu`) -> Vulkan / Metal / D3D12: a real GPU
 *   wasm    WebAssembly with SIMD, a thread per core: the fastest choice without a GPU
 *   cpu     plain JavaScript: slow, but always there (the reference)
 * `auto` picks the first that works, and says why in one line.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { placeVariables, variablesOnWebgpu, watchWebgpuDevice, webgpuLostEarlier } from './deviceLoss';
import { setSoftwareAdapter } from './webgpuPrograms';
import { fused, installFusedCpuKernels, installFusedWasmKernels, installFusedWebgpuKernels } from './fused';
import { reuseBindGroups } from './webgpuBindGroups';
import { installCpuSegmentSum } from './cpuSegmentSum';
import { installWasmMatMul } from './wasmMatMul';
import { prepareWasmThreads, unrefWasmWorkers, wantedWasmThreads } from './wasmThreads';

export type BackendName = 'webgpu' | 'wasm' | 'cpu';
export type BackendChoice = BackendName | 'auto';

const CHOICES: BackendChoice[] = ['auto', 'webgpu', 'wasm', 'cpu'];

// tfjs prints a banner recommending tfjs-node (which cannot install offline) and other hints
// through its warn(); PROD only silences those messages.
tf.env().set('PROD', true);

/** What a WebGPU adapter says about itself (GPUAdapterInfo). */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation of WebGPU (llvmpipe/lavapipe, SwiftShader), not a GPU. */
  isSoftware: boolean;
}

export interface Device {
  backend: BackendName;
  /** The adapter, when the backend is webgpu. */
  adapter?: AdapterInfo;
  /** Why this backend was picked. */
  reason: string;
  /** The one line printed when the device is chosen. */
  line: string;
}

let current: Device | undefined;

/** The device in use, or undefined before `useDevice`. */
export function currentDevice(): Device | undefined {
  return current;
}

function checkChoice(name: string): BackendChoice {
  if (!CHOICES.includes(name as BackendChoice)) {
    throw new Error(`unknown backend ${JSON.stringify(name)}: choose one of ${CHOICES.map(c => JSON.stringify(c)).join(', ')}`);
  }
  return name as BackendChoice;
}

// ---------------------------------------------------------------- WebGPU through Dawn

interface GpuLike {
  requestAdapter(options?: object): Promise<{ info?: Record<string, unknown>; isFallbackAdapter?: boolean } | null>;
}

let dawnGpu: GpuLike | null | undefined;

/** Load Dawn once and expose it as navigator.gpu, which tfjs-backend-webgpu looks for at import. */
function dawn(): GpuLike | null {
  if (dawnGpu !== undefined) return dawnGpu;
  const g = globalThis as unknown as { navigator?: { gpu?: GpuLike } };
  if (g.navigator?.gpu) return (dawnGpu = g.navigator.gpu); // a browser, or already set up
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const webgpu = require('webgpu') as { create(flags: string[]): GpuLike; globals: object };
    Object.assign(globalThis, webgpu.globals); // GPUBufferUsage, GPUMapMode, ... used by tfjs
    dawnGpu = webgpu.create([]);
    // Node 20 has no navigator; keep any existing fields.
    const nav = (g.navigator ?? {}) as { gpu?: GpuLike };
    Object.defineProperty(nav, 'gpu', { value: dawnGpu, configurable: true, writable: true });
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
  } catch {
    dawnGpu = null;
  }
  return dawnGpu;
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software|microsoft basic render/i;

/** Ask Dawn for an adapter; null when there is none (no driver, no GPU). */
export async function probeAdapter(): Promise<AdapterInfo | null> {
  const gpu = dawn();
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) return null;
  const info = (adapter.info ?? {}) as Record<string, unknown>;
  const text = (k: string) => (typeof info[k] === 'string' ? (info[k] as string) : '');
  const described = [text('vendor'), text('architecture'), text('device'), text('description')].join(' ');
  return {
    vendor: text('vendor'),
    architecture: text('architecture'),
    device: text('device'),
    description: text('description'),
    isSoftware: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || SOFTWARE.test(described)
  };
}

export function describeAdapter(a: AdapterInfo): string {
  const name = a.description || [a.device, a.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const vendor = a.vendor && !name.toLowerCase().includes(a.vendor.toLowerCase()) ? ` (vendor ${a.vendor})` : '';
  return `${name}${vendor}${a.isSoftware ? ', a software fallback' : ''}`;
}

let webgpuLoaded = false;
function loadWebgpuBackend(): void {
  if (webgpuLoaded) return;
  require('@tensorflow/tfjs-backend-webgpu');
  webgpuLoaded = true;
}

let wasmLoaded = false;
/** Undo what starting the threaded wasm build needed (device/wasmThreads.ts), once it started. */
let afterWasmStart: (() => void) | null = null;
function loadWasmBackend(): void {
  if (wasmLoaded) return;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(p: string): void; setThreadsCount(n: number): void };
  const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  wasm.setWasmPaths(path.join(path.dirname(pkg), 'dist') + path.sep);
  const threads = wantedWasmThreads();
  if (threads > 1) afterWasmStart = prepareWasmThreads(wasm, threads);
  installWasmMatMul();
  wasmLoaded = true;
}

async function activate(name: BackendName, adapter?: AdapterInfo): Promise<void> {
  if (adapter) setSoftwareAdapter(adapter.isSoftware); // the shapes of the WGSL programs (webgpuPrograms.ts)
  if (name === 'cpu') {
    installCpuSegmentSum();
    installFusedCpuKernels();
  }
  if (name === 'webgpu') loadWebgpuBackend();
  if (name === 'wasm') loadWasmBackend();
  if (tf.getBackend() === name) return;
  // Leaving WebGPU: bring the variables (model weights, optimizer state) along first.
  const moving = tf.getBackend() === 'webgpu' ? await variablesOnWebgpu() : null;
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } finally {
    if (name === 'wasm' && afterWasmStart) {
      afterWasmStart();
      afterWasmStart = null;
      unrefWasmWorkers(tf.findBackend('wasm'));
    }
  }
  if (!ok) throw new Error(`the ${name} backend failed to initialize`);
  await tf.ready();
  if (moving) placeVariables(moving);
  if (name === 'webgpu') {
    watchWebgpuDevice();
    installFusedWebgpuKernels();
    reuseBindGroups(tf.backend() as unknown as Parameters<typeof reuseBindGroups>[0]);
  }
  if (name === 'wasm') {
    wasmSimd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    wasmThreads = (require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount(): number }).getThreadsCount();
    if (wasmSimd) installFusedWasmKernels(); // they are SIMD code
  }
}

let wasmSimd = false;
let wasmThreads = 1;
function wasmDetail(): string {
  return `wasm (WebAssembly${wasmSimd ? ' SIMD' : ', no SIMD'}, ${wasmThreads === 1 ? '1 thread' : `${wasmThreads} threads`}${fused.active ? ', fused kernels' : ''})`;
}

function finish(device: Omit<Device, 'line'>, quiet: boolean): Device {
  const what =
    device.backend === 'webgpu' ? `webgpu on ${describeAdapter(device.adapter!)}` : device.backend === 'wasm' ? wasmDetail() : `cpu (plain JavaScript${fused.active ? ', fused kernels' : ''})`;
  const line = `device: ${what} - ${device.reason}`;
  current = { ...device, line };
  if (!quiet) console.log(line);
  return current;
}

/**
 * Choose where tensors live. `auto` (the default, or env LLM_LAB_BACKEND) tries
 * WebGPU on a real GPU, then wasm, then cpu; an explicit name uses that backend or throws.
 */
export async function useDevice(choice: string = process.env.LLM_LAB_BACKEND || 'auto', options: { quiet?: boolean } = {}): Promise<Device> {
  const wanted = checkChoice(choice);
  const quiet = options.quiet ?? false;

  if (wanted === 'cpu') {
    await activate('cpu');
    return finish({ backend: 'cpu', reason: 'asked for explicitly' }, quiet);
  }
  if (wanted === 'wasm') {
    await activate('wasm');
    return finish({ backend: 'wasm', reason: 'asked for explicitly' }, quiet);
  }

  const adapter = await probeAdapter();
  if (wanted === 'webgpu') {
    if (webgpuLostEarlier()) throw new Error('the WebGPU device was lost earlier in this kernel, and tfjs cannot start it again: restart the kernel to use the GPU, or continue on wasm');
    if (!adapter) throw new Error('webgpu was asked for, but Dawn found no WebGPU adapter (no GPU driver, or no Vulkan/Metal/D3D12 on this machine)');
    await activate('webgpu', adapter);
    return finish({ backend: 'webgpu', adapter, reason: 'asked for explicitly' }, quiet);
  }

  // auto
  let reason: string;
  if (webgpuLostEarlier()) {
    reason = 'the WebGPU device was lost earlier in this kernel (restart the kernel to use the GPU again)';
  } else if (adapter && !adapter.isSoftware) {
    try {
      await activate('webgpu', adapter);
      return finish({ backend: 'webgpu', adapter, reason: 'a GPU adapter was found' }, quiet);
    } catch (e) {
      reason = `WebGPU adapter ${describeAdapter(adapter)} failed to start (${(e as Error).message})`;
    }
  } else if (adapter) {
    reason = `the only WebGPU adapter is a software fallback (${describeAdapter(adapter)}), slower than wasm; useDevice('webgpu') forces it`;
  } else {
    reason = 'no WebGPU adapter found (no GPU driver on this machine)';
  }
  try {
    await activate('wasm');
    return finish({ backend: 'wasm', reason }, quiet);
  } catch (e) {
    await activate('cpu');
    return finish({ backend: 'cpu', reason: `${reason}; wasm failed to start (${(e as Error).message})` }, quiet);
  }
}

/** Make sure some device was chosen (the default, quietly announced) before tensors are made. */
export async function ensureDevice(): Promise<Device> {
  return current ?? useDevice();
}

/** Release Dawn so a plain Node process can exit (a notebook kernel never needs this). */
export function releaseWebgpu(): void {
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  if (g.navigator && dawnGpu) delete g.navigator.gpu;
  dawnGpu = undefined;
}

export { tf };
