// Multi-head self-attention in one pass, forward and backward: causal or not, with an optional
// additive key mask (padding).
//
// The readable version is kernel-lib/src/nn/attention.ts: split q, k, v into heads, scores = q k^T,
// scale, mask, softmax, weights v, merge heads: about a dozen tensor operations, each a pass over
// memory, and batched matrix products of (T x hs) blocks that the generic kernels do slowly.
// Here each query row is done start to finish while its data sits in the CPU cache.
//
// Layouts (row-major float32, addresses in bytes):
//   qkv   (B, T, 3C)   the c_attn output: q in channels [0, C), k in [C, 2C), v in [2C, 3C);
//                      head h owns channels [h hs, (h + 1) hs) of each, hs = C / nh
//   y     (B, T, C)    the heads' outputs side by side (already "merged")
//   probs (B, nh, T, T) the attention weights; row i is zero after column i when causal
//   mask  (B, 1, 1, T) added to every query's scores of sequence b (nn/attention.ts paddingMask);
//                      0 for none
// Query i reads keys 0..i when `causal` is 1, all T keys when it is 0.
//
// The (batch, head) pairs are independent: a call does pairs [start, end) of the B nh, so that
// several threads can share one (device/wasmPool.ts).
import { axpy, dot, dot4, exp4, exp1 } from './math';

export function attentionForward(
  qkv: usize, y: usize, probs: usize, mask: usize, B: i32, T: i32, C: i32, nh: i32, scale: f32, causal: i32, start: i32, end: i32
): void {
  const hs = C / nh;
  const row = <usize>(3 * C) << 2; // bytes from one token's qkv to the next
  for (let pair = start; pair < end; pair++) {
    const b = pair / nh;
    const h = pair % nh;
    const base = qkv + <usize>(b * T) * row;
    const qOff = <usize>(h * hs) << 2;
    const kOff = <usize>(C + h * hs) << 2;
    const vOff = <usize>(2 * C + h * hs) << 2;
    const keyMask = mask + (<usize>(b * T) << 2);
    for (let i = 0; i < T; i++) {
      const q = base + <usize>i * row + qOff;
      const p = probs + (<usize>((b * nh + h) * T + i) * <usize>T << 2);
      // scores of keys 0..n-1 (four at a time), and their max (subtracted before exp, so that exp
      // never overflows)
      const n = causal ? i + 1 : T;
      let max4 = f32x4.splat(-Infinity);
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        let s4 = f32x4.mul(dot4(q, base + <usize>j * row + kOff, row, hs), f32x4.splat(scale));
        if (mask) s4 = f32x4.add(s4, v128.load(keyMask + (<usize>j << 2)));
        v128.store(p + (<usize>j << 2), s4);
        max4 = f32x4.max(max4, s4);
      }
      let max = Mathf.max(Mathf.max(f32x4.extract_lane(max4, 0), f32x4.extract_lane(max4, 1)), Mathf.max(f32x4.extract_lane(max4, 2), f32x4.extract_lane(max4, 3)));
      for (; j < n; j++) {
        let s = dot(q, base + <usize>j * row + kOff, hs) * scale;
        if (mask) s += load<f32>(keyMask + (<usize>j << 2));
        store<f32>(p + (<usize>j << 2), s);
        if (s > max) max = s;
      }
      // softmax over keys 0..n-1; the others (future keys) get weight 0
      const m = f32x4.splat(max);
      let sum4 = f32x4.splat(0);
      j = 0;
      for (; j + 4 <= n; j += 4) {
        const e = exp4(f32x4.sub(v128.load(p + (<usize>j << 2)), m));
        v128.store(p + (<usize>j << 2), e);
        sum4 = f32x4.add(sum4, e);
      }
      let sum = f32x4.extract_lane(sum4, 0) + f32x4.extract_lane(sum4, 1) + f32x4.extract_lane(sum4, 2) + f32x4.extract_lane(sum4, 3);
      for (; j < n; j++) {
        const e = exp1(load<f32>(p + (<usize>j << 2)) - max);
        store<f32>(p + (<usize>j << 2), e);
        sum += e;
      }
      const inv: f32 = 1.0 / sum;
      for (j = 0; j < n; j++) store<f32>(p + (<usize>j << 2), load<f32>(p + (<usize>j << 2)) * inv);
      for (; j < T; j++) store<f32>(p + (<usize>j << 2), 0);
      // y_i = sum_j p_ij v_j
      const out = y + (<usize>((b * T + i) * C + h * hs) << 2);
      memory.fill(out, 0, <usize>hs << 2);
      for (j = 0; j < n; j++) axpy(out, load<f32>(p + (<usize>j << 2)), base + <usize>j * row + vOff, hs);
    }
  }
}

