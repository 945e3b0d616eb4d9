/**
 * The fused kernels of device/fused.ts for the webgpu backend, written in WGSL.
 *
 * On a GPU the cost of a training step of a small model is mostly not arithmetic but the number
 * of kernels: each tensor operation is a separate dispatch that JavaScript prepares (on an H200,
 * ~35 us of Dawn calls each before bind groups were reused, against a few us of GPU work). One
 * fused kernel replaces a dozen. The programs read like the math in their comments: one GPU thread
 * per output value, or, where a row or a column needs its own sum or maximum first, one workgroup
 * per row (rowProgram) or per column (columnSum) whose threads share the work and then combine
 * their partial results. tfjs-backend-webgpu wraps the code with the buffer declarations: inputs
 * are arrays named after `variableNames`, the output is `result`, and `uniforms` holds the sizes.
 * (bench/results/h200-NOTES.md has the measurements.)
 */
import * as tf from '@tensorflow/tfjs';
import { leadingSum } from './leadingSum';
import { columnSum, dispose, float, int, onSoftwareAdapter, program, rowProgram, run, runRows, type Program, type WebgpuBackend } from './webgpuPrograms';

type TensorInfo = tf.TensorInfo;

// GELU's tanh approximation: K = sqrt(2/pi), A = 0.044715 (see nn/mlp.ts).
const GELU = `
  const K : f32 = 0.7978845608028654;
  const A : f32 = 0.044715;
  fn tanhApprox(u : f32) -> f32 {
    let e = exp(2.0 * clamp(u, -15.0, 15.0));
    return 1.0 - 2.0 / (e + 1.0);
  }`;

// ------------------------------------------------------------------------------ attention
// qkv (B, T, 3C): q in channels [0, C), k in [C, 2C), v in [2C, 3C); head h owns [h hs, (h+1) hs).
// Query i reads keys 0..i when causal, all T keys when not; an additive key mask (B, 1, 1, T)
// (paddingMask) is added to every query's scores. Both are written into the program's code, so
// each kind of call has its own shader.
const ATTN_UNIFORMS = 'T : i32, C : i32, hs : i32, nh : i32, scale : f32,';

/**
 * The programs read qkv and dy as vectors V of W numbers, and vdot multiplies two of them: on a
 * software adapter, where each load costs more than the arithmetic, W = 4 (vec4) when the head
 * size allows; else W = 1 (V is f32). Indices into them count vectors: a channel index / W.
 */
function vectors(hs: number): { W: number; code: string } {
  const W = onSoftwareAdapter() && hs % 4 === 0 ? 4 : 1;
  return {
    W,
    code: W === 4
      ? 'const W : i32 = 4; alias V = vec4<f32>; fn vdot(a : V, b : V) -> f32 { return dot(a, b); }'
      : 'const W : i32 = 1; alias V = f32; fn vdot(a : V, b : V) -> f32 { return a * b; }'
  };
}

/** `p` reading its inputs with the given numbers per element (1 or W), writing `out` per element. */
const withVectors = (p: Program, inputs: number[], out = 1): Program => ({ ...p, shaderKey: `${p.shaderKey}_v${inputs.join('')}${out}`, variableComponents: inputs, outputComponent: out });

/** Which keys a query reads, as WGSL: the last key of query `i`, the first query that reads key `j`; and the shader's name. */
function reading(causal: boolean, masked: boolean) {
  return {
    lastKey: (i: string) => (causal ? i : '(T - 1)'),
    firstQuery: (j: string) => (causal ? j : '0'),
    name: (base: string) => `${base}${causal ? '' : '_all'}${masked ? '_masked' : ''}`
  };
}

