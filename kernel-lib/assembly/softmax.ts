// Softmax over the last axis of x (rows of C floats): the attention weights of generation, where
// the fused attention kernel does not run (the KV-cache path reads the readable nn/attention.ts).
// tfjs's wasm Softmax goes through XNNPACK, which with several threads took ~0.9 ms for one row
// of a few dozen scores (waking its threads for it); this one is a plain loop on the calling thread.
import { exp4, exp1 } from './math';

export function softmaxRows(x: usize, y: usize, rows: i32, C: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * C) << 2);
    const yr = y + (<usize>(r * C) << 2);
    let max: f32 = -Infinity;
    for (let j = 0; j < C; j++) max = Mathf.max(max, load<f32>(xr + (<usize>j << 2)));
    // e^(x - max): never overflows; the largest is 1. Below e^-87 (a masked score, -Infinity) it
    // is exactly 0, as the weight of a masked position should be (exp4 stops at e^-87 ~ 1.6e-38).
    const m = f32x4.splat(max);
    const lowest = f32x4.splat(-87.0);
    let sum4 = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= C; j += 4) {
      const d = f32x4.sub(v128.load(xr + (<usize>j << 2)), m);
      const e = v128.and(exp4(d), f32x4.ge(d, lowest));
      v128.store(yr + (<usize>j << 2), e);
      sum4 = f32x4.add(sum4, e);
    }
    let sum = f32x4.extract_lane(sum4, 0) + f32x4.extract_lane(sum4, 1) + f32x4.extract_lane(sum4, 2) + f32x4.extract_lane(sum4, 3);
    for (; j < C; j++) {
      const d = load<f32>(xr + (<usize>j << 2)) - max;
      const e: f32 = d >= -87.0 ? exp1(d) : 0;
      store<f32>(yr + (<usize>j << 2), e);
      sum += e;
    }
    const inv: f32 = 1.0 / sum;
    for (j = 0; j < C; j++) store<f32>(yr + (<usize>j << 2), load<f32>(yr + (<usize>j << 2)) * inv);
  }
}
