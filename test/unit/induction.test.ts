import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyMeans, headScores, InductionHistory, InductionRecorder, scoresFromWeights, strongestHead } from '../../kernel-lib/src/lessons/induction/scores';
import { trainInduction } from '../../kernel-lib/src/lessons/induction/train';
import { saveGPT } from '../../kernel-lib/src/checkpoint/gpt';
import { InductionBatches, RepeatLayout, repeatedText, repeatPositions, rowPositions, SymbolTokenizer } from '../../kernel-lib/src/lessons/induction/data';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { attentionSpec } from '../../kernel-lib/src/viz/attention';
import { setDisplaySink } from '../../kernel-lib/src/viz/display';
import { inductionBundle, inductionText } from '../../kernel-lib/src/lessons/induction/view';
import { shapesTable } from '../../kernel-lib/src/viz/shapes';
import { onCpu, values } from './helpers';

beforeAll(onCpu);

describe('repeated random sequences', () => {
  it('repeat the sequence after its prefix, with targets shifted by one', async () => {
    const data = new InductionBatches({ vocabSize: 20, seqLen: [3, 6], prefixLen: [0, 4], batchSize: 16, seed: 3 });
    expect(data.blockSize).toBe(4 + 2 * 6);
    const { x, y, layouts } = data.next();
    expect(x.shape).toEqual([16, 16]);
    expect(x.dtype).toBe('int32');
    const xs = (await x.array()) as number[][];
    const ys = (await y.array()) as number[][];
    const seen = new Set<string>();
    layouts.forEach(([{ start: P, length: L }], b) => {
      expect(P).toBeGreaterThanOrEqual(0);
      expect(P).toBeLessThanOrEqual(4);
      expect(L).toBeGreaterThanOrEqual(3);
      expect(L).toBeLessThanOrEqual(6);
      seen.add(`${P},${L}`);
      for (let i = 0; i < L; i++) expect(xs[b][P + L + i]).toBe(xs[b][P + i]);
      for (let i = 0; i < 15; i++) expect(ys[b][i]).toBe(xs[b][i + 1]);
      for (const v of xs[b]) expect(v >= 0 && v < 20).toBe(true);
    });
    expect(seen.size).toBeGreaterThan(3); // the lengths really vary
    tf.dispose([x, y]);
  });

  it('is reproducible from its seed', () => {
    const a = new InductionBatches({ vocabSize: 10, seqLen: 5, batchSize: 4, seed: 9 }).nextIds();
    const b = new InductionBatches({ vocabSize: 10, seqLen: 5, batchSize: 4, seed: 9 }).nextIds();
    const c = new InductionBatches({ vocabSize: 10, seqLen: 5, batchSize: 4, seed: 10 }).nextIds();
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    expect(Array.from(a.x)).not.toEqual(Array.from(c.x));
  });

  it('can pack several repeated sequences into each row', async () => {
    const data = new InductionBatches({ vocabSize: 50, seqLen: [3, 6], prefixLen: [0, 2], batchSize: 8, seed: 4, blockSize: 40 });
    expect(data.blockSize).toBe(40);
    const { x, y, layouts } = data.nextIds();
    for (let b = 0; b < 8; b++) {
      const row = x.subarray(b * 40, (b + 1) * 40);
      expect(layouts[b].length).toBeGreaterThan(2);
      let end = 0;
      for (const { start: P, length: L } of layouts[b]) {
        expect(P).toBeGreaterThanOrEqual(end); // in order, not overlapping
        for (let i = 0; i < L && P + L + i < 40; i++) expect(row[P + L + i]).toBe(row[P + i]);
        end = P + 2 * L;
      }
      expect(end).toBeGreaterThanOrEqual(40); // the row is full
      for (let i = 0; i < 39; i++) expect(y[b * 40 + i]).toBe(row[i + 1]);
    }
    const { secondCopy } = rowPositions(layouts[0], 40);
    expect(secondCopy.length).toBeGreaterThan(8);
    expect(() => new InductionBatches({ vocabSize: 9, seqLen: 5, batchSize: 1, seed: 0, blockSize: 6 })).toThrow(/blockSize must be an integer >= shortest prefix \+ 2 x shortest sequence \(10\), got 6/);
  });

  it('marks which targets are unpredictable and which are copyable', () => {
    // prefix 2, L = 4, T = 2 + 8: x = p p a b c d a b c d
    const { firstCopy, secondCopy } = repeatPositions({ start: 2, length: 4 }, 10);
    expect(firstCopy).toEqual([1, 2, 3, 4]); // predict a, b, c, d (first time)
    expect(secondCopy).toEqual([6, 7, 8]); // see a, b, c again: predict b, c, d
    expect(repeatPositions({ start: 0, length: 3 }, 6)).toEqual({ firstCopy: [0, 1], secondCopy: [3, 4] });
  });

  it('can draw the prefix and the sequence without repeated tokens', () => {
    const data = new InductionBatches({ vocabSize: 12, seqLen: [4, 8], prefixLen: [0, 4], batchSize: 20, seed: 2, distinct: true });
    const { x, layouts } = data.nextIds();
    const T = data.blockSize;
    layouts.forEach(([{ start: P, length: L }], b) => {
      const head = Array.from(x.subarray(b * T, b * T + P + L));
      expect(new Set(head).size).toBe(P + L);
    });
    expect(() => new InductionBatches({ vocabSize: 10, seqLen: 8, prefixLen: 4, batchSize: 1, seed: 0, distinct: true })).toThrow(/vocabSize \(10\) >= longest prefix \+ longest sequence \(4 \+ 8\)/);
  });

  it('can take its sequences from a token stream (text)', () => {
    const source = Int32Array.from({ length: 100 }, (_, i) => i % 10);
    const data = new InductionBatches({ vocabSize: 10, seqLen: 5, batchSize: 3, seed: 1, source });
    const { x } = data.nextIds();
    for (let b = 0; b < 3; b++) {
      const row = Array.from(x.subarray(b * 10, b * 10 + 10));
      for (let i = 1; i < 5; i++) expect(row[i]).toBe((row[i - 1] + 1) % 10); // consecutive slice of the stream
      expect(row.slice(5)).toEqual(row.slice(0, 5));
    }
    expect(() => new InductionBatches({ vocabSize: 5, seqLen: 5, batchSize: 1, seed: 1, source })).toThrow(/source\[5\] = 5 is outside the vocabulary \[0, 5\)/);
  });

  it('rejects bad settings with the values', () => {
    expect(() => new InductionBatches({ vocabSize: 1, seqLen: 4, batchSize: 2, seed: 0 })).toThrow(/vocabSize must be an integer >= 2, got 1/);
    expect(() => new InductionBatches({ vocabSize: 8, seqLen: [6, 4], batchSize: 2, seed: 0 })).toThrow(/seqLen .*\[6,4\]/);
  });

  it('names its tokens with one character each, for the attention view', () => {
    const tok = new SymbolTokenizer(30);
    expect(tok.decode(tok.encode('abzAD'))).toBe('abzAD');
    expect(tok.tokenStrings([0, 26, 29])).toEqual(['a', 'A', 'D']);
    expect(() => tok.encode('aE')).toThrow(/"E" at position 1 is not a token/);
    const text = repeatedText(tok, 5, { prefixLen: 2, seed: 1 });
    expect(text.length).toBe(12);
    expect(text.slice(2, 7)).toBe(text.slice(7, 12));
  });
});