function attention(backend: WebgpuBackend, qkv: TensorInfo, mask: TensorInfo | undefined, nHead: number, causal: boolean): TensorInfo[] {
  const [B, T, C3] = qkv.shape;
  const C = C3 / 3;
  const hs = C / nHead;
  const u = [int(T, C, hs, nHead), float(1 / Math.sqrt(hs))];
  const { W, code } = vectors(hs);
  const { lastKey, name } = reading(causal, mask !== undefined);
  // a workgroup per query row (b, h, i): scores of the keys it reads, softmax, zeros for the others
  const rows = B * nHead * T;
  const probs = runRows(backend, withVectors(rowProgram(name('attn_probs'), mask ? ['qkv', 'mask'] : ['qkv'], [B, nHead, T, T], rows, ATTN_UNIFORMS, `
    let T = uniforms.T; let C = uniforms.C; let hs = uniforms.hs;
    let i = row % T; let h = (row / T) % uniforms.nh; let b = row / (T * uniforms.nh);
    let qBase = ((b * T + i) * 3 * C + h * hs) / W;
    let out = row * T;
    let last = select(-1, ${lastKey('i')}, valid); // the last key this row reads
    var m = -3.4e38;
    for (var j = lane; j <= last; j += LANES) {
      let kBase = ((b * T + j) * 3 * C + C + h * hs) / W;
      var s = 0.0;
      for (var d = 0; d < hs / W; d++) { s += vdot(qkv[qBase + d], qkv[kBase + d]); }
      s *= uniforms.scale;${mask ? `
      s += mask[b * T + j];` : ''}
      result[out + j] = s;
      m = max(m, s);
    }
    let rowMaximum = rowMax(m, lane);
    var sum = 0.0;
    for (var j = lane; j <= last; j += LANES) { let e = exp(result[out + j] - rowMaximum); result[out + j] = e; sum += e; }
    let total = rowSum(sum, lane);
    if (valid) {
      for (var j = lane; j < T; j += LANES) { result[out + j] = select(0.0, result[out + j] / total, j <= ${lastKey('i')}); }
    }`, code), mask ? [W, 1] : [W]), mask ? [qkv, mask] : [qkv], rows, u);
  // one thread per output vector y[b, i, c .. c+W-1] = sum_j P[b, h, i, j] v[b, j, c .. c+W-1]
  const n = (B * T * C) / W;
  const y = run(backend, withVectors(program(name('attn_out'), ['qkv', 'probs'], [B, T, C], n, ATTN_UNIFORMS, `
    let T = uniforms.T; let C = uniforms.C;
    let c = (index % (C / W)) * W; let i = (index / (C / W)) % T; let b = index / (C / W * T); let h = c / uniforms.hs;
    let pRow = ((b * uniforms.nh + h) * T + i) * T;
    var y = V(0.0);
    for (var j = 0; j <= ${lastKey('i')}; j++) { y += probs[pRow + j] * qkv[((b * T + j) * 3 * C + 2 * C + c) / W]; }
    result[index] = y;`, code), [W, 1], W), [qkv, probs], n, u);
  return [y, probs];
}

