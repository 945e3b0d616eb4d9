/**
 * Dropout (nn/dropout.ts) and the modes of the module tree: off by default and in eval mode (the
 * numbers of a model without dropout), inverted and seeded in training mode, and the fused
 * attention left aside while the attention weights are dropped.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fastPath } from '../../kernel-lib/src/device';
import { generate } from '../../kernel-lib/src/generate';
import { BERT } from '../../kernel-lib/src/models/bert';
import { GPT, GPTConfig } from '../../kernel-lib/src/models/gpt';
import { Seq2Seq } from '../../kernel-lib/src/models/seq2seq';
import { CausalSelfAttention, mergeHeads, paddingMask, scaledDotProductAttention, splitHeads } from '../../kernel-lib/src/nn/attention';
import { Dropout, MaskStream } from '../../kernel-lib/src/nn/dropout';
import { Init } from '../../kernel-lib/src/nn/init';
import { Linear } from '../../kernel-lib/src/nn/linear';
import { maxAbsDiff, onCpu } from './helpers';

beforeAll(onCpu); // the cpu backend with its fused kernels, as the other unit tests

const CONFIG: GPTConfig = { vocabSize: 19, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16, seed: 5 };
const IDS = [[1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 16]];
const TARGETS = [[2, 3, 4, 5, 6, 7, 8, 9], [10, 11, 12, 13, 14, 15, 16, 17]];

/** Every tensor a test makes is disposed: the count of live tensors is back where it started. */
let liveBefore = 0;
beforeEach(() => {
  liveBefore = tf.memory().numTensors;
});
afterEach(() => expect(tf.memory().numTensors).toBe(liveBefore));

async function logitsOf(model: GPT): Promise<Float32Array> {
  const logits = tf.tidy(() => model.forward(tf.tensor2d(IDS, [2, 8], 'int32')).logits);
  const values = (await logits.data()) as Float32Array;
  logits.dispose();
  return values;
}

async function lossOf(model: GPT): Promise<number> {
  const loss = tf.tidy(() => model.loss(tf.tensor2d(IDS, [2, 8], 'int32'), tf.tensor2d(TARGETS, [2, 8], 'int32')));
  const value = (await loss.data())[0];
  loss.dispose();
  return value;
}

describe('modes of the module tree', () => {
  it('a model starts in eval mode; train() and eval() set every module below it', () => {
    const model = new GPT(CONFIG);
    const modes = () => new Set(model.namedModules().map(([, m]) => m.training));
    expect(modes()).toEqual(new Set([false]));
    expect(model.train()).toBe(model);
    expect(modes()).toEqual(new Set([true]));
    model.transformer.h.at(1).eval(); // a part alone, as in PyTorch
    expect(model.transformer.h.at(0).attn.attnDropout.training).toBe(true);
    expect(model.transformer.h.at(1).attn.attnDropout.training).toBe(false);
    model.train(false);
    expect(modes()).toEqual(new Set([false]));
    model.dispose();
  });

  it("a module added to the tree or put in place of another takes the tree's mode", () => {
    const model = new GPT(CONFIG).train();
    const init = new Init(1);
    const head = model.addModule('score', new Linear(init, 16, 1));
    expect(head.training).toBe(true);
    const proj = new Linear(init, 16, 16);
    expect(proj.training).toBe(false);
    const old = model.replace('transformer.h.0.attn.c_proj', proj);
    expect(proj.training).toBe(true);
    model.dispose();
    old.dispose();
  });

  it('the GPT-2 names of the dropouts: drop, attn_dropout, resid_dropout, mlp.dropout; no parameters', () => {
    const model = new GPT({ ...CONFIG, nLayer: 1 });
    const names = model.namedModules().map(([n]) => n);
    for (const n of ['transformer.drop', 'transformer.h.0.attn.attn_dropout', 'transformer.h.0.attn.resid_dropout', 'transformer.h.0.mlp.dropout']) expect(names).toContain(n);
    expect(model.namedParameters().some(([n]) => n.includes('drop'))).toBe(false);
    model.dispose();
  });
});

