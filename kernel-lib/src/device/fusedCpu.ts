/**
 * The fused kernels of device/fused.ts for the cpu backend, in plain JavaScript loops.
 *
 * The cpu backend is what runs where WebAssembly does not. Its generic kernels make a new array per
 * tensor operation and walk it with generic index arithmetic; a loop written for one job runs many
 * times faster. The same math as the AssemblyScript kernels (kernel-lib/assembly/), one scalar at a
 * time. A faster matrix product and bias-gradient sum are here too (tfjs-backend-cpu's were the
 * largest costs of a step).
 * With `fused.enabled = false` the cpu backend runs tfjs's own kernels: the conformance suite's
 * reference.
 */
import * as tf from '@tensorflow/tfjs';
import { leadingSum } from './leadingSum';

type TensorInfo = tf.TensorInfo;

interface CpuBackend {
  data: { get(dataId: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

type Args = { inputs: Record<string, TensorInfo>; backend: CpuBackend; attrs: Record<string, number> };

const read = (backend: CpuBackend, t: TensorInfo) => backend.data.get(t.dataId).values as Float32Array;
const make = (backend: CpuBackend, shape: number[], values: Float32Array) => backend.makeTensorInfo(shape, 'float32', values);

// ------------------------------------------------------------------------------ attention
// qkv (B, T, 3C): q in channels [0, C), k in [C, 2C), v in [2C, 3C); head h owns [h hs, (h+1) hs).
// Query i reads keys 0..last(i): 0..i when causal (attrs.causal = 1), else all T. An optional
// additive key mask (B, 1, 1, T) (nn/attention.ts paddingMask) is added to every query's scores.

const lastKey = (causal: number, i: number, T: number) => (causal ? i : T - 1);

function attention({ inputs: { qkv, mask }, backend, attrs: { nHead, causal } }: Args): TensorInfo[] {
  const [B, T, C3] = qkv.shape;
  const C = C3 / 3;
  const hs = C / nHead;
  const scale = 1 / Math.sqrt(hs);
  const x = read(backend, qkv);
  const m = mask && read(backend, mask);
  const y = new Float32Array(B * T * C);
  const probs = new Float32Array(B * nHead * T * T); // zeros after the last key a query reads
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nHead; h++) {
      for (let i = 0; i < T; i++) {
        const q = (b * T + i) * C3 + h * hs;
        const row = ((b * nHead + h) * T + i) * T;
        const last = lastKey(causal, i, T);
        let max = -Infinity;
        for (let j = 0; j <= last; j++) {
          const k = (b * T + j) * C3 + C + h * hs;
          let s = 0;
          for (let d = 0; d < hs; d++) s += x[q + d] * x[k + d];
          s *= scale;
          if (m) s += m[b * T + j];
          probs[row + j] = s;
          max = Math.max(max, s);
        }
        let sum = 0;
        for (let j = 0; j <= last; j++) sum += probs[row + j] = Math.exp(probs[row + j] - max);
        const out = (b * T + i) * C + h * hs;
        for (let j = 0; j <= last; j++) {
          const p = (probs[row + j] /= sum);
          const v = (b * T + j) * C3 + 2 * C + h * hs;
          for (let d = 0; d < hs; d++) y[out + d] += p * x[v + d];
        }
      }
    }
  }
  return [make(backend, [B, T, C], y), make(backend, [B, nHead, T, T], probs)];
}

// Per query row: dP_j = dy . v_j;  dS_j = P_j (dP_j - sum_k P_k dP_k) scale;
// dq += dS_j k_j;  dk_j += dS_j q;  dv_j += P_j dy  (a masked key has P_j = 0: no gradient)
function attentionGrad({ inputs: { dy, qkv, probs }, backend, attrs: { nHead, causal } }: Args): TensorInfo {
  const [B, T, C3] = qkv.shape;
  const C = C3 / 3;
  const hs = C / nHead;
  const scale = 1 / Math.sqrt(hs);
  const x = read(backend, qkv);
  const P = read(backend, probs);
  const g = read(backend, dy);
  const dx = new Float32Array(B * T * C3);
  const dP = new Float32Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nHead; h++) {
      for (let i = 0; i < T; i++) {
        const row = ((b * nHead + h) * T + i) * T;
        const gi = (b * T + i) * C + h * hs;
        const last = lastKey(causal, i, T);
        let rowDot = 0;
        for (let j = 0; j <= last; j++) {
          const v = (b * T + j) * C3 + 2 * C + h * hs;
          let s = 0;
          for (let d = 0; d < hs; d++) s += g[gi + d] * x[v + d];
          dP[j] = s;
          rowDot += P[row + j] * s;
        }
        const q = (b * T + i) * C3 + h * hs;
        for (let j = 0; j <= last; j++) {
          const p = P[row + j];
          const ds = p * (dP[j] - rowDot) * scale;
          const k = (b * T + j) * C3 + C + h * hs;
          const v = k + C;
          for (let d = 0; d < hs; d++) {
            dx[q + d] += ds * x[k + d];
            dx[k + d] += ds * x[q + d];
            dx[v + d] += p * g[gi + d];
          }
        }
      }
    }
  }
  return make(backend, qkv.shape, dx);
}

