// Matrix products with few rows (M), as in generation: one new token at a time (M = batch).
//
// tfjs hands every product to XNNPACK, which is fast for the big products of training. For a
// product of one row it costs more to set up than to do (34 us for (1, 160) x (160, 480) here),
// and with several threads far more (171 us: waking the other threads for 77k multiply-adds).
// These two loops do such products on the calling thread:
//   matMulRows:  out (M, N) = a (M, K) b (K, N):   row m of out is the sum over k of a[m, k] b[k, :]
//   matMulRowsT: out (M, N) = a (M, K) b^T, b (N, K): out[m, n] = a[m, :] . b[n, :]
// both four floats at a time, with a scalar loop for the last N % 4 (or K % 4).
import { hsum } from './math';

export function matMulRows(a: usize, b: usize, out: usize, M: i32, K: i32, N: i32): void {
  const rowBytes = <usize>N << 2;
  for (let m = 0; m < M; m++) {
    const o = out + <usize>m * rowBytes;
    const am = a + (<usize>(m * K) << 2);
    memory.fill(o, 0, rowBytes);
    for (let k = 0; k < K; k++) {
      const s = load<f32>(am + (<usize>k << 2));
      const bk = b + <usize>k * rowBytes;
      const s4 = f32x4.splat(s);
      let n = 0;
      for (; n + 4 <= N; n += 4) {
        const p = <usize>n << 2;
        v128.store(o + p, f32x4.add(v128.load(o + p), f32x4.mul(s4, v128.load(bk + p))));
      }
      for (; n < N; n++) {
        const p = <usize>n << 2;
        store<f32>(o + p, load<f32>(o + p) + s * load<f32>(bk + p));
      }
    }
  }
}

export function matMulRowsT(a: usize, b: usize, out: usize, M: i32, K: i32, N: i32): void {
  for (let m = 0; m < M; m++) {
    const am = a + (<usize>(m * K) << 2);
    for (let n = 0; n < N; n++) {
      const bn = b + (<usize>(n * K) << 2);
      let acc = f32x4.splat(0);
      let k = 0;
      for (; k + 4 <= K; k += 4) {
        const p = <usize>k << 2;
        acc = f32x4.add(acc, f32x4.mul(v128.load(am + p), v128.load(bn + p)));
      }
      let s = hsum(acc);
      for (; k < K; k++) s += load<f32>(am + (<usize>k << 2)) * load<f32>(bn + (<usize>k << 2));
      store<f32>(out + (<usize>(m * N + n) << 2), s);
    }
  }
}