function attentionGrad(backend: WebgpuBackend, dy: TensorInfo, qkv: TensorInfo, probs: TensorInfo, nHead: number, causal: boolean): TensorInfo {
  const [B, T, C3] = qkv.shape;
  const C = C3 / 3;
  const hs = C / nHead;
  const u = [int(T, C, hs, nHead), float(1 / Math.sqrt(hs))];
  const { W, code } = vectors(hs);
  // (masked keys have P = 0, hence dS = 0: the mask is not needed here)
  const { lastKey, firstQuery, name } = reading(causal, false);
  // dS = scale P (dP - rowsum(P dP)), dP_ij = dy_i . v_j : a workgroup per query row
  const rows = B * nHead * T;
  const dS = runRows(backend, withVectors(rowProgram(name('attn_ds'), ['qkv', 'probs', 'dy'], [B, nHead, T, T], rows, ATTN_UNIFORMS, `
    let T = uniforms.T; let C = uniforms.C; let hs = uniforms.hs;
    let i = row % T; let h = (row / T) % uniforms.nh; let b = row / (T * uniforms.nh);
    let gBase = ((b * T + i) * C + h * hs) / W;
    let out = row * T;
    let last = select(-1, ${lastKey('i')}, valid);
    var dot = 0.0;
    for (var j = lane; j <= last; j += LANES) {
      let vBase = ((b * T + j) * 3 * C + 2 * C + h * hs) / W;
      var dp = 0.0;
      for (var d = 0; d < hs / W; d++) { dp += vdot(dy[gBase + d], qkv[vBase + d]); }
      result[out + j] = dp;
      dot += probs[out + j] * dp;
    }
    let rowDot = rowSum(dot, lane);
    if (valid) {
      for (var j = lane; j < T; j += LANES) {
        result[out + j] = select(0.0, uniforms.scale * probs[out + j] * (result[out + j] - rowDot), j <= ${lastKey('i')});
      }
    }`, code), [W, 1, W]), [qkv, probs, dy], rows, u);
  // dq_t = sum_j dS_tj k_j;  dk_t = sum_i dS_it q_i;  dv_t = sum_i P_it dy_i : one thread per vector
  const n = (B * T * C3) / W;
  const dqkv = run(backend, withVectors(program(name('attn_dqkv'), ['qkv', 'probs', 'dS', 'dy'], [B, T, C3], n, ATTN_UNIFORMS, `
    let T = uniforms.T; let C = uniforms.C; let hs = uniforms.hs; let nh = uniforms.nh;
    let c3 = (index % (3 * C / W)) * W; let t = (index / (3 * C / W)) % T; let b = index / (3 * C / W * T);
    let part = c3 / C; let c = c3 % C; let h = c / hs;
    let head = (b * nh + h) * T * T;
    var g = V(0.0);
    if (part == 0) {
      for (var j = 0; j <= ${lastKey('t')}; j++) { g += dS[head + t * T + j] * qkv[((b * T + j) * 3 * C + C + c) / W]; }
    } else if (part == 1) {
      for (var i = ${firstQuery('t')}; i < T; i++) { g += dS[head + i * T + t] * qkv[((b * T + i) * 3 * C + c) / W]; }
    } else {
      for (var i = ${firstQuery('t')}; i < T; i++) { g += probs[head + i * T + t] * dy[((b * T + i) * C + c) / W]; }
    }
    result[index] = g;`, code), [W, 1, 1, W], W), [qkv, probs, dS, dy], n, u);
  dispose(backend, dS);
  return dqkv;
}

// ------------------------------------------------------------------------------ GELU
const gelu = (backend: WebgpuBackend, x: TensorInfo) => {
  const n = tf.util.sizeFromShape(x.shape);
  return run(backend, program('gelu', ['x'], x.shape, n, '', `
    let v = x[index];
    result[index] = 0.5 * v * (1.0 + tanhApprox(K * (v + A * v * v * v)));`, GELU), [x], n);
};

const geluGrad = (backend: WebgpuBackend, x: TensorInfo, dy: TensorInfo) => {
  const n = tf.util.sizeFromShape(x.shape);
  return run(backend, program('gelu_grad', ['x', 'dy'], x.shape, n, '', `
    let v = x[index];
    let t = tanhApprox(K * (v + A * v * v * v));
    let d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * K * (1.0 + 3.0 * A * v * v);
    result[index] = dy[index] * d;`, GELU), [x, dy], n);
};

// ------------------------------------------------------------------------------ LayerNorm
// x (N, C) viewed as rows. Row statistics: one thread per row; which = 0 gives the mean, 1 rstd.
function layerNorm(backend: WebgpuBackend, x: TensorInfo, gamma: TensorInfo, beta: TensorInfo, eps: number): TensorInfo[] {
  const C = x.shape[x.shape.length - 1];
  const N = tf.util.sizeFromShape(x.shape) / C;
  const stat = (which: number) =>
    run(backend, program('ln_stat', ['x'], [N], N, 'C : i32, which : i32, eps : f32,', `
      let C = uniforms.C; let base = index * C;
      var s = 0.0;
      for (var c = 0; c < C; c++) { s += x[base + c]; }
      let mean = s / f32(C);
      if (uniforms.which == 0) { result[index] = mean; return; }
      var q = 0.0;
      for (var c = 0; c < C; c++) { let d = x[base + c] - mean; q += d * d; }
      result[index] = inverseSqrt(q / f32(C) + uniforms.eps);`), [x], N, [int(C, which), float(eps)]);
  const mean = stat(0);
  const rstd = stat(1);
  const n = N * C;
  const y = run(backend, program('ln_apply', ['x', 'mean', 'rstd', 'gamma', 'beta'], x.shape, n, 'C : i32,', `
    let r = index / uniforms.C; let c = index % uniforms.C;
    result[index] = (x[index] - mean[r]) * rstd[r] * gamma[c] + beta[c];`), [x, mean, rstd, gamma, beta], n, [int(C)]);
  return [y, mean, rstd];
}

