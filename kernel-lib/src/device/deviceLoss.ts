/**
 * When the GPU goes away.
 *
 * A WebGPU device can be lost: a driver reset, the GPU removed or out of memory, a laptop
 * switching GPUs. Everything stored on it is gone. tfjs does not notice, so we watch the device,
 * keep host copies of the variables while training (Trainer calls copyVariablesToHost), and
 * `useDevice('wasm')` puts the variables back on the new backend: the kernel keeps running.
 */
import * as tf from '@tensorflow/tfjs';

export interface Lost {
  reason: string;
  message: string;
}
let lost: Lost | null = null;
/** Once lost, tfjs's WebGPU backend stays broken for the life of the process. */
let lostOnce = false;

/** Whether a WebGPU device was lost earlier in this process. */
export function webgpuLostEarlier(): boolean {
  return lostOnce;
}
const hostCopies = new Map<string, { values: Float32Array; shape: number[] }>();
let watched: object | null = null;

/** Why the WebGPU device was lost, or null while it is fine (or was never used). */
export function webgpuLost(): Lost | null {
  return lost;
}

export function watchWebgpuDevice(): void {
  const device = (tf.findBackend('webgpu') as unknown as { device?: { lost: Promise<{ reason?: string; message?: string }> } } | null)?.device;
  if (!device || device === watched) return;
  watched = device;
  lost = null;
  void device.lost.then(info => {
    if (watched !== device) return;
    lost = { reason: info.reason ?? 'unknown', message: info.message ?? '' };
    lostOnce = true;
    console.error(
      `The WebGPU device was lost (${lost.reason}${lost.message ? `: ${lost.message}` : ''}). What was on the GPU is gone. ` +
        `Keep the kernel: run await useDevice('wasm') (or 'cpu') and the models get back their last weights copied to the CPU (other tensors you made on the GPU must be made again).`
    );
  });
}

/** Copy every variable held by the WebGPU backend to host memory (what a device loss falls back on). */
export async function copyVariablesToHost(): Promise<number> {
  if (lost || tf.getBackend() !== 'webgpu') return 0;
  const vars = gpuVariables();
  const values = await Promise.all(vars.map(v => v.data() as Promise<Float32Array>));
  hostCopies.clear();
  vars.forEach((v, i) => hostCopies.set(v.name, { values: values[i], shape: v.shape }));
  return vars.length;
}

function gpuVariables(): tf.Variable[] {
  const { state } = tf.engine() as unknown as { state: { registeredVariables: Record<string, tf.Variable>; tensorInfo: WeakMap<object, { backend: unknown }> } };
  const gpu = tf.findBackend('webgpu');
  return Object.values(state.registeredVariables).filter(v => !v.isDisposed && v.dtype === 'float32' && state.tensorInfo.get(v.dataId)?.backend === gpu);
}

export interface Moving {
  values: Map<tf.Variable, Float32Array>;
  missing: string[];
}

/** The values of the variables on WebGPU: read from the device, or after a loss, the host copies. */
export async function variablesOnWebgpu(): Promise<Moving> {
  const moving: Moving = { values: new Map(), missing: [] };
  for (const v of gpuVariables()) {
    const copy = hostCopies.get(v.name);
    if (!lost) moving.values.set(v, (await v.data()) as Float32Array);
    else if (copy && copy.shape.join() === v.shape.join()) moving.values.set(v, copy.values);
    else moving.missing.push(v.name.replace(/#\d+$/, ''));
  }
  return moving;
}

export function placeVariables({ values, missing }: Moving): void {
  for (const [v, data] of values) tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
  if (lost) {
    console.log(`moved ${values.size} variables from their last CPU copy` + (missing.length ? `; ${missing.length} had none (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}): build those models again` : ''));
    lost = null;
    watched = null;
    hostCopies.clear();
  }
}
