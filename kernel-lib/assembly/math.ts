// Small math helpers for the fused kernels, four lanes at a time (WebAssembly SIMD).
//
// Everything here works on raw byte addresses into the memory of the tfjs wasm backend, which this
// module imports. So the module must never keep data of its own in that memory: no strings, no
// arrays, no lookup tables (AssemblyScript's Mathf.exp uses one, hence our own exp below).

/** out[i] = x[i] + y[i] for i < n (out may be x). */
// @ts-ignore: decorator
@inline export function addRow(out: usize, x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(x + o), v128.load(y + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) + load<f32>(y + o));
  }
}

/** Sum of the four lanes. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** a . b over n floats (n a multiple of 4). */
// @ts-ignore: decorator
@inline export function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  for (let d = 0; d < n; d += 4) {
    acc = f32x4.add(acc, f32x4.mul(v128.load(a + (<usize>d << 2)), v128.load(b + (<usize>d << 2))));
  }
  return hsum(acc);
}

/** The four sums of four vectors, as one vector: [hsum(a), hsum(b), hsum(c), hsum(d)]. */
// @ts-ignore: decorator
@inline export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  // pairwise: [a0+a2, a1+a3, b0+b2, b1+b3] and the same for c, d; then add neighbours
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 1, 4, 5), v128.shuffle<f32>(a, b, 2, 3, 6, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 1, 4, 5), v128.shuffle<f32>(c, d, 2, 3, 6, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 2, 4, 6), v128.shuffle<f32>(ab, cd, 1, 3, 5, 7));
}

/**
 * Four dot products at once: [a . b0, a . b1, a . b2, a . b3] where b_k starts `stride` bytes
 * after b_(k-1); n floats each (a multiple of 4). `a` is loaded once for all four.
 */
// @ts-ignore: decorator
@inline export function dot4(a: usize, b: usize, stride: usize, n: i32): v128 {
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let s2 = f32x4.splat(0);
  let s3 = f32x4.splat(0);
  for (let d = 0; d < n; d += 4) {
    const o = <usize>d << 2;
    const x = v128.load(a + o);
    s0 = f32x4.add(s0, f32x4.mul(x, v128.load(b + o)));
    s1 = f32x4.add(s1, f32x4.mul(x, v128.load(b + stride + o)));
    s2 = f32x4.add(s2, f32x4.mul(x, v128.load(b + 2 * stride + o)));
    s3 = f32x4.add(s3, f32x4.mul(x, v128.load(b + 3 * stride + o)));
  }
  return hsum4(s0, s1, s2, s3);
}

/** y += alpha * x over n floats (n a multiple of 4). */
// @ts-ignore: decorator
@inline export function axpy(y: usize, alpha: f32, x: usize, n: i32): void {
  const a = f32x4.splat(alpha);
  for (let d = 0; d < n; d += 4) {
    const o = <usize>d << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(a, v128.load(x + o))));
  }
}

/**
 * e^x in four lanes. Write x = n ln2 + r with n an integer and |r| <= ln2 / 2; then
 * e^x = 2^n e^r, where 2^n is built directly in the float's exponent bits and e^r comes from
 * its Taylor polynomial (degree 6: relative error below 2e-7 on that range).
 * x is clamped to [-87, 88] so that 2^n stays a normal float (e^-87 is ~1.6e-38, a fine zero).
 */
// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.4426950408889634))); // x / ln2
  // r = x - n ln2, with ln2 split in two parts so that the subtraction loses no precision
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693145751953125)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(1.428606765330187e-6)));
  // 1 + r + r^2/2! + ... + r^6/6!, evaluated from the inside out (Horner)
  let p = f32x4.splat(1.0 / 720.0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  // 2^n: put n + 127 into the exponent field of a float
  const twoN = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, twoN);
}

/** e^x for one float, through the four-lane version. */
export function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

/** tanh in four lanes: tanh(u) = 1 - 2 / (e^(2u) + 1), exact at both ends (+-1) after clamping. */
// @ts-ignore: decorator
@inline export function tanh4(u: v128): v128 {
  const e = exp4(f32x4.add(u, u));
  return f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.splat(2.0), f32x4.add(e, f32x4.splat(1.0))));
}