describe('config', () => {
  it('dropout must be a number in [0, 1), and the error names the value', () => {
    expect(() => new GPT({ ...CONFIG, dropout: 1 })).toThrow('GPT config: dropout must be a number in [0, 1), got 1');
    expect(() => new GPT({ ...CONFIG, dropout: -0.1 })).toThrow('GPT config: dropout must be a number in [0, 1), got -0.1');
    expect(() => new GPT({ ...CONFIG, dropout: NaN })).toThrow('GPT config: dropout must be a number in [0, 1), got NaN');
    expect(() => new GPT({ ...CONFIG, dropout: '0.1' as unknown as number })).toThrow('GPT config: dropout must be a number in [0, 1), got "0.1"');
    expect(() => new GPT({ ...CONFIG, dropoutSeed: -1 })).toThrow('GPT config: dropoutSeed must be an integer in [0, 4294967295], got -1');
    expect(() => new BERT({ ...CONFIG, dropout: 1.5 })).toThrow('GPT config: dropout must be a number in [0, 1), got 1.5');
    expect(() => new Seq2Seq({ ...CONFIG, dropout: 1 })).toThrow('Seq2Seq config: dropout must be a number in [0, 1), got 1');
  });
});

describe('off: rate 0, or eval mode', () => {
  it('a Dropout returns its input itself in eval mode and with p = 0', () => {
    const x = tf.ones([3, 4]);
    const masks = new MaskStream(1);
    expect(new Dropout({ p: 0.5, masks }).forward(x)).toBe(x); // eval mode
    expect(new Dropout({ p: 0, masks }).train().forward(x)).toBe(x);
    expect(new Dropout().train().forward(x)).toBe(x);
    expect(masks.drawn).toBe(0);
    x.dispose();
  });

  it('the GPT gives the logits saved before dropout existed (seed 5, last position of sequence 2)', async () => {
    const model = new GPT(CONFIG);
    const logits = await logitsOf(model);
    // prettier-ignore
    const saved = [-0.0603268258, -0.0435513221, 0.00815016776, 0.0453474149, -0.0482399724, -0.0359677114, 0.247353524, 0.131627172, 0.106417254, 0.0559583791, 0.0764490664, -0.121214092, 0.104081348, 0.00331623643, 0.00276322686, -0.0704494044, 0.118980519, -0.0895654708, -0.0321847014];
    expect(maxAbsDiff(logits.slice(-19), saved)).toBeLessThan(1e-6);
    expect(Math.abs(logits.reduce((a, b) => a + b, 0) - 2.3685552)).toBeLessThan(1e-5);
    model.dispose();
  });

  it('GPT, BERT and Seq2Seq with dropout 0.3 in eval mode, or dropout 0 in training mode, give bit for bit the numbers of the model without dropout', async () => {
    const ids = () => tf.tensor2d(IDS, [2, 8], 'int32');
    const targets = () => tf.tensor2d(TARGETS, [2, 8], 'int32');
    const runs: [string, (c: { dropout?: number }) => { model: GPT | BERT | Seq2Seq; run: () => tf.Tensor }][] = [
      ['GPT', c => { const model = new GPT({ ...CONFIG, ...c }); return { model, run: () => model.forward(ids()).logits }; }],
      ['GPT cached', c => { const model = new GPT({ ...CONFIG, ...c }); return { model, run: () => model.forwardCached(ids(), null).logits }; }],
      ['BERT', c => { const model = new BERT({ ...CONFIG, ...c }); return { model, run: () => model.forward(ids(), paddingMask([5, 8], 8)) }; }],
      ['Seq2Seq', c => { const model = new Seq2Seq({ ...CONFIG, ...c }); return { model, run: () => model.forward(ids(), targets(), { srcMask: paddingMask([5, 8], 8) }).logits }; }]
    ];
    for (const [name, build] of runs) {
      const results: Float32Array[] = [];
      for (const [settings, train] of [[{}, false], [{ dropout: 0.3 }, false], [{ dropout: 0 }, true]] as const) {
        const { model, run } = build(settings);
        model.train(train);
        const out = tf.tidy(run);
        results.push((await out.data()) as Float32Array);
        out.dispose();
        model.dispose();
      }
      expect(Array.from(results[1]), `${name}, dropout 0.3 in eval mode`).toEqual(Array.from(results[0]));
      expect(Array.from(results[2]), `${name}, dropout 0 in training mode`).toEqual(Array.from(results[0]));
    }
  });

  it('generation of a GPT with dropout 0.5 is deterministic and the same as without dropout, also after a switch to train() and back', async () => {
    const plain = new GPT(CONFIG);
    const dropping = new GPT({ ...CONFIG, dropout: 0.5 });
    const options = { maxNewTokens: 6, temperature: 0 };
    const expected = await generate(plain, [1, 2, 3], options);
    expect(await generate(dropping, [1, 2, 3], options)).toEqual(expected);
    dropping.train();
    dropping.eval();
    expect(await generate(dropping, [1, 2, 3], { ...options, kvCache: false })).toEqual(expected);
    plain.dispose();
    dropping.dispose();
  });
});