// Backward, for one query row i of one head (P = probs row, S = scaled scores, dy = grad of y_i):
//   dP_j   = dy . v_j                      (y_i = sum_j P_j v_j)
//   dS_j   = P_j (dP_j - sum_k P_k dP_k)   (the softmax Jacobian)
//   dq_i  += scale sum_j dS_j k_j;  dk_j += scale dS_j q_i;  dv_j += P_j dy
// `scratch` holds one row of T floats for each thread; this call uses row `thread`.
// (A masked key has P_j = 0, so it gets no gradient: the mask itself is not needed here.)
export function attentionBackward(
  qkv: usize, probs: usize, dy: usize, dqkv: usize, scratch: usize, B: i32, T: i32, C: i32, nh: i32, scale: f32, causal: i32,
  start: i32, end: i32, thread: i32
): void {
  const hs = C / nh;
  const row = <usize>(3 * C) << 2;
  scratch += <usize>(thread * T) << 2;
  for (let pair = start; pair < end; pair++) {
    const b = pair / nh;
    const h = pair % nh;
    const base = qkv + <usize>(b * T) * row;
    const dbase = dqkv + <usize>(b * T) * row;
    const qOff = <usize>(h * hs) << 2;
    const kOff = <usize>(C + h * hs) << 2;
    const vOff = <usize>(2 * C + h * hs) << 2;
    // this pair's gradients start at zero (its channels of dqkv are written by no other pair)
    for (let t = 0; t < T; t++) {
      memory.fill(dbase + <usize>t * row + qOff, 0, <usize>hs << 2);
      memory.fill(dbase + <usize>t * row + kOff, 0, <usize>hs << 2);
      memory.fill(dbase + <usize>t * row + vOff, 0, <usize>hs << 2);
    }
    for (let i = 0; i < T; i++) {
      const p = probs + (<usize>((b * nh + h) * T + i) * <usize>T << 2);
      const g = dy + (<usize>((b * T + i) * C + h * hs) << 2);
      const n = causal ? i + 1 : T; // the keys query i reads
      let rowDot4 = f32x4.splat(0);
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const dp4 = dot4(g, base + <usize>j * row + vOff, row, hs);
        v128.store(scratch + (<usize>j << 2), dp4);
        rowDot4 = f32x4.add(rowDot4, f32x4.mul(v128.load(p + (<usize>j << 2)), dp4));
      }
      let rowDot = f32x4.extract_lane(rowDot4, 0) + f32x4.extract_lane(rowDot4, 1) + f32x4.extract_lane(rowDot4, 2) + f32x4.extract_lane(rowDot4, 3);
      for (; j < n; j++) {
        const dp = dot(g, base + <usize>j * row + vOff, hs);
        store<f32>(scratch + (<usize>j << 2), dp);
        rowDot += load<f32>(p + (<usize>j << 2)) * dp;
      }
      const q = base + <usize>i * row + qOff;
      const dq = dbase + <usize>i * row + qOff;
      for (j = 0; j < n; j++) {
        const pj = load<f32>(p + (<usize>j << 2));
        const ds = pj * (load<f32>(scratch + (<usize>j << 2)) - rowDot) * scale;
        const kj = <usize>j * row + kOff;
        axpy(dq, ds, base + kj, hs);
        axpy(dbase + kj, ds, q, hs);
        axpy(dbase + <usize>j * row + vOff, pj, g, hs);
      }
    }
  }
}