/** Attention weights (B, nh, T, T) where head h of row b puts all weight on key pick(b, h, q). */
function pattern(B: number, nh: number, T: number, pick: (b: number, h: number, q: number) => number): Float32Array {
  const w = new Float32Array(B * nh * T * T);
  for (let b = 0; b < B; b++) for (let h = 0; h < nh; h++) for (let q = 0; q < T; q++) w[((b * nh + h) * T + q) * T + pick(b, h, q)] = 1;
  return w;
}

describe('head scores', () => {
  const layouts: RepeatLayout[][] = [[{ start: 1, length: 4 }], [{ start: 0, length: 5 }]];
  const T = 10;

  it('give a perfect previous-token head 1 and a perfect induction head 1', () => {
    const prev = (_b: number, _h: number, q: number) => Math.max(0, q - 1);
    // induction: in the second copy read i - L + 1; elsewhere attend to the first token
    const induction = (b: number, _h: number, q: number) => (repeatPositions(layouts[b][0], T).secondCopy.includes(q) ? q - layouts[b][0].length + 1 : 0);
    const self = (_b: number, _h: number, q: number) => q;
    const w = pattern(2, 3, T, (b, h, q) => [prev, induction, self][h](b, h, q));
    const s = scoresFromWeights(w, [2, 3, T, T], layouts);
    expect(s.prevToken[0]).toBeCloseTo(1, 6);
    expect(s.induction[1]).toBeCloseTo(1, 6);
    expect(s.prevToken[2]).toBe(0);
    expect(s.induction[2]).toBe(0);
    expect(s.induction[0]).toBe(0); // reading i - 1 is not reading i - L + 1 (L > 2)
  });

  it('give uniform causal attention about 1 / (number of keys)', () => {
    const B = 1;
    const w = new Float32Array(T * T);
    for (let q = 0; q < T; q++) for (let k = 0; k <= q; k++) w[q * T + k] = 1 / (q + 1);
    const s = scoresFromWeights(w, [B, 1, T, T], [layouts[0]]);
    const expectedPrev = Array.from({ length: T - 1 }, (_, i) => 1 / (i + 2)).reduce((a, b) => a + b) / (T - 1);
    expect(s.prevToken[0]).toBeCloseTo(expectedPrev, 6);
    const second = repeatPositions(layouts[0][0], T).secondCopy;
    expect(s.induction[0]).toBeCloseTo(second.reduce((a, q) => a + 1 / (q + 1), 0) / second.length, 6);
  });

  it('average a per-position quantity over each copy', () => {
    const v = new Float32Array(2 * T);
    for (let i = 0; i < 2 * T; i++) v[i] = i % T; // the position itself
    const m = copyMeans(v, T, layouts);
    // row 0: first copy positions 0..3, row 1: 0..3; second copies 5..7 and 5..8
    expect(m.firstCopy).toBeCloseTo((0 + 1 + 2 + 3 + 0 + 1 + 2 + 3) / 8, 6);
    expect(m.secondCopy).toBeCloseTo((5 + 6 + 7 + 5 + 6 + 7 + 8) / 7, 6);
  });

  it('reject weights of the wrong shape', () => {
    expect(() => scoresFromWeights(new Float32Array(10), [1, 1, 4, 4], [layouts[0]])).toThrow(/\(B, nh, T, T\) with 16 values/);
  });

  it('picks the strongest head', () => {
    expect(strongestHead([[0.1, 0.2], [0.9, 0.3]])).toEqual({ layer: 1, head: 0, score: 0.9 });
  });
});

