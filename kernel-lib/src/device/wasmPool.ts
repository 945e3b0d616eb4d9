/**
 * Our fused wasm kernels on several threads.
 *
 * With LLM_LAB_WASM_THREADS > 1 (device/wasmThreads.ts), tfjs's threaded build splits its matrix
 * products over a pool of workers; our fused kernels (attention, GELU, cross-entropy, transposes)
 * would still run on the main thread alone. This pool runs them on threads too. Each worker
 * instantiates the same fused module on the same shared memory, so a kernel's inputs and outputs
 * are where they already are; a call only says which kernel, with which numbers. The kernel's
 * work is cut into independent chunks (attention's (batch, head) pairs, GELU's groups of four, a
 * transpose's bands of rows), and every thread takes the next chunk until none is left.
 *
 * Taking chunks, rather than being handed a fixed share, matters on a machine with few cores:
 * right after a matrix product XNNPACK's own threads may still hold a core, and a worker that
 * wakes late then simply finds less (or nothing) left to do, instead of holding everyone up.
 *
 * The threads meet through a small shared control block and Atomics. The main thread writes the
 * call, opens the chunks, bumps the generation and wakes the workers; it takes chunks itself, then
 * waits until no worker is still inside one. The workers sleep in Atomics.wait between calls, so
 * an idle pool costs no CPU.
 */
import { Worker } from 'worker_threads';

// The control block (Int32). NEXT holds the generation (high 16 bits) and the next chunk (low 16):
// a worker that woke for an earlier call cannot take a chunk of a later one.
const GEN = 0;
const NEXT = 1;
const BUSY = 2; // workers inside a call
const KERNEL = 3;
const PARTS = 4;
const CHUNKS = 5;
const ARGS = 6;
const STARTED = 7;
const FAILED = 8;
const WORKER_CHUNKS = 9; // chunks done by workers, in all (for tests and benchmarks)
const MAX_ARGS = 16;
/** How long the calling thread spins for the workers' last chunks before it sleeps. */
const SPIN_MS = 0.5;
/** How long the constructor waits for the workers to start (they are usable from then on). */
const START_TIMEOUT_MS = 10_000;

/**
 * Take chunks of the current call until none is left: kernel(...args, start, end, thread) for
 * parts [start, end); returns how many it took. Shared by the main thread and the workers (whose
 * code is made from its text, so it names the control slots by number).
 */
function takeChunks(ctrl: Int32Array, gen: number, kernel: (...a: number[]) => unknown, args: number[], thread: number): number {
  let taken = 0;
  const parts = ctrl[4]; // PARTS, CHUNKS, NEXT (1) below: numbers, as said above
  const chunks = ctrl[5];
  for (;;) {
    const next = Atomics.load(ctrl, 1);
    if (next >>> 16 !== (gen & 0xffff) || (next & 0xffff) >= chunks) return taken;
    if (Atomics.compareExchange(ctrl, 1, next, next + 1) !== next) continue;
    const c = next & 0xffff;
    taken++;
    kernel(...args, Math.floor((c * parts) / chunks), Math.floor(((c + 1) * parts) / chunks), thread);
  }
}

const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const { bytes, memory, control, args, thread, names } = workerData;
const kernels = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
const ctrl = new Int32Array(control);
const values = new Float64Array(args);
const takeChunks = ${takeChunks.toString()};
Atomics.add(ctrl, ${STARTED}, 1);
Atomics.notify(ctrl, ${STARTED});
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${GEN}, seen);
  seen = Atomics.load(ctrl, ${GEN});
  Atomics.add(ctrl, ${BUSY}, 1);
  try {
    const taken = takeChunks(ctrl, seen, kernels[names[ctrl[${KERNEL}]]], Array.from(values.subarray(0, ctrl[${ARGS}])), thread);
    Atomics.add(ctrl, ${WORKER_CHUNKS}, taken);
  } catch (e) {
    Atomics.store(ctrl, ${FAILED}, 1);
  }
  Atomics.sub(ctrl, ${BUSY}, 1);
  Atomics.notify(ctrl, ${BUSY});
}`;

type Kernel = (...args: number[]) => unknown;

export class WasmPool {
  private readonly control = new Int32Array(new SharedArrayBuffer(16 * 4));
  private readonly args = new Float64Array(new SharedArrayBuffer(MAX_ARGS * 8));
  private readonly workers: Worker[] = [];
  private readonly names: string[];

  /**
   * `threads` in all: the calling thread and threads - 1 workers, each with its own instance of
   * the module (`bytes`) on `memory` (a shared WebAssembly.Memory).
   */
  constructor(bytes: Uint8Array, memory: object, private readonly kernels: Record<string, Kernel>, readonly threads: number) {
    this.names = Object.keys(kernels).filter(k => typeof kernels[k] === 'function');
    for (let thread = 1; thread < threads; thread++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { bytes, memory, control: this.control.buffer, args: this.args.buffer, thread, names: this.names }
      });
      worker.unref(); // an idle pool does not keep Node running
      this.workers.push(worker);
    }
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (let started = Atomics.load(this.control, STARTED); started < this.workers.length && Date.now() < deadline; started = Atomics.load(this.control, STARTED)) {
      Atomics.wait(this.control, STARTED, started, deadline - Date.now());
    }
  }

  /** Chunks done by the workers so far (the rest were done by the calling thread). */
  get workerChunks(): number {
    return Atomics.load(this.control, WORKER_CHUNKS);
  }

  /**
   * kernel(...args, start, end, thread) over [0, parts), cut into chunks that every thread takes
   * from; returns when all are done. Should the workers not have started (see the constructor),
   * the calling thread does it all.
   */
  run(name: string, args: number[], parts: number): void {
    const kernel = this.kernels[name];
    const ctrl = this.control;
    if (Atomics.load(ctrl, STARTED) < this.workers.length || parts < 2) {
      kernel(...args, 0, parts, 0);
      return;
    }
    if (args.length > MAX_ARGS) throw new Error(`WasmPool.run(${name}): ${args.length} arguments, at most ${MAX_ARGS}`);
    const gen = (ctrl[GEN] + 1) & 0xffff;
    this.args.set(args);
    ctrl[KERNEL] = this.names.indexOf(name);
    ctrl[PARTS] = parts;
    ctrl[CHUNKS] = Math.min(parts, 4 * this.threads);
    ctrl[ARGS] = args.length;
    Atomics.store(ctrl, NEXT, gen << 16);
    Atomics.store(ctrl, GEN, gen);
    Atomics.notify(ctrl, GEN);
    try {
      takeChunks(ctrl, gen, kernel, args, 0);
    } finally {
      // wait for the workers still inside a chunk, even when ours failed: they use the same memory.
      // Their last chunk is short, so first spin a little: waking from Atomics.wait takes tens of us.
      const spinUntil = performance.now() + SPIN_MS;
      let busy = Atomics.load(ctrl, BUSY);
      while (busy > 0 && performance.now() < spinUntil) busy = Atomics.load(ctrl, BUSY);
      for (; busy > 0; busy = Atomics.load(ctrl, BUSY)) Atomics.wait(ctrl, BUSY, busy);
    }
    if (Atomics.exchange(ctrl, FAILED, 0)) throw new Error(`${name} failed on a worker thread`);
  }
}
