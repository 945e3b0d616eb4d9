/**
 * Threads for the wasm backend in Node.
 *
 * tfjs-backend-wasm ships a multi-threaded build: XNNPACK, which does its matrix products, splits
 * each one over a pool of threads (Web Workers sharing the wasm memory). In Node, tfjs turns that
 * build off, although Node has what it needs (worker_threads, SharedArrayBuffer). Three things stand
 * in the way, each with a small workaround applied only while the backend starts:
 *
 *   1. The feature flag WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false in Node: we set it.
 *   2. tfjs hands Emscripten the worker script and the main script as Blob URLs, which Node's
 *      Worker cannot load: Blobs made while the backend starts are written to files, and
 *      URL.createObjectURL returns their paths (the main script is the package's own wasm-out file).
 *   3. tfjs uses half the logical cores, assuming two hardware threads per core; a 2-vCPU machine
 *      would get one thread. Emscripten asks os.cpus(), so during start-up os.cpus() reports enough
 *      entries for the thread count we want.
 *
 * The matrix products (the largest part of a training step) run on tfjs's threads; our fused
 * kernels run on a pool of our own (device/wasmPool.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

/**
 * How many threads: LLM_LAB_WASM_THREADS (at most 8, the size of tfjs's worker pool), else one
 * per core that is free when the backend starts, at most 8 (at least 1).
 *
 * On a 2-core machine with both cores free, two threads make a training step of the small model
 * 1.7x faster and the tiny one 1.2x (bench/results): the matrix products split over tfjs's
 * threads, our fused kernels over device/wasmPool.ts. But threads only pay on cores nobody else
 * uses: with one core busy elsewhere, two threads made the tiny step 1.6x slower than one (they
 * wait for each other). So on a busy machine (a JupyterHub shared by a class) fewer are used.
 */
export function wantedWasmThreads(): number {
  const asked = process.env.LLM_LAB_WASM_THREADS;
  if (asked === undefined) return Math.max(1, Math.min(freeCores(), 8));
  const n = Number(asked);
  if (!Number.isInteger(n) || n < 1) throw new Error(`LLM_LAB_WASM_THREADS must be a positive integer, got ${JSON.stringify(asked)}`);
  return Math.min(n, 8);
}

/**
 * How many cores other processes left free over the last `ms` milliseconds (the kernel's counters),
 * rounded. This process's own threads (V8 compiling or collecting in the background) do not count.
 */
export function freeCores(ms = 100): number {
  const idleAndTotal = () => os.cpus().reduce(([idle, total], cpu) => {
    const t = cpu.times;
    return [idle + t.idle, total + t.user + t.nice + t.sys + t.idle + t.irq];
  }, [0, 0]);
  const [idle0, total0] = idleAndTotal();
  const ours0 = process.cpuUsage();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); // sleep, using no CPU
  const ours = process.cpuUsage(ours0);
  const [idle1, total1] = idleAndTotal();
  const cores = Math.min(os.cpus().length, os.availableParallelism());
  const total = total1 - total0; // ms over all cores
  if (total <= 0) return cores; // the counters did not move: no way to tell
  const busyElsewhere = Math.max(0, total - (idle1 - idle0) - (ours.user + ours.system) / 1000);
  return Math.round(cores - (busyElsewhere / total) * os.cpus().length);
}

type Restore = () => void;

/** Let Node exit while tfjs's worker threads wait for work (Emscripten keeps them referenced). */
export function unrefWasmWorkers(backend: unknown): void {
  const pthread = (backend as { wasm?: { PThread?: { unusedWorkers: { unref(): void }[]; runningWorkers: { unref(): void }[] } } }).wasm?.PThread;
  for (const worker of [...(pthread?.unusedWorkers ?? []), ...(pthread?.runningWorkers ?? [])]) worker.unref();
}

/** Prepare tfjs-backend-wasm to start its threaded build; call the result once it has started. */
export function prepareWasmThreads(wasmModule: { setThreadsCount(n: number): void }, threads: number): Restore {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasmModule.setThreadsCount(threads);

  const pkg = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const mainScript = path.join(pkg, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-lab-wasm-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

  const g = globalThis as unknown as { Blob: typeof Blob };
  const RealBlob = g.Blob;
  let count = 0;
  // A Blob that is also a file: scripts for Node's workers.
  class FileBlob extends RealBlob {
    readonly file: string;
    constructor(parts: string[], options?: { type?: string }) {
      super(parts, options);
      const text = parts.join('');
      if (text.startsWith('var WasmBackendModuleThreadedSimd')) {
        this.file = mainScript; // tfjs's copy of it refers to its bundler's names; the original does not
      } else {
        this.file = path.join(dir, `script-${count++}.js`);
        fs.writeFileSync(this.file, text);
      }
    }
  }
  const realCreate = URL.createObjectURL;
  // the os module itself (an `import * as` namespace is a read-only copy)
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const nodeOs = require('os') as { cpus: typeof os.cpus };
  const realCpus = nodeOs.cpus;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { Worker } = require('worker_threads') as typeof import('worker_threads');
  const realPost = Worker.prototype.postMessage;

  g.Blob = FileBlob as unknown as typeof Blob;
  URL.createObjectURL = (b: Blob) => (b instanceof FileBlob ? b.file : realCreate(b));
  // the 'load' message gives each worker the main script: a path, not a Blob
  Worker.prototype.postMessage = function (this: InstanceType<typeof Worker>, message: unknown, ...rest: unknown[]) {
    const m = message as { urlOrBlob?: unknown };
    if (m && m.urlOrBlob instanceof FileBlob) message = { ...m, urlOrBlob: m.urlOrBlob.file };
    return (realPost as (...a: unknown[]) => void).call(this, message, ...rest);
  } as typeof realPost;
  const cpus = realCpus();
  nodeOs.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);

  return () => {
    g.Blob = RealBlob;
    URL.createObjectURL = realCreate;
    Worker.prototype.postMessage = realPost;
    nodeOs.cpus = realCpus;
  };
}