function layerNormGrad(backend: WebgpuBackend, dy: TensorInfo, x: TensorInfo, gamma: TensorInfo, mean: TensorInfo, rstd: TensorInfo): TensorInfo[] {
  const C = x.shape[x.shape.length - 1];
  const N = tf.util.sizeFromShape(x.shape) / C;
  const inputs = [dy, x, gamma, mean, rstd];
  const names = ['dy', 'x', 'gamma', 'mean', 'rstd'];
  // dx = rstd (g - mean(g) - xhat mean(g xhat)), g = dy gamma: one thread per row
  const dx = run(backend, program('ln_dx', names, x.shape, N, 'C : i32,', `
    let C = uniforms.C; let base = index * C; let m = mean[index]; let k = rstd[index];
    var sg = 0.0; var sgx = 0.0;
    for (var c = 0; c < C; c++) { let g = dy[base + c] * gamma[c]; sg += g; sgx += g * (x[base + c] - m) * k; }
    let mg = sg / f32(C); let mgx = sgx / f32(C);
    for (var c = 0; c < C; c++) {
      let g = dy[base + c] * gamma[c];
      result[base + c] = k * (g - mg - (x[base + c] - m) * k * mgx);
    }`), inputs, N, [int(C)]);
  // dgamma = sum over rows of dy xhat (which = 0), dbeta = sum of dy (which = 1), per channel
  // (WebGPU drops unused inputs from the pipeline's bindings, so each program names only what it reads)
  const param = (which: number) =>
    backend.runWebGPUProgram(columnSum('ln_dparam', ['dy', 'x', 'mean', 'rstd'], C,
      'select(dy[r * C + c], dy[r * C + c] * (x[r * C + c] - mean[r]) * rstd[r], uniforms.which == 0)'),
      [dy, x, mean, rstd], 'float32', int(C, N, which));
  return [dx, param(0), param(1)];
}

// ------------------------------------------------------------------------------ cross-entropy
// logits (N, V), targets (N,) int32. Per row: logsumexp(z) - z[target]; a negative target marks
// a row without loss or gradient, and the mean is over the rows with a target. A workgroup per
// row: `lse` is the row's log-sum-exp (every lane), from the row's maximum and sum of exponentials.
const ROW_LSE = `
    let V = uniforms.V; let base = row * V; let end = select(0, V, valid);
    var m = -3.4e38;
    for (var j = lane; j < end; j += LANES) { m = max(m, logits[base + j]); }
    let rowMaximum = rowMax(m, lane);
    var s = 0.0;
    for (var j = lane; j < end; j += LANES) { s += exp(logits[base + j] - rowMaximum); }
    let lse = rowMaximum + log(rowSum(s, lane));`;

/** A one-workgroup program's body: `count`, the number of targets >= 0 (as f32, exact), in every lane. */
const COUNT_TARGETS = `
    let rows = select(0, uniforms.N, valid);
    var c = 0.0;
    for (var r = lane; r < rows; r += LANES) { c += select(0.0, 1.0, targets[r] >= 0); }
    let count = rowSum(c, lane);`;

function crossEntropy(backend: WebgpuBackend, logits: TensorInfo, targets: TensorInfo): TensorInfo {
  const [N, V] = logits.shape;
  const rowLoss = runRows(backend, rowProgram('ce_rows', ['logits', 'targets'], [N], N, 'V : i32,', `${ROW_LSE}
    let t = targets[row];
    if (valid && lane == 0) { result[row] = select(0.0, lse - logits[base + max(t, 0)], t >= 0); }`), [logits, targets], N, [int(V)]);
  // the mean: one workgroup, its threads striding down the rows (with every row counted, count is
  // N exactly, and this is the plain mean)
  const loss = runRows(backend, rowProgram('ce_mean', ['rowLoss', 'targets'], [], 1, 'N : i32,', `${COUNT_TARGETS}
    var s = 0.0;
    for (var r = lane; r < rows; r += LANES) { s += rowLoss[r]; }
    let total = rowSum(s, lane);
    if (valid && lane == 0) { result[0] = select(0.0, total / count, count > 0.0); }`), [rowLoss, targets], 1, [int(N)]);
  dispose(backend, rowLoss);
  return loss;
}

