/**
 * Exercise checks: run a learner's own implementation of a block against the library's on random
 * inputs of several shapes, and show which shapes pass, the largest error, and a hint.
 *
 *   await lab.check.attention((q, k, v, mask) => { ...your code... });
 *
 * The learner's function gets plain tfjs tensors and returns one; errors it throws (a wrong shape,
 * a typo) are caught and shown as the result of that case, so a failing exercise never breaks the
 * notebook.
 */
import * as tf from '@tensorflow/tfjs';
import { causalMask, scaledDotProductAttention } from './nn/attention';
import { layerNorm } from './nn/layerNorm';
import { gelu } from './nn/mlp';
import { seededRandom } from './random';
import { display, MimeBundle } from './viz/display';
import { escapeXml } from './viz/svg';

export interface CheckCase {
  /** The input shapes of this case, e.g. "q, k, v [2, 3, 5, 4]". */
  shapes: string;
  passed: boolean;
  /** Largest |yours - reference|, or null when yours failed to run or had another shape. */
  maxError: number | null;
  problem?: string;
}

export interface CheckResult {
  name: string;
  passed: boolean;
  cases: CheckCase[];
  hint: string;
}

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

interface Exercise {
  name: string;
  /** Input shapes per case. */
  cases: number[][][];
  reference: Fn;
  /** Extra inputs made from the shapes (e.g. the mask), appended after the random ones. */
  extra?: (shapes: number[][]) => tf.Tensor[];
  hint: string;
}

const TOLERANCE = 1e-4;

async function runExercise(ex: Exercise, yours: Fn): Promise<CheckResult> {
  if (typeof yours !== 'function') throw new Error(`check.${ex.name}: pass your function, got ${typeof yours}`);
  const random = seededRandom(42);
  const cases: CheckCase[] = [];
  for (const shapes of ex.cases) {
    const label = shapes.map(s => `[${s.join(', ')}]`).join(', ');
    const inputs = shapes.map(s => tf.tensor(Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1), s));
    const all = [...inputs, ...(ex.extra?.(shapes) ?? [])];
    const expected = tf.tidy(() => ex.reference(...all));
    let result: CheckCase;
    try {
      const got = tf.tidy(() => yours(...all));
      if (!(got instanceof tf.Tensor)) {
        result = { shapes: label, passed: false, maxError: null, problem: `returned ${got === undefined ? 'nothing' : typeof got}, not a tensor` };
      } else if (got.shape.join() !== expected.shape.join()) {
        result = { shapes: label, passed: false, maxError: null, problem: `shape [${got.shape}], expected [${expected.shape}]` };
        got.dispose();
      } else {
        const err = (await tf.tidy(() => got.sub(expected).abs().max()).data())[0];
        result = { shapes: label, passed: err <= TOLERANCE, maxError: err, problem: Number.isFinite(err) ? undefined : 'NaN or Infinity in the result' };
        got.dispose();
      }
    } catch (e) {
      result = { shapes: label, passed: false, maxError: null, problem: `threw: ${(e as Error).message}` };
    }
    cases.push(result);
    tf.dispose([...all, expected]);
  }
  return { name: ex.name, passed: cases.every(c => c.passed), cases, hint: ex.hint };
}

export function checkText(r: CheckResult): string {
  const lines = [`${r.passed ? 'PASS' : 'FAIL'} ${r.name}`];
  for (const c of r.cases) {
    lines.push(`  ${c.passed ? 'ok  ' : 'fail'} ${c.shapes}${c.maxError !== null ? `  max error ${c.maxError.toExponential(1)}` : ''}${c.problem ? `  ${c.problem}` : ''}`);
  }
  if (!r.passed) lines.push(`  hint: ${r.hint}`);
  return lines.join('\n');
}

/** An HTML table (every text escaped: error messages can contain anything). */
export function checkHtml(r: CheckResult): string {
  const color = r.passed ? '#1a7f37' : '#cf222e';
  const rows = r.cases
    .map(c => `<tr><td style="color:${c.passed ? '#1a7f37' : '#cf222e'}">${c.passed ? '✓' : '✗'}</td><td><code>${escapeXml(c.shapes)}</code></td>` +
      `<td>${c.maxError !== null ? c.maxError.toExponential(1) : ''}</td><td>${escapeXml(c.problem ?? '')}</td></tr>`)
    .join('');
  const hint = r.passed ? '' : `<p><b>Hint:</b> ${escapeXml(r.hint)}</p>`;
  return `<div class="llm-lab-check"><p style="font-weight:bold;color:${color}">${r.passed ? 'Passed' : 'Not yet'}: ${escapeXml(r.name)}</p>` +
    `<table><tr><th></th><th>inputs</th><th>max error</th><th></th></tr>${rows}</table>${hint}</div>`;
}

export function checkBundle(r: CheckResult): MimeBundle {
  return { 'text/html': checkHtml(r), 'text/plain': checkText(r) };
}

async function show(ex: Exercise, yours: Fn): Promise<CheckResult> {
  const result = await runExercise(ex, yours);
  display(checkBundle(result));
  return result;
}

const qkv = (B: number, nh: number, T: number, hs: number) => [[B, nh, T, hs], [B, nh, T, hs], [B, nh, T, hs]];

export const check = {
  /** softmax(q k^T / sqrt(hs) + mask) v, for q, k, v (B, nh, T, hs) and an additive mask (T, T). */
  attention: (yours: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor) => tf.Tensor) =>
    show(
      {
        name: 'scaled dot-product attention',
        cases: [qkv(1, 1, 3, 2), qkv(2, 4, 5, 8), qkv(1, 2, 16, 4)],
        reference: (q, k, v, mask) => scaledDotProductAttention(q, k, v, mask).output,
        extra: shapes => [causalMask(shapes[0][2])],
        hint: 'scores = q k^T (transpose the last two axes of k), divide by sqrt(head size), add the mask, softmax over the last axis, then multiply by v.'
      },
      yours as Fn
    ),
  /** Normalize each vector on the last axis, then scale by gamma and shift by beta (eps 1e-5). */
  layerNorm: (yours: (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor) =>
    show(
      {
        name: 'LayerNorm',
        cases: [[[2, 4], [4], [4]], [[3, 5, 8], [8], [8]]],
        reference: (x, g, b) => layerNorm(x, g, b),
        hint: 'mean and variance over the last axis (keepDims), (x - mean) / sqrt(variance + 1e-5), then * gamma + beta. The variance divides by n, not n - 1.'
      },
      yours as Fn
    ),
  /** GELU, tanh approximation. */
  gelu: (yours: (x: tf.Tensor) => tf.Tensor) =>
    show(
      {
        name: 'GELU',
        cases: [[[7]], [[2, 3, 16]]],
        reference: x => gelu(x),
        hint: '0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).'
      },
      yours as Fn
    )
};