// ------------------------------------------------------------------------------ GELU
const K = Math.sqrt(2 / Math.PI);
const A = 0.044715;

/** tanh through one exp (Math.tanh is several times slower here); exact enough for float32. */
function tanh(u: number): number {
  const e = Math.exp(2 * Math.max(-15, Math.min(15, u)));
  return 1 - 2 / (e + 1);
}

function gelu({ inputs: { x }, backend }: Args): TensorInfo {
  const v = read(backend, x);
  const y = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const a = v[i];
    y[i] = 0.5 * a * (1 + tanh(K * (a + A * a * a * a)));
  }
  return make(backend, x.shape, y);
}

function geluGrad({ inputs: { x, dy }, backend }: Args): TensorInfo {
  const v = read(backend, x);
  const g = read(backend, dy);
  const dx = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const a = v[i];
    const t = tanh(K * (a + A * a * a * a));
    dx[i] = g[i] * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * K * (1 + 3 * A * a * a));
  }
  return make(backend, x.shape, dx);
}

// ------------------------------------------------------------------------------ LayerNorm
function layerNorm({ inputs: { x, gamma, beta }, backend, attrs: { eps } }: Args): TensorInfo[] {
  const v = read(backend, x);
  const gm = read(backend, gamma);
  const bt = read(backend, beta);
  const C = x.shape[x.shape.length - 1];
  const N = v.length / C;
  const y = new Float32Array(v.length);
  const mean = new Float32Array(N);
  const rstd = new Float32Array(N);
  for (let r = 0; r < N; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += v[r * C + c];
    const m = s / C;
    let q = 0;
    for (let c = 0; c < C; c++) q += (v[r * C + c] - m) ** 2;
    const k = 1 / Math.sqrt(q / C + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = (v[r * C + c] - m) * k * gm[c] + bt[c];
    mean[r] = m;
    rstd[r] = k;
  }
  return [make(backend, x.shape, y), make(backend, [N], mean), make(backend, [N], rstd)];
}

// dx = rstd (g - mean(g) - xhat mean(g xhat)), g = dy gamma;  dgamma = sum dy xhat;  dbeta = sum dy
function layerNormGrad({ inputs: { dy, x, gamma, mean, rstd }, backend }: Args): TensorInfo[] {
  const g = read(backend, dy);
  const v = read(backend, x);
  const gm = read(backend, gamma);
  const mu = read(backend, mean);
  const rs = read(backend, rstd);
  const C = x.shape[x.shape.length - 1];
  const N = v.length / C;
  const dx = new Float32Array(v.length);
  const dgamma = new Float32Array(C);
  const dbeta = new Float32Array(C);
  for (let r = 0; r < N; r++) {
    let sg = 0;
    let sgx = 0;
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      const xhat = (v[i] - mu[r]) * rs[r];
      sg += g[i] * gm[c];
      sgx += g[i] * gm[c] * xhat;
      dgamma[c] += g[i] * xhat;
      dbeta[c] += g[i];
    }
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      dx[i] = rs[r] * (g[i] * gm[c] - sg / C - (v[i] - mu[r]) * rs[r] * (sgx / C));
    }
  }
  return [make(backend, x.shape, dx), make(backend, [C], dgamma), make(backend, [C], dbeta)];
}

// ------------------------------------------------------------------------------ cross-entropy
/** log sum_j e^z_j of row r, with the max subtracted first. */
function logSumExp(z: Float32Array, r: number, V: number): number {
  let max = -Infinity;
  for (let j = 0; j < V; j++) max = Math.max(max, z[r * V + j]);
  let s = 0;
  for (let j = 0; j < V; j++) s += Math.exp(z[r * V + j] - max);
  return max + Math.log(s);
}

/**
 * The rows that have a target: a negative target marks a row without loss (padding, a prompt
 * token); one at V or beyond is an error, named with its row.
 */
function countTargets(t: Float32Array, V: number): number {
  let count = 0;
  for (let r = 0; r < t.length; r++) {
    if (t[r] >= V) throw new Error(`cross-entropy: target ${t[r]} (row ${r}) is outside the vocabulary [0, ${V - 1}]`);
    if (t[r] >= 0) count++;
  }
  return count;
}

// The mean over the rows with a target (0 when none has one); with every row counted, that is
// the plain mean, in the same operations.
function crossEntropy({ inputs: { logits, targets }, backend }: Args): TensorInfo {
  const z = read(backend, logits);
  const t = read(backend, targets);
  const V = logits.shape[1];
  const count = countTargets(t, V);
  let total = 0;
  for (let r = 0; r < t.length; r++) if (t[r] >= 0) total += logSumExp(z, r, V) - z[r * V + t[r]];
  return make(backend, [], Float32Array.of(count === 0 ? 0 : total / count));
}