function crossEntropyGrad(backend: WebgpuBackend, dy: TensorInfo, logits: TensorInfo, targets: TensorInfo): TensorInfo {
  const [N, V] = logits.shape;
  const lse = runRows(backend, rowProgram('ce_lse', ['logits'], [N], N, 'V : i32,', `${ROW_LSE}
    if (valid && lane == 0) { result[row] = lse; }`), [logits], N, [int(V)]);
  const count = runRows(backend, rowProgram('ce_count', ['targets'], [1], 1, 'N : i32,', `${COUNT_TARGETS}
    if (valid && lane == 0) { result[0] = count; }`), [targets], 1, [int(N)]);
  // (softmax - onehot(target)) dy / count : one thread per logit; 0 on rows without a target.
  // With every row counted the factor is invN, 1 / N rounded once from float64 (WGSL's 1.0 / x
  // may be off in the last bit): the plain mean's gradient, whatever the GPU.
  const d = run(backend, program('ce_grad', ['logits', 'targets', 'lse', 'dy', 'count'], [N, V], N * V, 'V : i32, N : i32, invN : f32,', `
    let r = index / uniforms.V; let j = index % uniforms.V;
    let t = targets[r];
    var g = exp(logits[index] - lse[r]);
    if (j == t) { g -= 1.0; }
    let perRow = select(1.0 / count[0], uniforms.invN, count[0] == f32(uniforms.N));
    result[index] = select(0.0, g * dy[0] * perRow, t >= 0);`), [logits, targets, lse, dy, count], N * V, [int(V, N), float(1 / N)]);
  dispose(backend, lse, count);
  return d;
}

// ------------------------------------------------------------------------------ AdamW
// Three outputs, three dispatches (tfjs programs write one tensor); which = 0: p', 1: m', 2: v'.
function adamw(backend: WebgpuBackend, p: TensorInfo, g: TensorInfo, m: TensorInfo, v: TensorInfo, a: Record<string, number>): TensorInfo[] {
  const n = tf.util.sizeFromShape(p.shape);
  const step = (which: number) =>
    run(backend, program('adamw', ['p', 'g', 'm', 'v'], p.shape, n, 'which : i32, lr : f32, b1 : f32, b2 : f32, c1 : f32, c2 : f32, eps : f32, wd : f32, gs : f32,', `
      let gi = uniforms.gs * g[index];
      let m2 = uniforms.b1 * m[index] + (1.0 - uniforms.b1) * gi;
      let v2 = uniforms.b2 * v[index] + (1.0 - uniforms.b2) * gi * gi;
      if (uniforms.which == 1) { result[index] = m2; return; }
      if (uniforms.which == 2) { result[index] = v2; return; }
      let update = (m2 / uniforms.c1) / (sqrt(v2 / uniforms.c2) + uniforms.eps) + uniforms.wd * p[index];
      result[index] = p[index] - uniforms.lr * update;`), [p, g, m, v], n, [int(which), float(a.lr, a.beta1, a.beta2, a.c1, a.c2, a.eps, a.weightDecay, a.gradScale)]);
  return [step(0), step(1), step(2)];
}

// ------------------------------------------------------------------------------ gradient norm
/** Gradients read by one LlmLabSumSquares dispatch: with the running total and the output, 8 buffers, WebGPU's least limit. */
export const SUM_SQUARES_INPUTS = 6;
/** The running total is this many partial sums, one per workgroup (added up at the end). */
export const SUM_SQUARES_PARTS = 64;
const SUM_SQUARES_THREADS = 256;

/**
 * total + the sums of the squares of every entry of x0, x1, ... (gradient clipping's global norm,
 * squared), as SUM_SQUARES_PARTS partial sums: workgroup w's threads take every
 * (PARTS * THREADS)-th entry from their own start, add theirs up pairwise, and add it to total[w].
 * Replaces a Square, a Sum and an Add per gradient. (One workgroup alone took ~2 ms for the base
 * model's 1.4M weights on an H200, right before the step waits for the device.)
 */
