/**
 * Kernel interrupts for long loops. The notebook's stop button sends the kernel SIGINT, and Node
 * hands a signal to its listeners only when the event loop runs; a loop that awaits only device
 * reads (promises) never lets it run, so the cell cannot be stopped. A loop watches for the
 * interrupt and lets the event loop run every so often:
 *
 *   const interrupt = watchInterrupt();
 *   try {
 *     for (let i = 0; i < n; i++) {
 *       if (await interrupt.poll()) throw new InterruptedError(`interrupted after ${i} of ${n} steps`);
 *       ...
 *     }
 *   } finally {
 *     interrupt.close();
 *   }
 */

/** How often a watched loop lets the event loop run: rarely enough to cost nothing, often enough to feel instant. */
const YIELD_EVERY_MS = 25;

/** What a loop throws when the kernel was interrupted: the cell ends, like Python's KeyboardInterrupt. */
export class InterruptedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterruptedError';
  }
}

export interface InterruptWatch {
  /** Whether an interrupt arrived since the watch began. */
  readonly requested: boolean;
  /** Let the event loop run if the last time was over ~25 ms ago (so a pending interrupt arrives); then `requested`. */
  poll(): Promise<boolean>;
  /** Stop listening; call it in `finally`. */
  close(): void;
}

/**
 * Listen for the kernel's interrupt (SIGINT) until close(). The listener is added at the first
 * poll, after one turn of the event loop: a listener added during the cell's own turn, while
 * tslab runs the cell's code with vm's breakOnSigint, never hears the signal.
 */
export function watchInterrupt(): InterruptWatch {
  let requested = false;
  let listening = false;
  let closed = false;
  let yielded = performance.now();
  const onInterrupt = () => {
    requested = true;
  };
  return {
    get requested() {
      return requested;
    },
    async poll() {
      if (!listening) {
        await new Promise(resolve => setImmediate(resolve));
        if (!closed) process.on('SIGINT', onInterrupt);
        listening = true;
        yielded = performance.now();
      } else if (!requested && performance.now() - yielded >= YIELD_EVERY_MS) {
        await new Promise(resolve => setImmediate(resolve));
        yielded = performance.now();
      }
      return requested;
    },
    close() {
      closed = true;
      process.off('SIGINT', onInterrupt);
    }
  };
}
