/**
 * The pretraining objectives (and the induction task's) behind one Trainer: what they evaluate, that evaluation is
 * repeatable (the same held-out batches every time), and that a step leaks no tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { headScores, HELD_OUT_SEED } from '../../kernel-lib/src/lessons/induction/scores';
import { InductionBatches } from '../../kernel-lib/src/lessons/induction/data';
import { evalWindows } from '../../kernel-lib/src/data/clm';
import { maskTokens } from '../../kernel-lib/src/data/mlm';
import { denoisingPairs, EOS_ID, seq2seqBatch, Seq2SeqChars } from '../../kernel-lib/src/data/seq2seq';
import { BERT } from '../../kernel-lib/src/models/bert';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { Seq2Seq } from '../../kernel-lib/src/models/seq2seq';
import { seededRandom } from '../../kernel-lib/src/random';
import { inductionObjective } from '../../kernel-lib/src/lessons/induction/objective';
import { maskedLM } from '../../kernel-lib/src/train/mlmObjective';
import { causalLM } from '../../kernel-lib/src/train/objective';
import { seq2seqObjective } from '../../kernel-lib/src/train/seq2seqObjective';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { onCpu } from './helpers';

const stream = (n: number, v = 10) => Int32Array.from({ length: n }, (_, i) => (i * 7 + (i >> 3)) % v);
const size = { blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, seed: 3 };

/** One row of logits scored by hand: is its argmax the target, and its cross-entropy (nats). */
function score(row: number[], target: number): { right: boolean; loss: number } {
  const max = Math.max(...row);
  const logSumExp = max + Math.log(row.reduce((s, z) => s + Math.exp(z - max), 0));
  return { right: row.indexOf(max) === target, loss: logSumExp - row[target] };
}

async function stepsLeakNothing(trainer: Trainer): Promise<void> {
  await trainer.trainStep();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) expect(await trainer.trainStep()).not.toBeNull();
  await trainer.evaluate();
  expect(tf.memory().numTensors).toBe(before);
}

