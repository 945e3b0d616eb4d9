// Mean cross-entropy of logits (N, V) against int32 targets (N,), forward and backward.
// The readable version is kernel-lib/src/nn/loss.ts (logSoftmax, one-hot, multiply, sum, mean).
// Per row: loss = logsumexp(z) - z[target], computed with the row max subtracted first.
// A negative target marks a row without loss or gradient; the mean is over the other rows.
import { exp4, exp1 } from './math';

/** Row max and the sum of e^(z - max), as (max, sum). */
// @ts-ignore: decorator
@inline function rowStats(z: usize, V: i32, out: usize): void {
  let max: f32 = -Infinity;
  for (let j = 0; j < V; j++) max = Mathf.max(max, load<f32>(z + (<usize>j << 2)));
  const m = f32x4.splat(max);
  let s4 = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= V; j += 4) s4 = f32x4.add(s4, exp4(f32x4.sub(v128.load(z + (<usize>j << 2)), m)));
  let sum = f32x4.extract_lane(s4, 0) + f32x4.extract_lane(s4, 1) + f32x4.extract_lane(s4, 2) + f32x4.extract_lane(s4, 3);
  for (; j < V; j++) sum += exp1(load<f32>(z + (<usize>j << 2)) - max);
  store<f32>(out, max);
  store<f32>(out + 4, sum);
}

/**
 * The mean loss over the rows with a target >= 0 (0 when there is none), or -1 - r when row r
 * has a target at V or beyond (then nothing else is done).
 */
export function crossEntropyForward(logits: usize, targets: usize, N: i32, V: i32, scratch: usize): f32 {
  let total: f64 = 0;
  let count = 0;
  for (let r = 0; r < N; r++) {
    const z = logits + (<usize>r * <usize>V << 2);
    const t = load<i32>(targets + (<usize>r << 2));
    if (t >= V) return -1 - <f32>r; // reported by the caller as an error
    if (t < 0) continue;
    count++;
    rowStats(z, V, scratch);
    const logSumExp = load<f32>(scratch) + Mathf.log(load<f32>(scratch + 4));
    total += <f64>(logSumExp - load<f32>(z + (<usize>t << 2)));
  }
  return count == 0 ? 0 : <f32>(total / <f64>count);
}

/**
 * dlogits = (softmax(z) - onehot(target)) * dLoss / count, rows [start, end), where count is the
 * number of rows with a target; zeros on rows without one. 2 floats of scratch per thread.
 */
export function crossEntropyBackward(
  logits: usize, targets: usize, dlogits: usize, count: i32, V: i32, dLoss: f32, scratch: usize, start: i32, end: i32, thread: i32
): void {
  const scale: f32 = dLoss / <f32>count;
  scratch += <usize>thread << 3;
  for (let r = start; r < end; r++) {
    const z = logits + (<usize>r * <usize>V << 2);
    const d = dlogits + (<usize>r * <usize>V << 2);
    const t = load<i32>(targets + (<usize>r << 2));
    if (t < 0) {
      memory.fill(d, 0, <usize>V << 2);
      continue;
    }
    rowStats(z, V, scratch);
    const m = f32x4.splat(load<f32>(scratch));
    const k = f32x4.splat(scale / load<f32>(scratch + 4));
    let j = 0;
    for (; j + 4 <= V; j += 4) v128.store(d + (<usize>j << 2), f32x4.mul(exp4(f32x4.sub(v128.load(z + (<usize>j << 2)), m)), k));
    for (; j < V; j++) store<f32>(d + (<usize>j << 2), exp1(load<f32>(z + (<usize>j << 2)) - load<f32>(scratch)) * scale / load<f32>(scratch + 4));
    store<f32>(d + (<usize>t << 2), load<f32>(d + (<usize>t << 2)) - scale);
  }
}

/** How many of the N targets are >= 0 (the rows that have a loss). */
export function countTargets(targets: usize, N: i32): i32 {
  let count = 0;
  for (let r = 0; r < N; r++) if (load<i32>(targets + (<usize>r << 2)) >= 0) count++;
  return count;
}