function sumSquares(backend: WebgpuBackend, inputs: Record<string, TensorInfo>): TensorInfo {
  const names = Object.keys(inputs).filter(n => n !== 'total').sort();
  const stride = SUM_SQUARES_PARTS * SUM_SQUARES_THREADS;
  const loops = names.map((n, i) => `for (var i = start; i < uniforms.n${i}; i += ${stride}) { let v = ${n}[i]; s += v * v; }`);
  const program: Program = {
    variableNames: ['total', ...names],
    outputShape: [SUM_SQUARES_PARTS],
    shaderKey: `llmlab_sumsq_${names.length}`,
    dispatchLayout: { x: [0] },
    dispatch: [SUM_SQUARES_PARTS, 1, 1],
    workgroupSize: [SUM_SQUARES_THREADS, 1, 1],
    uniforms: names.map((_, i) => `n${i} : i32,`).join(' '),
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${SUM_SQUARES_THREADS}>;
      fn main(index : i32) {
        let lane = i32(localIndex);
        let part = i32(workgroupId.x);
        let start = part * ${SUM_SQUARES_THREADS} + lane;
        var s = 0.0;
        ${loops.join('\n        ')}
        partial[lane] = s;
        workgroupBarrier();
        for (var half = ${SUM_SQUARES_THREADS / 2}; half > 0; half /= 2) {
          if (lane < half) { partial[lane] += partial[lane + half]; }
          workgroupBarrier();
        }
        if (lane == 0) { result[part] = total[part] + partial[0]; }
      }`
  };
  return backend.runWebGPUProgram(program, [inputs.total, ...names.map(n => inputs[n])], 'float32', int(...names.map(n => tf.util.sizeFromShape(inputs[n].shape))));
}

// ------------------------------------------------------------------------------ bias gradients
/**
 * Sum over leading axes (a bias's gradient, over every token), as a column sum. tfjs transposes
 * first and then reduces; null for other reductions.
 */
export function webgpuSumLeading({ inputs: { x }, backend, attrs }: Args): TensorInfo | null {
  const sum = leadingSum(x, attrs);
  if (!sum || sum.C > 65535) return null; // one workgroup per kept value
  return backend.runWebGPUProgram(columnSum('sum_rows', ['x'], sum.C, 'x[r * C + c]', sum.shape), [x], 'float32', int(sum.C, sum.N, 0));
}

// ------------------------------------------------------------------------------ registration
type Args = { inputs: Record<string, TensorInfo>; backend: WebgpuBackend; attrs: Record<string, number> };
const k = (kernelName: string, f: (a: Args) => TensorInfo | TensorInfo[]) => ({ kernelName, backendName: 'webgpu', kernelFunc: f as unknown as tf.KernelFunc });

export const WEBGPU_KERNELS: tf.KernelConfig[] = [
  k('LlmLabAttention', ({ inputs: { qkv, mask }, backend, attrs }) => attention(backend, qkv, mask, attrs.nHead, attrs.causal !== 0)),
  k('LlmLabAttentionGrad', ({ inputs: { dy, qkv, probs }, backend, attrs }) => attentionGrad(backend, dy, qkv, probs, attrs.nHead, attrs.causal !== 0)),
  k('LlmLabGelu', ({ inputs: { x }, backend }) => gelu(backend, x)),
  k('LlmLabGeluGrad', ({ inputs: { x, dy }, backend }) => geluGrad(backend, x, dy)),
  k('LlmLabLayerNorm', ({ inputs: { x, gamma, beta }, backend, attrs }) => layerNorm(backend, x, gamma, beta, attrs.eps)),
  k('LlmLabLayerNormGrad', ({ inputs: { dy, x, gamma, mean, rstd }, backend }) => layerNormGrad(backend, dy, x, gamma, mean, rstd)),
  k('LlmLabCrossEntropy', ({ inputs: { logits, targets }, backend }) => crossEntropy(backend, logits, targets)),
  k('LlmLabCrossEntropyGrad', ({ inputs: { dy, logits, targets }, backend }) => crossEntropyGrad(backend, dy, logits, targets)),
  k('LlmLabAdamW', ({ inputs: { p, g, m, v }, backend, attrs }) => adamw(backend, p, g, m, v, attrs)),
  k('LlmLabSumSquares', ({ inputs, backend }) => sumSquares(backend, inputs))
];
