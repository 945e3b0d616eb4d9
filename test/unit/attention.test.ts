import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CausalSelfAttention, causalMask, paddingMask, scaledDotProductAttention } from '../../kernel-lib/src/nn/attention';
import { Init } from '../../kernel-lib/src/nn/init';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { seededRandom } from '../../kernel-lib/src/random';
import { maxAbsDiff, onCpu } from './helpers';

beforeAll(onCpu);

function randomArray(n: number, seed: number): number[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => r() * 2 - 1);
}

/** Multi-head causal self-attention with plain loops: the definition, one number at a time. */
function naiveAttention(x: number[][][], wAttn: number[][], bAttn: number[], wProj: number[][], bProj: number[], nHead: number) {
  const C = wAttn.length;
  const hs = C / nHead;
  const matvec = (v: number[], W: number[][], b: number[]) => b.map((bj, j) => bj + v.reduce((s, vi, i) => s + vi * W[i][j], 0));
  const out: number[][][] = [];
  const weights: number[][][][] = [];
  for (const seq of x) {
    const T = seq.length;
    const qkv = seq.map(v => matvec(v, wAttn, bAttn));
    const y: number[][] = Array.from({ length: T }, () => new Array(C).fill(0));
    const wb: number[][][] = [];
    for (let h = 0; h < nHead; h++) {
      const q = (t: number) => qkv[t].slice(h * hs, (h + 1) * hs);
      const k = (t: number) => qkv[t].slice(C + h * hs, C + (h + 1) * hs);
      const v = (t: number) => qkv[t].slice(2 * C + h * hs, 2 * C + (h + 1) * hs);
      const wh: number[][] = [];
      for (let tq = 0; tq < T; tq++) {
        const scores = [];
        for (let tk = 0; tk <= tq; tk++) scores.push(q(tq).reduce((s, qi, i) => s + qi * k(tk)[i], 0) / Math.sqrt(hs));
        const m = Math.max(...scores);
        const e = scores.map(s => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        const row = new Array(T).fill(0);
        e.forEach((ei, tk) => (row[tk] = ei / z));
        wh.push(row);
        for (let tk = 0; tk <= tq; tk++) for (let i = 0; i < hs; i++) y[tq][h * hs + i] += row[tk] * v(tk)[i];
      }
      wb.push(wh);
    }
    out.push(y.map(v => matvec(v, wProj, bProj)));
    weights.push(wb);
  }
  return { out, weights };
}

describe('scaled dot-product attention', () => {
  it('rows sum to 1 and never look ahead', async () => {
    const T = 7;
    const q = tf.tensor(randomArray(2 * T * 4, 1), [2, T, 4]);
    const k = tf.tensor(randomArray(2 * T * 4, 2), [2, T, 4]);
    const v = tf.tensor(randomArray(2 * T * 4, 3), [2, T, 4]);
    const { weights } = scaledDotProductAttention(q, k, v, causalMask(T));
    const w = (await weights.array()) as number[][][];
    for (const mat of w) {
      mat.forEach((row, tq) => {
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        row.forEach((p, tk) => {
          if (tk > tq) expect(p).toBe(0);
          else expect(p).toBeGreaterThan(0);
        });
      });
    }
  });

  it('in a whole GPT: every layer and head attends only to the past, rows sum to 1', async () => {
    const model = new GPT({ vocabSize: 11, blockSize: 9, nLayer: 2, nHead: 3, nEmbd: 12, seed: 3 });
    const ids = tf.tensor2d([[1, 5, 2, 9, 3, 3, 0, 10]], [1, 8], 'int32');
    const { attentions } = model.forward(ids, { attentions: true });
    expect(attentions).toHaveLength(2);
    for (const a of attentions!) {
      expect(a.shape).toEqual([1, 3, 8, 8]);
      const w = (await a.array()) as number[][][][];
      for (const head of w[0]) {
        head.forEach((row, tq) => {
          expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
          expect(row.slice(tq + 1).every(p => p === 0)).toBe(true);
        });
      }
    }
    model.dispose();
  });

  it('changing a future token does not change earlier outputs', async () => {
    const model = new GPT({ vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8, seed: 4 });
    const a = await model.forward(tf.tensor2d([[1, 2, 3, 4, 5]], [1, 5], 'int32')).logits.array() as number[][][];
    const b = await model.forward(tf.tensor2d([[1, 2, 3, 4, 9]], [1, 5], 'int32')).logits.array() as number[][][];
    expect(maxAbsDiff(a[0].slice(0, 4).flat(), b[0].slice(0, 4).flat())).toBeLessThan(1e-6);
    expect(maxAbsDiff(a[0][4], b[0][4])).toBeGreaterThan(1e-4);
    model.dispose();
  });
});

describe('multi-head attention', () => {
  it('equals a naive loop implementation', async () => {
    const B = 2, T = 5, C = 12, nHead = 3;
    const attn = new CausalSelfAttention(new Init(7), C, nHead, 0.2);
    // Larger weights than the init, so attention is far from uniform and mistakes show.
    for (const v of attn.parameters()) v.assign(tf.tensor(randomArray(v.size, v.size), v.shape));
    const xArr = randomArray(B * T * C, 11);
    const x = tf.tensor(xArr, [B, T, C]);
    const { output, weights } = attn.forward(x);
    const ref = naiveAttention(
      (await x.array()) as number[][][],
      (await attn.getParameter('c_attn.weight').array()) as number[][],
      (await attn.getParameter('c_attn.bias').array()) as number[],
      (await attn.getParameter('c_proj.weight').array()) as number[][],
      (await attn.getParameter('c_proj.bias').array()) as number[],
      nHead
    );
    expect(output.shape).toEqual([B, T, C]);
    expect(weights.shape).toEqual([B, nHead, T, T]);
    expect(maxAbsDiff(await output.data(), ref.out.flat(2))).toBeLessThan(1e-4);
    expect(maxAbsDiff(await weights.data(), ref.weights.flat(3))).toBeLessThan(1e-5);
    attn.dispose();
  });
});

describe('padding mask', () => {
  it('padding changes nothing for the real tokens (bidirectional attention)', async () => {
    const r = (n: number, seed: number) => tf.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 100 + i)));
    const [q, k, v] = [1, 2, 3].map(seed => r(1 * 2 * 7 * 4, seed).reshape([1, 2, 7, 4]));
    // the first 5 tokens alone, and the same 5 padded with 2 junk tokens
    const alone = scaledDotProductAttention(...([q, k, v].map(t => t.slice([0, 0, 0, 0], [1, 2, 5, 4])) as [tf.Tensor, tf.Tensor, tf.Tensor]));
    const padded = scaledDotProductAttention(q, k, v, paddingMask([5], 7));
    const real = padded.output.slice([0, 0, 0, 0], [1, 2, 5, 4]);
    expect(maxAbsDiff(await real.data(), await alone.output.data())).toBeLessThan(1e-6);
    // no real query reads a padding key
    expect(Array.from(await padded.weights.slice([0, 0, 0, 5], [1, 2, 7, 2]).data()).every(w => w === 0)).toBe(true);
    expect(() => paddingMask([8], 7)).toThrow('validLengths[0] = 8 must be an integer in [1, 7]');
  });
});
