import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { paddingMask } from '../../kernel-lib/src/nn/attention';
import { CrossAttention } from '../../kernel-lib/src/nn/crossAttention';
import { Init } from '../../kernel-lib/src/nn/init';
import { Module } from '../../kernel-lib/src/nn/module';
import { Seq2Seq } from '../../kernel-lib/src/models/seq2seq';
import { seededRandom } from '../../kernel-lib/src/random';
import { AdamW } from '../../kernel-lib/src/train/adamw';
import { maxAbsDiff, onCpu } from './helpers';

beforeAll(onCpu);

const config = { vocabSize: 13, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16, seed: 3 };
const ids = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0].length], 'int32');

function randomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  const r = seededRandom(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale), shape);
}

/** Move every weight away from its init (unit LayerNorm gains and zero biases would hide mistakes). */
function perturb(module: Module, seed: number, scale = 0.5): void {
  const r = seededRandom(seed);
  for (const [name, v] of module.namedParameters()) {
    const base = name.includes('ln_') && name.endsWith('weight') ? 1 : 0;
    v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => base + (r() * 2 - 1) * scale), v.shape));
  }
}

/** Cross-attention with plain loops: q from x, k and v from memory, softmax over the source keys that are not padding. */
function naiveCrossAttention(x: number[][][], memory: number[][][], lengths: number[], p: Record<string, number[][] | number[]>, nHead: number): number[][][] {
  const matvec = (v: number[], W: number[][], b: number[]) => b.map((bj, j) => bj + v.reduce((s, vi, i) => s + vi * W[i][j], 0));
  const C = x[0][0].length;
  const hs = C / nHead;
  return x.map((seq, b) => {
    const kv = memory[b].map(m => matvec(m, p.kvW as number[][], p.kvB as number[]));
    return seq.map(xt => {
      const q = matvec(xt, p.qW as number[][], p.qB as number[]);
      const y = new Array<number>(C).fill(0);
      for (let h = 0; h < nHead; h++) {
        const scores = kv.slice(0, lengths[b]).map(kvs => q.slice(h * hs, (h + 1) * hs).reduce((s, qi, i) => s + qi * kvs[h * hs + i], 0) / Math.sqrt(hs));
        const m = Math.max(...scores);
        const e = scores.map(s => Math.exp(s - m));
        const z = e.reduce((a, c) => a + c, 0);
        e.forEach((ei, s) => {
          for (let i = 0; i < hs; i++) y[h * hs + i] += (ei / z) * kv[s][C + h * hs + i];
        });
      }
      return matvec(y, p.projW as number[][], p.projB as number[]);
    });
  });
}