// (softmax - onehot(target)) dLoss / count on the rows with a target; 0 on the others
function crossEntropyGrad({ inputs: { dy, logits, targets }, backend }: Args): TensorInfo {
  const z = read(backend, logits);
  const t = read(backend, targets);
  const [N, V] = logits.shape;
  const k = read(backend, dy)[0] / countTargets(t, V);
  const d = new Float32Array(N * V);
  for (let r = 0; r < N; r++) {
    if (t[r] < 0) continue;
    const lse = logSumExp(z, r, V);
    for (let j = 0; j < V; j++) d[r * V + j] = Math.exp(z[r * V + j] - lse) * k;
    d[r * V + t[r]] -= k;
  }
  return make(backend, logits.shape, d);
}

// ------------------------------------------------------------------------------ AdamW
function adamw({ inputs: { p, g, m, v }, backend, attrs: a }: Args): TensorInfo[] {
  const [P, G, M, S] = [p, g, m, v].map(t => read(backend, t));
  const [p2, m2, v2] = [0, 1, 2].map(() => new Float32Array(P.length));
  for (let i = 0; i < P.length; i++) {
    const gi = a.gradScale * G[i];
    m2[i] = a.beta1 * M[i] + (1 - a.beta1) * gi;
    v2[i] = a.beta2 * S[i] + (1 - a.beta2) * gi * gi;
    p2[i] = P[i] - a.lr * (m2[i] / a.c1 / (Math.sqrt(v2[i] / a.c2) + a.eps) + a.weightDecay * P[i]);
  }
  return [make(backend, p.shape, p2), make(backend, p.shape, m2), make(backend, p.shape, v2)];
}

const k = (kernelName: string, f: (a: Args) => TensorInfo | TensorInfo[]) => ({ kernelName, backendName: 'cpu', kernelFunc: f as unknown as tf.KernelFunc });

export const CPU_KERNELS: tf.KernelConfig[] = [
  k('LlmLabAttention', attention),
  k('LlmLabAttentionGrad', attentionGrad),
  k('LlmLabGelu', gelu),
  k('LlmLabGeluGrad', geluGrad),
  k('LlmLabLayerNorm', layerNorm),
  k('LlmLabLayerNormGrad', layerNormGrad),
  k('LlmLabCrossEntropy', crossEntropy),
  k('LlmLabCrossEntropyGrad', crossEntropyGrad),
  k('LlmLabAdamW', adamw)
];

// ------------------------------------------------------------------------------ bias gradients
/** Sums over leading axes (a bias's gradient); null for other reductions. */
export function cpuSumLeading({ inputs: { x }, backend, attrs }: Args): TensorInfo | null {
  const sum = leadingSum(x, attrs);
  if (!sum) return null;
  const v = read(backend, x);
  const out = new Float32Array(sum.C);
  for (let r = 0; r < sum.N; r++) for (let c = 0; c < sum.C; c++) out[c] += v[r * sum.C + c];
  return make(backend, sum.shape, out);
}

// ------------------------------------------------------------------------------ matrix product
/**
 * C = A B for the cpu backend, batched, with the transposes done first: then the inner loop runs
 * along a row of B and a row of C, both contiguous (the order i, k, j). Returns null for what it
 * does not handle (batch shapes that differ), and tfjs's own kernel runs.
 */
export function cpuMatMul({ inputs: { a, b }, backend, attrs }: Args): TensorInfo | null {
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = tf.util.sizeFromShape(batchA);
  const sameBatch = batchA.join() === batchB.join();
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || (!sameBatch && batchB.length > 0)) return null;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const A = read(backend, a);
  const B = read(backend, b);
  const out = new Float32Array(batch * M * N);
  const rowA = new Float32Array(K);
  const Bt = transposeB ? new Float32Array(K * N) : null;
  for (let n = 0; n < batch; n++) {
    const aOff = n * M * K;
    const bOff = sameBatch ? n * K * N : 0;
    if (Bt && (sameBatch || n === 0)) for (let kk = 0; kk < K; kk++) for (let j = 0; j < N; j++) Bt[kk * N + j] = B[bOff + j * K + kk];
    const Bk = Bt ?? B;
    const bBase = Bt ? 0 : bOff;
    for (let i = 0; i < M; i++) {
      for (let kk = 0; kk < K; kk++) rowA[kk] = transposeA ? A[aOff + kk * M + i] : A[aOff + i * K + kk];
      const c = n * M * N + i * N;
      for (let kk = 0; kk < K; kk++) {
        const aik = rowA[kk];
        const bRow = bBase + kk * N;
        let j = 0;
        for (; j + 4 <= N; j += 4) {
          // four at a time: fewer loop checks for V8's optimizer
          out[c + j] += aik * Bk[bRow + j];
          out[c + j + 1] += aik * Bk[bRow + j + 1];
          out[c + j + 2] += aik * Bk[bRow + j + 2];
          out[c + j + 3] += aik * Bk[bRow + j + 3];
        }
        for (; j < N; j++) out[c + j] += aik * Bk[bRow + j];
      }
    }
  }
  return make(backend, [...batchA, M, N], out);
}