describe('on: training mode with rate p > 0', () => {
  it('inverted dropout: on 200000 ones, the fraction zeroed is p and the mean stays 1; kept values are exactly 1 / (1 - p)', async () => {
    for (const p of [0.1, 0.5]) {
      const x = tf.ones([400, 500]);
      const y = new Dropout({ p, masks: new MaskStream(7) }).train().forward(x);
      const values = await y.data();
      tf.dispose([x, y]);
      const zeros = values.filter(v => v === 0).length;
      const scale = Math.fround(1 / (1 - p));
      expect(values.every(v => v === 0 || v === scale), `p ${p}: values 0 or ${scale}`).toBe(true);
      // standard errors: sqrt(p (1 - p) / n) <= 0.0012 for the fraction, sqrt(p / (1 - p) / n) <= 0.0023 for the mean
      expect(Math.abs(zeros / values.length - p), `p ${p}: fraction zeroed`).toBeLessThan(0.006);
      expect(Math.abs(values.reduce((a, b) => a + b, 0) / values.length - 1), `p ${p}: mean`).toBeLessThan(0.012);
    }
  });

  it('the gradient flows through the kept units only, scaled by 1 / (1 - p): d sum(w * dropout(x)) / dx = w * mask / (1 - p)', async () => {
    const p = 0.25;
    const x = tf.tidy(() => tf.range(0, 1000).reshape([10, 100]).div(1000).add(1)); // no zero among the inputs: a 0 out is a dropped unit
    const w = tf.tidy(() => tf.sin(tf.range(0, 1000)).reshape([10, 100]));
    const dropout = new Dropout({ p, masks: new MaskStream(3) }).train();
    const kept: tf.Tensor[] = []; // 1 where the unit was kept
    const grad = tf.grad((input: tf.Tensor) => {
      const y = dropout.forward(input);
      kept.push(tf.keep(y.notEqual(0).toFloat()));
      return y.mul(w).sum();
    })(x);
    const expected = tf.tidy(() => w.mul(kept[0]).div(1 - p));
    const keptValues = await kept[0].data();
    expect(keptValues.filter(v => v === 0).length).toBeGreaterThan(150); // ~250 dropped: the check sees both kinds
    expect(maxAbsDiff(await grad.data(), await expected.data())).toBeLessThan(1e-6);
    tf.dispose([x, w, ...kept, grad, expected]);
  });

  it("self-attention drops the softmax's weights, then the projected output, with the stream's next masks", async () => {
    const p = 0.4;
    const attention = new CausalSelfAttention(new Init(2), 8, 2, 0.02, { dropout: { p, masks: new MaskStream(11) } }).train();
    const x = tf.tidy(() => tf.sin(tf.range(0, 2 * 5 * 8)).reshape([2, 5, 8]));
    const { output, weights } = tf.tidy(() => attention.forward(x));
    const twin = new MaskStream(11); // the same masks, in the order the layer draws them
    const expected = tf.tidy(() => {
      const [q, k, v] = tf.split(attention.cAttn.forward(x), 3, -1).map(t => splitHeads(t, 2)); // (B, nh, T, hs)
      const causal = tf.linalg.bandPart(tf.ones([5, 5]), -1, 0).sub(1).mul(1e9); // 0 on and below the diagonal
      const probs = scaledDotProductAttention(q, k, v, causal).weights; // (B, nh, T, T)
      const read = tf.matMul(probs.mul(twin.keepMask([2, 2, 5, 5], p)), v);
      return attention.cProj.forward(mergeHeads(read)).mul(twin.keepMask([2, 5, 8], p));
    });
    expect(maxAbsDiff(await output.data(), await expected.data())).toBeLessThan(1e-6);
    const sums = weights.sum(-1);
    const rowSums = await sums.data(); // the weights returned are the softmax's: rows sum to 1
    sums.dispose();
    expect(maxAbsDiff(rowSums, new Array(rowSums.length).fill(1))).toBeLessThan(1e-6);
    tf.dispose([x, output, weights, expected]);
    attention.dispose();
  });

  it('the mask stream advances per call, and a twin built with the same seeds repeats every loss; another dropoutSeed does not', async () => {
    const config = { ...CONFIG, dropout: 0.2 };
    const run = async (model: GPT) => {
      const losses = [];
      for (let i = 0; i < 3; i++) losses.push(await lossOf(model.train()));
      model.eval();
      losses.push(await lossOf(model));
      model.dispose();
      return losses;
    };
    const first = await run(new GPT(config));
    const twin = await run(new GPT(config));
    const otherSeed = await run(new GPT({ ...config, dropoutSeed: 8 }));
    const plainModel = new GPT(CONFIG);
    const plain = await lossOf(plainModel);
    plainModel.dispose();
    expect(twin).toEqual(first);
    expect(new Set(first.slice(0, 3)).size).toBe(3); // new masks at every call
    expect(first[3]).toBe(plain); // eval mode: the loss without dropout
    expect(otherSeed[3]).toBe(plain);
    for (let i = 0; i < 3; i++) {
      expect(first[i]).not.toBe(plain);
      expect(otherSeed[i]).not.toBe(first[i]);
    }
  });

  it('BERT and Seq2Seq in training mode drop too, reproducibly from their seeds', async () => {
    const ids = () => tf.tensor2d(IDS, [2, 8], 'int32');
    const outputs = async (make: () => BERT | Seq2Seq) => {
      const model = make().train();
      const run = () => (model instanceof BERT ? model.forward(ids()) : model.forward(ids(), ids()).logits);
      const values = [];
      for (const mode of ['train', 'train', 'eval'] as const) {
        model.train(mode === 'train');
        const out = tf.tidy(run);
        values.push(Array.from(await out.data()));
        out.dispose();
      }
      model.dispose();
      return values;
    };
    for (const make of [() => new BERT({ ...CONFIG, dropout: 0.2 }), () => new Seq2Seq({ ...CONFIG, dropout: 0.2 })]) {
      const [a1, a2, aEval] = await outputs(make);
      const [b1, b2] = await outputs(make);
      expect(b1).toEqual(a1);
      expect(b2).toEqual(a2);
      expect(a2).not.toEqual(a1);
      expect(a1).not.toEqual(aEval);
    }
  });

  it('a training step in training mode leaves no tensor behind', () => {
    const model = new GPT({ ...CONFIG, dropout: 0.1 }).train();
    const ids = tf.tensor2d(IDS, [2, 8], 'int32');
    const targets = tf.tensor2d(TARGETS, [2, 8], 'int32');
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => model.loss(ids, targets));
    tf.dispose([value, grads]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([ids, targets]);
    model.dispose();
  });
});