describe('objectives', () => {
  it('causal LM: perplexity is exp(loss), and evaluation is repeatable', async () => {
    await onCpu();
    const model = new GPT({ vocabSize: 10, ...size });
    const objective = causalLM(model, { train: stream(300), val: stream(100) }, { batchSize: 4 });
    const a = await objective.evaluate();
    expect(a.metrics.perplexity).toBeCloseTo(Math.exp(a.loss), 5);
    expect(await objective.evaluate()).toEqual(a);
    expect(objective.tokensPerBatch).toBe(32);
    const trainer = new Trainer(objective, { steps: 20, learningRate: 1e-2, live: false });
    await stepsLeakNothing(trainer);
    trainer.dispose();
    model.dispose();
  });

  it('masked LM: loss, perplexity and accuracy over the hidden tokens only; the same masks at every evaluation', async () => {
    await onCpu();
    const model = new BERT({ vocabSize: 11, ...size });
    const val = stream(100);
    const objective = maskedLM(model, { train: stream(300), val }, { batchSize: 4, maskId: 10, evalBatches: 8 });
    const fed: number[][] = []; // the inputs evaluate() gives the model
    const forward = model.forward.bind(model);
    model.forward = (ids, mask) => (fed.push(Array.from((ids as tf.Tensor).dataSync())), forward(ids, mask));
    const a = await objective.evaluate();
    model.forward = forward;
    // The same by hand: the held-out windows (evalWindows), masked with the evaluation's seeds
    // (1000 + batch), scored at the hidden positions (label >= 0) only.
    let right = 0, loss = 0, hidden = 0, rightAnywhere = 0;
    evalWindows(val, 7, 4, 8).forEach((starts, i) => {
      const ids = starts.flatMap(s => Array.from(val.subarray(s, s + 8)));
      const { input, labels } = maskTokens(ids, { maskId: 10, vocabSize: 11 }, seededRandom(1000 + i));
      expect(Array.from(input)).toEqual(fed[i]);
      const logits = tf.tidy(() => model.forward(tf.tensor2d(input, [4, 8], 'int32')).arraySync()) as number[][][];
      ids.forEach((id, p) => {
        const s = score(logits[p >> 3][p % 8], id); // a label is the original id
        rightAnywhere += Number(s.right);
        if (labels[p] < 0) return;
        right += Number(s.right);
        loss += s.loss;
        hidden++;
      });
    });
    expect(a.metrics.accuracy).toBe(right / hidden);
    expect(a.loss).toBeCloseTo(loss / hidden, 5);
    // the case tells the counts apart: some hidden tokens right, some wrong, and another share over every position
    expect(right > 0 && right < hidden && rightAnywhere / (8 * 4 * 8) !== right / hidden).toBe(true);
    expect(a.metrics.perplexity).toBeCloseTo(Math.exp(a.loss), 5);
    expect(await objective.evaluate()).toEqual(a);
    const batch = await objective.nextBatch();
    const labelled = Array.from(batch.labels).filter(l => l >= 0).length;
    expect(labelled).toBeGreaterThan(0);
    expect(labelled).toBeLessThan(batch.labels.length / 2); // about 15%
    objective.disposeBatch(batch);
    const trainer = new Trainer(objective, { steps: 20, learningRate: 1e-2, live: false });
    await stepsLeakNothing(trainer);
    expect(() => maskedLM(model, { train: stream(300), val: stream(100) }, { batchSize: 4, maskId: 11 })).toThrow('maskId 11 is outside the vocabulary [0, 11)');
    trainer.dispose();
    model.dispose();
  });

  it('seq2seq: token accuracy over real target tokens (with EOS, not padding); samples decode a held-out source', async () => {
    await onCpu();
    const chars = Seq2SeqChars.fromText('abcdefgh');
    const seqs = ['abcdef', 'hgfedc', 'bad', 'cafe', 'face', 'bead', 'deaf', 'fade'].map(s => chars.encode(s));
    const pairs = { train: denoisingPairs(seqs, { seed: 1 }), val: denoisingPairs(seqs.slice(0, 3), { seed: 2 }) };
    const model = new Seq2Seq({ vocabSize: chars.vocabSize, ...size, positions: 'rope' });
    const objective = seq2seqObjective(model, pairs, { batchSize: 4, tokenizer: chars });
    const a = await objective.evaluate();
    // the evaluation equals the model's own loss on the held-out batch (mean over 7 + 7 + 4 target tokens)
    const b = seq2seqBatch(pairs.val, 8);
    expect(a.loss).toBeCloseTo((await model.loss(b.src, b.tgtIn, b.tgtOut, b.srcMask).data())[0], 5);
    // and its accuracy is the share of right argmaxes at those 18 positions (each EOS included, padding not)
    const logits = tf.tidy(() => model.forward(b.src, b.tgtIn, { srcMask: b.srcMask }).logits.arraySync()) as number[][][];
    const targets = (await b.tgtOut.array()) as number[][];
    tf.dispose(b);
    const right = targets.flatMap((row, i) => row.flatMap((y, t) => (y >= 0 ? [score(logits[i][t], y).right] : [])));
    expect(right).toHaveLength(7 + 7 + 4);
    expect(a.metrics.accuracy).toBe(right.filter(Boolean).length / right.length);
    // a model that always answers EOS is right at the 3 ends of those targets, and nowhere else
    const forward = model.forward.bind(model);
    model.forward = (src, tgtIn, options) => {
      const { logits } = forward(src, tgtIn, options);
      return { logits: tf.oneHot(tf.fill(logits.shape.slice(0, 2), EOS_ID, 'int32'), chars.vocabSize).toFloat() };
    };
    expect((await objective.evaluate()).metrics.accuracy).toBe(3 / 18);
    model.forward = forward;
    expect(await objective.sample!(0)).toMatch(/^ab<mask>ef  ->  [a-h]+$/); // the first held-out pair: source, then the greedy output
    const trainer = new Trainer(objective, { steps: 20, learningRate: 1e-2, live: false });
    await stepsLeakNothing(trainer);
    const tooLong = { train: [{ src: [5, 6], tgt: Array(8).fill(5) }], val: pairs.val };
    expect(() => seq2seqObjective(model, tooLong, { batchSize: 2 })).toThrow('a pair with source 2 and target 8 tokens does not fit blockSize 8 (target + 1)');
    trainer.dispose();
    model.dispose();
  });

  it('induction: the copy losses and accuracies of lessons/induction/scores.ts as metrics; lossOn picks the trained positions', async () => {
    await onCpu();
    const model = new GPT({ vocabSize: 12, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 8, seed: 1, mlp: false });
    const data = new InductionBatches({ vocabSize: 12, seqLen: [3, 7], prefixLen: [0, 2], batchSize: 4, seed: 1 });
    const all = inductionObjective(model, data, { evalBatchSize: 8 });
    const a = await all.evaluate();
    expect(await all.evaluate()).toEqual(a);
    const heldOut = data.withBatch(8, HELD_OUT_SEED).next();
    const s = await headScores(model, heldOut);
    tf.dispose([heldOut.x, heldOut.y]);
    expect(a.metrics).toEqual({ firstCopyLoss: s.firstCopyLoss, secondCopyLoss: s.secondCopyLoss, firstCopyAccuracy: s.firstCopyAccuracy, secondCopyAccuracy: s.secondCopyAccuracy });
    expect(a.loss).toBeCloseTo(s.lossByPosition.reduce((x, y) => x + y) / s.lossByPosition.length, 5);
    expect(all.tokensPerBatch).toBe(4 * 16); // rows of longest prefix + 2 x longest sequence
    // lossOn 'secondCopy': the loss of a batch is the mean over its copyable positions only
    const copy = inductionObjective(model, data, { evalBatchSize: 8, lossOn: 'secondCopy' });
    const batch = await copy.nextBatch();
    const loss = tf.tidy(() => copy.loss(batch));
    expect((await loss.data())[0]).toBeCloseTo((await headScores(model, batch)).secondCopyLoss, 5);
    loss.dispose();
    copy.disposeBatch(batch);
    expect((await copy.evaluate()).loss).toBe(a.metrics.secondCopyLoss);
    const trainer = new Trainer(copy, { steps: 20, learningRate: 1e-2, live: false });
    await stepsLeakNothing(trainer);
    expect(() => inductionObjective(model, data, { lossOn: 'first' as 'all' })).toThrow(`lossOn must be 'all' or 'secondCopy', got "first"`);
    const long = new InductionBatches({ vocabSize: 12, seqLen: 10, batchSize: 2, seed: 1 });
    expect(() => inductionObjective(model, long)).toThrow("inductionObjective: the data's rows have 20 tokens, more than the model's blockSize 16");
    trainer.dispose();
    model.dispose();
  });
});