describe('cross-attention', () => {
  it('matches the definition computed with loops, padding keys hidden', async () => {
    const attn = new CrossAttention(new Init(4), 8, 2, 0.02);
    perturb(attn, 9);
    const x = randomTensor([2, 3, 8], 1);
    const memory = randomTensor([2, 5, 8], 2);
    const lengths = [5, 3];
    const mask = paddingMask(lengths, 5);
    const { output, weights } = attn.forward(x, memory, mask);
    expect(output.shape).toEqual([2, 3, 8]);
    expect(weights.shape).toEqual([2, 2, 3, 5]); // (B, nh, T_tgt, T_src)
    const arr = async (v: tf.Tensor) => (await v.array()) as never;
    const p = {
      qW: await arr(attn.getParameter('q_attn.weight')), qB: await arr(attn.getParameter('q_attn.bias')),
      kvW: await arr(attn.getParameter('c_attn.weight')), kvB: await arr(attn.getParameter('c_attn.bias')),
      projW: await arr(attn.getParameter('c_proj.weight')), projB: await arr(attn.getParameter('c_proj.bias'))
    };
    const expected = naiveCrossAttention(await arr(x), await arr(memory), lengths, p, 2);
    expect(maxAbsDiff(await output.data(), expected.flat(2))).toBeLessThan(1e-5);
    tf.dispose([x, memory, mask, output, weights]);
    attn.dispose();
  });

  it('rows sum to 1 and padding keys get exactly 0', async () => {
    const attn = new CrossAttention(new Init(4), 8, 2, 0.02);
    perturb(attn, 10);
    const lengths = [6, 2, 4];
    const mask = paddingMask(lengths, 6);
    const { output, weights } = attn.forward(randomTensor([3, 4, 8], 3), randomTensor([3, 6, 8], 4), mask);
    const w = (await weights.array()) as number[][][][];
    w.forEach((heads, b) =>
      heads.forEach(rows =>
        rows.forEach(row => {
          expect(Math.abs(row.reduce((a, c) => a + c, 0) - 1)).toBeLessThan(1e-5);
          row.slice(lengths[b]).forEach(v => expect(v).toBe(0));
          expect(Math.min(...row.slice(0, lengths[b]))).toBeGreaterThan(0);
        })
      )
    );
    tf.dispose([mask, output, weights]);
    attn.dispose();
  });

  it('its gradients (weights, decoder input and encoder output) match central finite differences', async () => {
    const attn = new CrossAttention(new Init(21), 8, 2, 0.1);
    perturb(attn, 5);
    const x = tf.variable(randomTensor([2, 3, 8], 6));
    const memory = tf.variable(randomTensor([2, 4, 8], 7));
    const mask = paddingMask([4, 3], 4);
    const probe = randomTensor([2, 3, 8], 8);
    // A scalar function of the output: a random projection of it.
    const f = () => tf.tidy(() => attn.forward(x, memory, mask).output.mul(probe).sum() as tf.Scalar);
    const all = new Map([...attn.namedParameters(), ['x', x], ['memory', memory]]);
    const { grads } = tf.variableGrads(f, [...all.values()]);
    const rnd = seededRandom(11);
    const eps = 1e-2;
    for (const [name, v] of all) {
      const analytic = await grads[v.name].data();
      const base = await v.data();
      for (let n = 0; n < 3; n++) {
        const i = Math.floor(rnd() * v.size);
        const at = async (delta: number) => {
          const moved = Float32Array.from(base);
          moved[i] += delta;
          v.assign(tf.tensor(moved, v.shape));
          const y = f();
          const value = (await y.data())[0];
          y.dispose();
          return value;
        };
        const numeric = ((await at(eps)) - (await at(-eps))) / (2 * eps);
        v.assign(tf.tensor(base, v.shape));
        const err = Math.abs(numeric - analytic[i]) / Math.max(1, Math.abs(numeric));
        expect(err, `${name}[${i}]: analytic ${analytic[i]} vs numeric ${numeric}`).toBeLessThan(2e-2);
      }
    }
    // The padded source position gets no gradient: nothing reads it.
    const gMemory = (await grads[memory.name].array()) as number[][][];
    expect(Math.max(...gMemory[1][3].map(Math.abs))).toBe(0);
    tf.dispose([x, memory, mask, probe, ...Object.values(grads)]);
    attn.dispose();
  });
});