describe('the fused attention and dropout', () => {
  const kernelsOf = async (model: GPT) => {
    const ids = tf.tensor2d(IDS, [2, 8], 'int32');
    const { kernelNames, result } = await tf.profile(() => tf.tidy(() => model.forward(ids).logits));
    tf.dispose([ids, result as tf.Tensor]);
    return kernelNames;
  };

  it('the fused attention runs in eval mode and with rate 0, the readable one in training mode with rate > 0', async () => {
    expect(fastPath.active).toBe(true);
    const dropping = new GPT({ ...CONFIG, dropout: 0.1 });
    expect(await kernelsOf(dropping)).toContain('LlmLabAttention'); // eval mode
    dropping.train();
    expect(await kernelsOf(dropping)).not.toContain('LlmLabAttention');
    dropping.eval();
    expect(await kernelsOf(dropping)).toContain('LlmLabAttention');
    const plain = new GPT(CONFIG).train();
    expect(await kernelsOf(plain)).toContain('LlmLabAttention');
    dropping.dispose();
    plain.dispose();
  });

  it('fastPath.attention refuses a call whose attention weights are dropped', () => {
    const call = { shape: [2, 8, 16], causal: true, rope: false, headSize: 8 };
    expect(fastPath.attention({ ...call, dropout: false })).toBe(true);
    expect(fastPath.attention({ ...call, dropout: true })).toBe(false);
  });
});
