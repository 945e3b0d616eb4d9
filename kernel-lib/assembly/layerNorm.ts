// LayerNorm over the last axis (C channels, a multiple of 4) of N rows, forward and backward.
// The readable version is kernel-lib/src/nn/layerNorm.ts (mean, subtract, square, mean, rsqrt,
// scale, shift: seven tensor operations, plus their gradients).
import { hsum } from './math';

/** y = (x - mean) rstd gamma + beta; mean and rstd = 1 / sqrt(var + eps) are kept for backward. */
export function layerNormForward(x: usize, gamma: usize, beta: usize, y: usize, mean: usize, rstd: usize, N: i32, C: i32, eps: f32): void {
  const bytes = <usize>C << 2;
  for (let r = 0; r < N; r++) {
    const xr = x + <usize>r * bytes;
    const yr = y + <usize>r * bytes;
    let s = f32x4.splat(0);
    for (let c = 0; c < C; c += 4) s = f32x4.add(s, v128.load(xr + (<usize>c << 2)));
    const mu = hsum(s) / <f32>C;
    const m = f32x4.splat(mu);
    let sq = f32x4.splat(0);
    for (let c = 0; c < C; c += 4) {
      const d = f32x4.sub(v128.load(xr + (<usize>c << 2)), m);
      sq = f32x4.add(sq, f32x4.mul(d, d));
    }
    const rs: f32 = 1.0 / Mathf.sqrt(hsum(sq) / <f32>C + eps);
    store<f32>(mean + (<usize>r << 2), mu);
    store<f32>(rstd + (<usize>r << 2), rs);
    const k = f32x4.splat(rs);
    for (let c = 0; c < C; c += 4) {
      const o = <usize>c << 2;
      const xhat = f32x4.mul(f32x4.sub(v128.load(xr + o), m), k);
      v128.store(yr + o, f32x4.add(f32x4.mul(xhat, v128.load(gamma + o)), v128.load(beta + o)));
    }
  }
}

// With xhat = (x - mean) rstd and g = dy gamma (the gradient reaching xhat):
//   dx = rstd (g - mean(g) - xhat mean(g xhat));  dgamma = sum over rows of dy xhat;  dbeta = sum of dy
export function layerNormBackward(
  dy: usize, x: usize, gamma: usize, mean: usize, rstd: usize, dx: usize, dgamma: usize, dbeta: usize, N: i32, C: i32
): void {
  const bytes = <usize>C << 2;
  memory.fill(dgamma, 0, bytes);
  memory.fill(dbeta, 0, bytes);
  for (let r = 0; r < N; r++) {
    const xr = x + <usize>r * bytes;
    const gr = dy + <usize>r * bytes;
    const m = f32x4.splat(load<f32>(mean + (<usize>r << 2)));
    const rs: f32 = load<f32>(rstd + (<usize>r << 2));
    const k = f32x4.splat(rs);
    let sumG = f32x4.splat(0);
    let sumGX = f32x4.splat(0);
    for (let c = 0; c < C; c += 4) {
      const o = <usize>c << 2;
      const xhat = f32x4.mul(f32x4.sub(v128.load(xr + o), m), k);
      const d = v128.load(gr + o);
      const g = f32x4.mul(d, v128.load(gamma + o));
      sumG = f32x4.add(sumG, g);
      sumGX = f32x4.add(sumGX, f32x4.mul(g, xhat));
      v128.store(dgamma + o, f32x4.add(v128.load(dgamma + o), f32x4.mul(d, xhat)));
      v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), d));
    }
    const meanG = f32x4.splat(hsum(sumG) / <f32>C);
    const meanGX = f32x4.splat(hsum(sumGX) / <f32>C);
    const dxr = dx + <usize>r * bytes;
    for (let c = 0; c < C; c += 4) {
      const o = <usize>c << 2;
      const xhat = f32x4.mul(f32x4.sub(v128.load(xr + o), m), k);
      const g = f32x4.mul(v128.load(gr + o), v128.load(gamma + o));
      v128.store(dxr + o, f32x4.mul(k, f32x4.sub(f32x4.sub(g, meanG), f32x4.mul(xhat, meanGX))));
    }
  }
}