describe('Seq2Seq (encoder-decoder)', () => {
  it('gives logits (B, T, V) and every attention with its shape', () => {
    const model = new Seq2Seq({ ...config, nEncoderLayer: 3, nDecoderLayer: 1 });
    const src = ids([[4, 5, 6, 7, 8], [9, 10, 11, 0, 0]]);
    const tgtIn = ids([[1, 4, 5], [1, 6, 7]]);
    const out = model.forward(src, tgtIn, { attentions: true });
    expect(out.logits.shape).toEqual([2, 3, 13]);
    expect(out.encoderAttentions!.map(t => t.shape)).toEqual([[2, 2, 5, 5], [2, 2, 5, 5], [2, 2, 5, 5]]);
    expect(out.decoderAttentions!.map(t => t.shape)).toEqual([[2, 2, 3, 3]]);
    expect(out.crossAttentions!.map(t => t.shape)).toEqual([[2, 2, 3, 5]]);
    expect(Object.keys(model.forward(src, tgtIn))).toEqual(['logits']);
    // Tied embeddings: one table for source, target and output.
    const names = model.namedParameters().map(([name]) => name);
    expect(names.filter(n => n.endsWith('wte.weight') || n === 'shared.weight')).toEqual(['shared.weight']);
    expect(names).toContain('decoder.h.0.crossattention.q_attn.weight');
    tf.dispose([src, tgtIn, out]);
    model.dispose();
  });

  it('the decoder is causal: a later target token does not change earlier logits', async () => {
    const model = new Seq2Seq(config);
    perturb(model, 1, 0.3);
    const src = ids([[4, 5, 6, 7]]);
    const a = model.forward(src, ids([[1, 8, 9, 10, 11]])).logits;
    const b = model.forward(src, ids([[1, 8, 9, 12, 11]])).logits; // position 3 changed
    const upTo = (t: tf.Tensor, n: number) => t.slice([0, 0, 0], [1, n, 13]).data();
    expect(maxAbsDiff(await upTo(a, 3), await upTo(b, 3))).toBe(0);
    expect(maxAbsDiff(await upTo(a, 4), await upTo(b, 4))).toBeGreaterThan(1e-3);
    tf.dispose([src, a, b]);
    model.dispose();
  });

  it('every target position reads the whole source', async () => {
    const model = new Seq2Seq(config);
    perturb(model, 2, 0.3);
    const tgtIn = ids([[1, 8, 9]]);
    const source = [4, 5, 6, 7];
    const a = model.forward(ids([source]), tgtIn).logits;
    const at = (t: tf.Tensor, pos: number) => t.slice([0, pos, 0], [1, 1, 13]).data();
    for (let s = 0; s < source.length; s++) {
      const changed = source.map((id, i) => (i === s ? 12 : id)); // one source token changed
      const b = model.forward(ids([changed]), tgtIn).logits;
      for (let t = 0; t < 3; t++) expect(maxAbsDiff(await at(a, t), await at(b, t)), `target ${t}, source ${s}`).toBeGreaterThan(1e-4);
      b.dispose();
    }
    tf.dispose([tgtIn, a]);
    model.dispose();
  });

  it('source padding, masked, does not change the outputs', async () => {
    const model = new Seq2Seq(config);
    perturb(model, 3, 0.3);
    const tgtIn = ids([[1, 8, 9, 10]]);
    const alone = await model.forward(ids([[4, 5, 6]]), tgtIn).logits.data();
    // The same source padded to 6 with arbitrary ids, next to a longer one in the batch.
    const src = ids([[4, 5, 6, 11, 2, 7], [9, 10, 11, 12, 4, 5]]);
    const both = ids([[1, 8, 9, 10], [1, 4, 4, 4]]);
    const mask = paddingMask([3, 6], 6);
    const padded = model.forward(src, both, { srcMask: mask }).logits;
    expect(maxAbsDiff(await padded.slice([0, 0, 0], [1, 4, 13]).data(), alone)).toBeLessThan(1e-5);
    // Unmasked, the padding is read (so the mask is what makes the difference).
    const unmasked = model.forward(src, both).logits;
    expect(maxAbsDiff(await unmasked.slice([0, 0, 0], [1, 4, 13]).data(), alone)).toBeGreaterThan(1e-3);
    tf.dispose([tgtIn, src, both, mask, padded, unmasked]);
    model.dispose();
  });

  it('its loss is the mean cross-entropy over the target positions that are not padding (-1)', async () => {
    const model = new Seq2Seq(config);
    perturb(model, 4, 0.3);
    const src = ids([[4, 5, 6], [7, 8, 9]]);
    const tgtIn = ids([[1, 6, 5, 4], [1, 9, 0, 0]]);
    const tgtOut = ids([[6, 5, 4, 2], [9, 2, -1, -1]]);
    const loss = (await model.loss(src, tgtIn, tgtOut).data())[0];
    const logits = (await model.forward(src, tgtIn).logits.array()) as number[][][];
    const ce = (row: number[], target: number) => Math.log(row.reduce((s, z) => s + Math.exp(z), 0)) - row[target];
    const targets = [[6, 5, 4, 2], [9, 2]];
    const terms = targets.flatMap((row, b) => row.map((y, t) => ce(logits[b][t], y)));
    expect(loss).toBeCloseTo(terms.reduce((a, c) => a + c, 0) / terms.length, 5);
    tf.dispose([src, tgtIn, tgtOut]);
    model.dispose();
  });

  it('leaks no tensor across training steps, forward calls and generation', async () => {
    const model = new Seq2Seq(config);
    const optimizer = new AdamW(model.namedParameters(), { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0.01 });
    const src = ids([[4, 5, 6, 7], [8, 9, 0, 0]]);
    const mask = paddingMask([4, 2], 4);
    const tgtIn = ids([[1, 7, 6, 5, 4], [1, 9, 8, 0, 0]]);
    const tgtOut = ids([[7, 6, 5, 4, 2], [9, 8, 2, -1, -1]]);
    const step = async () => {
      const { value, grads } = tf.variableGrads(() => model.loss(src, tgtIn, tgtOut, mask));
      optimizer.step(grads, 1e-2);
      const loss = (await value.data())[0];
      tf.dispose([value, ...Object.values(grads)]);
      return loss;
    };
    const first = await step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 5; i++) last = await step();
    expect(last).toBeLessThan(first);
    const out = model.forward(src, tgtIn, { srcMask: mask, attentions: true });
    tf.dispose(out);
    await model.generate([[4, 5, 6], [7]], { maxNewTokens: 5, bosId: 1, eosId: 2 });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([src, mask, tgtIn, tgtOut]);
    optimizer.dispose();
    model.dispose();
  });

  it('generates greedily: each token is the argmax of forward(); a batch gives what each source gives alone', async () => {
    const model = new Seq2Seq(config);
    perturb(model, 6, 0.5);
    const options = { maxNewTokens: 6, bosId: 1, eosId: 2 };
    const source = [4, 5, 6, 7, 8];
    const generated = await model.generate(source, options);
    // The same by hand, reading forward()'s last row.
    const expected: number[] = [];
    const tgt = [1];
    for (let step = 0; step < options.maxNewTokens; step++) {
      const logits = model.forward(ids([source]), ids([tgt])).logits;
      const row = Array.from(await logits.slice([0, tgt.length - 1, 0], [1, 1, 13]).data());
      logits.dispose();
      const next = row.indexOf(Math.max(...row));
      if (next === 2) break;
      expected.push(next);
      tgt.push(next);
    }
    expect(generated).toEqual(expected);
    const batch = await model.generate([[9, 10], source, [11, 12, 4]], options);
    expect(batch[1]).toEqual(generated);
    expect(batch[0]).toEqual(await model.generate([9, 10], options));
    model.dispose();
  });

  it('gives one example\'s cross-attention as arrays [layer][head][target][source]', async () => {
    const model = new Seq2Seq({ ...config, nDecoderLayer: 3 });
    perturb(model, 7, 0.3);
    const before = tf.memory().numTensors;
    const weights = await model.crossAttentionWeights([4, 5, 6, 7, 8], [1, 8, 7]);
    expect(tf.memory().numTensors).toBe(before);
    expect([weights.length, weights[0].length, weights[0][0].length, weights[0][0][0].length]).toEqual([3, 2, 3, 5]);
    const out = model.forward(ids([[4, 5, 6, 7, 8]]), ids([[1, 8, 7]]), { attentions: true });
    for (let layer = 0; layer < 3; layer++) expect(maxAbsDiff(weights[layer].flat(2), await out.crossAttentions![layer].data())).toBe(0);
    tf.dispose(out);
    model.dispose();
  });

  it('says what is wrong, with the values', async () => {
    expect(() => new Seq2Seq({ ...config, nEmbd: 30, nHead: 4 })).toThrow('nEmbd (d_model = 30) must be divisible by nHead (4)');
    expect(() => new Seq2Seq({ ...config, nDecoderLayer: 0 })).toThrow('nDecoderLayer must be a positive integer, got 0');
    const model = new Seq2Seq(config);
    const long = ids([[4, 4, 4, 4, 4, 4, 4, 4, 4]]);
    const tgt = ids([[1, 4]]);
    expect(() => model.forward(long, tgt)).toThrow('src has length 9, longer than blockSize 8');
    expect(() => model.forward(tf.tensor2d([[4, 5]]), tgt)).toThrow('src must hold int32 token ids, got float32');
    expect(() => model.forward(ids([[4, 5], [6, 7]]), tgt)).toThrow('src has batch size 2 but tgtIn has 1');
    const mask = paddingMask([2], 2);
    expect(() => model.forward(ids([[4, 5, 6]]), tgt, { srcMask: mask })).toThrow('srcMask must have shape [1, 1, 1, 3]');
    expect(() => model.loss(ids([[4, 5]]), tgt, ids([[4, 5, 2]]))).toThrow('tgtOut must have the shape of tgtIn [1,2], got [1,3]');
    await expect(model.generate([4, 5], { maxNewTokens: 3, bosId: 13, eosId: 2 })).rejects.toThrow('bosId 13 is outside the vocabulary [0, 13)');
    await expect(model.generate([4, 99], { maxNewTokens: 3, bosId: 1, eosId: 2 })).rejects.toThrow('source 0 has id 99 at position 1');
    await expect(model.generate([4], { maxNewTokens: 9, bosId: 1, eosId: 2 })).rejects.toThrow('maxNewTokens must be an integer in [1, blockSize 8], got 9');
    tf.dispose([long, tgt, mask]);
    model.dispose();
  });
});
