// What the JavaScript benchmark children (ours.mjs, nanogpt_peer.mjs) share: the job they get on
// argv, the timed loop, memory readings, and the one JSON line they print for bench/run.mjs.
import { median } from './configs.mjs';

/** The job: JSON on argv[2], e.g. {"config": "tiny", "backend": "wasm", "steps": 10, "warmup": 3}. */
export function readJob() {
  return JSON.parse(process.argv[2] ?? '{}');
}

/**
 * Run `step` (async; it must wait for the device) warmup + steps times. Returns the median time
 * of the timed steps, and the live tensor count after the warm-up and at the end: equal when a
 * step disposes everything it makes.
 */
export async function timeSteps(step, job, tf) {
  const { stepMs, ...rest } = await timeInTurn({ step }, job, tf);
  return { stepMs: stepMs.step, ...rest };
}

/**
 * timeSteps for several steps, e.g. { full, frozen }: each round runs every one once, in turn, so
 * that a drifting host speed slows them alike. Returns each one's median time ({ full: ms, ... }).
 */
export async function timeInTurn(steps, { warmup, warmupSec = 0, steps: rounds }, tf) {
  const names = Object.keys(steps);
  const times = Object.fromEntries(names.map(name => [name, []]));
  let warm = 0;
  const started = performance.now();
  // warm up for `warmup` rounds and `warmupSec` seconds (at most 100 rounds), then time `rounds`
  while (warm < warmup || (warm < 100 && performance.now() - started < warmupSec * 1000)) {
    for (const name of names) await steps[name]();
    warm++;
  }
  const tensorsAfterWarmup = tf.memory().numTensors;
  for (let r = 0; r < rounds; r++) {
    for (const name of names) {
      const t0 = performance.now();
      await steps[name]();
      times[name].push(performance.now() - t0);
    }
  }
  const stepMs = Object.fromEntries(names.map(name => [name, median(times[name])]));
  return { stepMs, warmupSteps: warm, tensorsAfterWarmup, tensorsAtEnd: tf.memory().numTensors };
}

/**
 * One training step under tf.profile: the bytes held in tensors at the fullest moment (activations,
 * gradients, weights and optimizer state together: the engine's byte count after every kernel) and
 * the number of kernels the step ran. On a GPU every kernel is a dispatch that JavaScript prepares,
 * so the count says how much host work a step costs before any arithmetic.
 */
export async function profileStep(step, tf) {
  const info = await tf.profile(step);
  return { tensorPeakBytes: info.peakBytes, kernelsPerStep: info.kernels.length };
}

/** The process's peak resident memory (the OS's high-water mark). */
export function peakRssBytes() {
  return process.resourceUsage().maxRSS * 1024;
}

/** Print the result (or the error) as the last line of stdout, and exit: Dawn keeps Node alive. */
export async function report(measure) {
  let result;
  try {
    result = await measure();
  } catch (e) {
    result = { error: String(e?.message ?? e).split('\n')[0] };
  }
  console.log(JSON.stringify(result));
  process.exit(0);
}
