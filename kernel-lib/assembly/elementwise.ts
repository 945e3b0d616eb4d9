// GELU and AdamW, element by element, four lanes at a time; a scalar loop does the last n % 4.
import { addRow, tanh4 } from './math';

// GELU, tanh approximation (GPT-2): y = x/2 (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
const K: f32 = 0.7978845608028654; // sqrt(2 / pi)
const A: f32 = 0.044715;

// @ts-ignore: decorator
@inline function geluInner(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  return f32x4.mul(f32x4.splat(K), f32x4.mul(x, f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(A), x2))));
}

// Both do the groups of four [start, end) of the n numbers (several threads can share an array).
export function geluForward(x: usize, y: usize, n: i32, start: i32, end: i32): void {
  const last = min(end * 4, n);
  for (let i = start * 4; i < last; i += 4) {
    // the last group may reach past n: compute it on a copy and store only the lanes that exist
    const o = <usize>i << 2;
    const v = i + 4 <= n ? v128.load(x + o) : loadTail(x + o, n - i);
    const t = tanh4(geluInner(v));
    const r = f32x4.mul(f32x4.mul(f32x4.splat(0.5), v), f32x4.add(f32x4.splat(1), t));
    if (i + 4 <= n) v128.store(y + o, r);
    else storeTail(y + o, r, n - i);
  }
}

// dy/dx = (1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
export function geluBackward(x: usize, dy: usize, dx: usize, n: i32, start: i32, end: i32): void {
  const last = min(end * 4, n);
  for (let i = start * 4; i < last; i += 4) {
    const o = <usize>i << 2;
    const full = i + 4 <= n;
    const v = full ? v128.load(x + o) : loadTail(x + o, n - i);
    const g = full ? v128.load(dy + o) : loadTail(dy + o, n - i);
    const t = tanh4(geluInner(v));
    const half = f32x4.splat(0.5);
    const du = f32x4.mul(f32x4.splat(K), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(3 * A), f32x4.mul(v, v))));
    const d = f32x4.add(
      f32x4.mul(half, f32x4.add(f32x4.splat(1), t)),
      f32x4.mul(f32x4.mul(half, v), f32x4.mul(f32x4.sub(f32x4.splat(1), f32x4.mul(t, t)), du))
    );
    const r = f32x4.mul(g, d);
    if (full) v128.store(dx + o, r);
    else storeTail(dx + o, r, n - i);
  }
}

/** The last 1-3 floats of an array as a vector (the other lanes 0). */
function loadTail(p: usize, count: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p + 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p + 8));
  return v;
}

function storeTail(p: usize, v: v128, count: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p + 4, f32x4.extract_lane(v, 1));
  if (count > 2) store<f32>(p + 8, f32x4.extract_lane(v, 2));
}

// AdamW on one parameter tensor of n floats (see kernel-lib/src/train/adamw.ts for the same
// update in tensor operations):
//   m' = b1 m + (1 - b1) g;  v' = b2 v + (1 - b2) g^2
//   p' = p - lr ((m' / c1) / (sqrt(v' / c2) + eps) + wd p)     c1, c2: bias corrections
export function adamw(
  p: usize, g: usize, m: usize, v: usize, pOut: usize, mOut: usize, vOut: usize, n: i32,
  lr: f32, b1: f32, b2: f32, c1: f32, c2: f32, eps: f32, wd: f32, gs: f32
): void {
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const full = i + 4 <= n;
    const gi = f32x4.mul(f32x4.splat(gs), full ? v128.load(g + o) : loadTail(g + o, n - i));
    const pi = full ? v128.load(p + o) : loadTail(p + o, n - i);
    const mi = full ? v128.load(m + o) : loadTail(m + o, n - i);
    const vi = full ? v128.load(v + o) : loadTail(v + o, n - i);
    const m2 = f32x4.add(f32x4.mul(f32x4.splat(b1), mi), f32x4.mul(f32x4.splat(1 - b1), gi));
    const v2 = f32x4.add(f32x4.mul(f32x4.splat(b2), vi), f32x4.mul(f32x4.splat(1 - b2), f32x4.mul(gi, gi)));
    const denom = f32x4.add(f32x4.sqrt(f32x4.div(v2, f32x4.splat(c2))), f32x4.splat(eps));
    const update = f32x4.add(f32x4.div(f32x4.div(m2, f32x4.splat(c1)), denom), f32x4.mul(f32x4.splat(wd), pi));
    const p2 = f32x4.sub(pi, f32x4.mul(f32x4.splat(lr), update));
    if (full) {
      v128.store(pOut + o, p2);
      v128.store(mOut + o, m2);
      v128.store(vOut + o, v2);
    } else {
      storeTail(pOut + o, p2, n - i);
      storeTail(mOut + o, m2, n - i);
      storeTail(vOut + o, v2, n - i);
    }
  }
}

// The sum of the squares of x's n numbers, one after another in float32: the same order and so the
// same bits as tfjs's Square and then Sum (gradient clipping's norm, which decides the scale).
export function sumOfSquares(x: usize, n: i32): f32 {
  let s: f32 = 0;
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

// out = a + b, where b (m numbers) repeats along a (n numbers, n a multiple of m): a bias added to
// every row, a position embedding to every sequence, or b as large as a (m = n).
export function addRepeated(a: usize, b: usize, out: usize, n: i32, m: i32): void {
  for (let row = 0; row < n; row += m) addRow(out + (<usize>row << 2), a + (<usize>row << 2), b, m);
}