const tiny = { vocabSize: 12, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 8, seed: 1, mlp: false };

describe('attention-only GPT (mlp: false)', () => {
  it('has no MLP or second LayerNorm, and a forward of the usual shapes', async () => {
    const model = new GPT(tiny);
    const names = model.namedParameters().map(([name]) => name);
    expect(names.some(n => n.includes('.mlp.') || n.includes('ln_2'))).toBe(false);
    expect(names).toContain('transformer.h.1.attn.c_attn.weight');
    const withMlp = new GPT({ ...tiny, mlp: true });
    expect(model.numParams()).toBeLessThan(withMlp.numParams());
    const x = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const { logits, attentions } = model.forward(x, { attentions: true });
    expect(logits.shape).toEqual([1, 4, 12]);
    expect(attentions!.map(a => a.shape)).toEqual([[1, 2, 4, 4], [1, 2, 4, 4]]);
    // the shapes table leaves the MLP rows out and its total still matches the model
    const rows = shapesTable(model, 1, 4);
    expect(rows.some(r => r.step.includes('MLP'))).toBe(false);
    expect(rows.reduce((s, r) => s + r.params, 0)).toBe(model.numParams());
    tf.dispose([x, logits, ...attentions!]);
    model.dispose();
    withMlp.dispose();
  });

  it('rejects a bad mlp setting, and saving to the GPT-2 format', async () => {
    expect(() => new GPT({ ...tiny, mlp: 'no' as unknown as boolean })).toThrow(/mlp must be true or false, got "no"/);
    const model = new GPT(tiny);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-lab-ind-'));
    await expect(saveGPT(model, dir)).rejects.toThrow(/attention-only \(mlp: false\)/);
    model.dispose();
  });
});

describe('scores of a model and the training loop', () => {
  it('measure every layer and head on a batch, without leaking tensors', async () => {
    const model = new GPT(tiny);
    const data = new InductionBatches({ vocabSize: 12, seqLen: [3, 7], prefixLen: [0, 2], batchSize: 4, seed: 1 });
    const batch = data.next();
    const before = tf.memory().numTensors;
    const s = await headScores(model, batch);
    expect(tf.memory().numTensors).toBe(before);
    expect(s.prevToken.length).toBe(2);
    expect(s.induction[1].length).toBe(2);
    // each layer's scores are those of its own attention weights on the batch
    const attentions = tf.tidy(() => model.forward(batch.x, { attentions: true }).attentions!);
    const perLayer = await Promise.all(attentions.map(async a => scoresFromWeights(await a.data(), a.shape, batch.layouts)));
    tf.dispose(attentions);
    expect(s.prevToken).toEqual(perLayer.map(p => p.prevToken));
    expect(s.induction).toEqual(perLayer.map(p => p.induction));
    expect(s.prevToken[0]).not.toEqual(s.prevToken[1]); // the layers differ, so one layer's scores given for both would show
    // an untrained model is near chance on both copies
    expect(Math.abs(s.firstCopyLoss - Math.log(12))).toBeLessThan(0.3);
    expect(Math.abs(s.secondCopyLoss - Math.log(12))).toBeLessThan(0.3);
    expect(s.lossByPosition.length).toBe(16);
    // the per-position losses agree with the model's own mean loss
    const loss = model.loss(batch.x, batch.y);
    const mean = s.lossByPosition.reduce((a, b) => a + b) / 16;
    expect(mean).toBeCloseTo((await values(loss))[0], 4);
    tf.dispose([batch.x, batch.y, loss]);
    model.dispose();
  });

  it('trains, records at the asked steps, shows the view, and leaks nothing', async () => {
    const shown: string[] = [];
    setDisplaySink(m => shown.push(m.data['text/plain']));
    const model = new GPT(tiny);
    const data = new InductionBatches({ vocabSize: 12, seqLen: [3, 7], prefixLen: [0, 2], batchSize: 4, seed: 1 });
    const before = tf.memory().numTensors;
    const run = await trainInduction(model, data, { steps: 6, learningRate: 1e-3, recordEvery: 4, evalBatchSize: 8 });
    expect(tf.memory().numTensors).toBe(before);
    expect(run.step).toBe(6);
    expect(run.history.status).toBe('done');
    expect(run.history.steps).toEqual([0, 4, 6]);
    expect(run.history.trainLoss.step).toEqual([1, 2, 3, 4, 5, 6]);
    expect(shown.length).toBeGreaterThanOrEqual(3);
    expect(shown.at(-1)).toMatch(/\[done\] step 6: loss on the first copy/);
    setDisplaySink(null);
    model.dispose();
  });

  it('can train on the copyable positions only', async () => {
    const model = new GPT(tiny);
    const data = new InductionBatches({ vocabSize: 12, seqLen: [3, 7], prefixLen: [0, 2], batchSize: 4, seed: 1 });
    const seen: number[] = [];
    const before = tf.memory().numTensors;
    const run = await trainInduction(model, data, { steps: 3, learningRate: 1e-3, recordEvery: 3, evalBatchSize: 4, live: false, lossOn: 'secondCopy', onRecord: step => seen.push(step) });
    expect(tf.memory().numTensors).toBe(before);
    expect(seen).toEqual([0, 3]);
    expect(run.history.trainLoss.value.every(Number.isFinite)).toBe(true);
    // the first step's loss is that of the untrained model on the first batch, at the copyable positions only
    const untrained = new GPT(tiny);
    const first = new InductionBatches({ vocabSize: 12, seqLen: [3, 7], prefixLen: [0, 2], batchSize: 4, seed: 1 }).next();
    const s = await headScores(untrained, first);
    expect(run.history.trainLoss.value[0]).toBeCloseTo(s.secondCopyLoss, 5);
    expect(Math.abs(s.secondCopyLoss - s.lossByPosition.reduce((a, b) => a + b) / 16)).toBeGreaterThan(1e-3); // the loss at every position differs
    tf.dispose([first.x, first.y]);
    untrained.dispose();
    model.dispose();
  });

  it('stops on an interrupt (the Trainer\'s), recording the scores of the step it stopped at', async () => {
    const model = new GPT(tiny);
    const data = new InductionBatches({ vocabSize: 12, seqLen: [3, 7], prefixLen: [0, 2], batchSize: 4, seed: 1 });
    const interrupt = (step: number) => step === 0 && setTimeout(() => process.emit('SIGINT'), 5);
    const run = await trainInduction(model, data, { steps: 500, learningRate: 1e-3, recordEvery: 400, evalBatchSize: 4, live: false, onRecord: interrupt });
    expect(run.history.status).toBe('interrupted');
    expect(run.step).toBeLessThan(400);
    expect(run.history.steps.at(-1)).toBe(run.step);
    expect(run.history.message).toBe(`interrupted after step ${run.step} of 500; the model keeps the weights of step ${run.step}`);
    expect(process.listenerCount('SIGINT')).toBe(0);
    model.dispose();
  });

  it('rejects data longer than the model context', () => {
    const model = new GPT(tiny);
    const data = new InductionBatches({ vocabSize: 12, seqLen: 10, batchSize: 2, seed: 1 });
    expect(() => new InductionRecorder(model, data)).toThrow(/rows have 20 tokens, more than the model's blockSize 16/);
    model.dispose();
  });

  it('shows the induction head on a repeated sequence through the attention view', async () => {
    const model = new GPT(tiny);
    const tok = new SymbolTokenizer(12);
    const text = repeatedText(tok, 6, { seed: 2 });
    const spec = await attentionSpec(model, tok, text, { layer: 1, head: 0 });
    expect(spec.tokens).toEqual([...text]); // one symbol per token: the sequence, then the same again
    expect(spec.tokens.slice(6)).toEqual(spec.tokens.slice(0, 6));
    expect([spec.weights.length, spec.layer, spec.head]).toEqual([2, 1, 0]);
    model.dispose();
  });
});

describe('induction view', () => {
  const record = (t: number) => ({
    prevToken: [[0.1 + 0.8 * t, 0.1], [0.1, 0.1]],
    induction: [[0.05, 0.05], [0.05 + 0.8 * t, 0.05]],
    firstCopyLoss: 3.4,
    secondCopyLoss: 3.4 - 3 * t,
    firstCopyAccuracy: 0.03,
    secondCopyAccuracy: 0.03 + 0.9 * t,
    lossByPosition: []
  });
  const history: InductionHistory = {
    title: 'Heads <forming> & "copying"',
    vocabSize: 30,
    nLayer: 2,
    nHead: 2,
    steps: [0, 100, 200],
    records: [record(0), record(0.5), record(1)],
    trainLoss: { step: [1, 2], value: [3.4, 3.3] },
    status: 'done'
  };

  it('draws every layer and head and both copies, with its text escaped', () => {
    const b = inductionBundle(history);
    const svg = b['image/svg+xml'];
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Heads &lt;forming&gt; &amp; &quot;copying&quot;');
    expect(svg).not.toContain('<forming>');
    expect(svg).toContain("layer 1: induction score");
    expect((svg.match(/<polyline/g) ?? []).length).toBe(2 * 2 * 2 + 2); // layers x kinds x heads + 2 losses
    expect(b['text/plain']).toBe(inductionText(history));
    expect(inductionText(history)).toMatch(/second copy 0\.400 .*strongest previous-token head: layer 0 head 0 \(0\.90\); strongest induction head: layer 1 head 0 \(0\.85\)/);
  });
});
