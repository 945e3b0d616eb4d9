/**
 * The three pretraining objectives behind one Trainer: what they evaluate, that evaluation is
 * repeatable (the same held-out batches every time), and that a step leaks no tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BOS_ID, denoisingPairs, Seq2SeqChars } from '../../kernel-lib/src/data/seq2seq';
import { BERT } from '../../kernel-lib/src/models/bert';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { Seq2Seq } from '../../kernel-lib/src/models/seq2seq';
import { maskedLM } from '../../kernel-lib/src/train/mlmObjective';
import { causalLM } from '../../kernel-lib/src/train/objective';
import { seq2seqObjective } from '../../kernel-lib/src/train/seq2seqObjective';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { onCpu } from './helpers';

const stream = (n: number, v = 10) => Int32Array.from({ length: n }, (_, i) => (i * 7 + (i >> 3)) % v);
const size = { blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, seed: 3 };

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
    const objective = maskedLM(model, { train: stream(300), val: stream(100) }, { batchSize: 4, maskId: 10 });
    const a = await objective.evaluate();
    expect(a.metrics.accuracy).toBeGreaterThanOrEqual(0);
    expect(a.metrics.accuracy).toBeLessThanOrEqual(1);
    expect(a.metrics.perplexity).toBeCloseTo(Math.exp(a.loss), 5);
    expect(await objective.evaluate()).toEqual(a);
    const batch = objective.nextBatch();
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
    const { seq2seqBatch } = await import('../../kernel-lib/src/data/seq2seq');
    const b = seq2seqBatch(pairs.val, 8);
    expect(a.loss).toBeCloseTo((await model.loss(b.src, b.tgtIn, b.tgtOut, b.srcMask).data())[0], 5);
    tf.dispose(b);
    expect(a.metrics.accuracy).toBeGreaterThanOrEqual(0);
    expect(a.metrics.accuracy).toBeLessThanOrEqual(1);
    expect(await objective.sample!(0)).toMatch(/^ab<mask>ef  ->  [a-h]+$/); // the first held-out pair: source, then the greedy output
    const trainer = new Trainer(objective, { steps: 20, learningRate: 1e-2, live: false });
    await stepsLeakNothing(trainer);
    const tooLong = { train: [{ src: [5, 6], tgt: Array(8).fill(5) }], val: pairs.val };
    expect(() => seq2seqObjective(model, tooLong, { batchSize: 2 })).toThrow('a pair with source 2 and target 8 tokens does not fit blockSize 8 (target + 1)');
    expect(BOS_ID).toBe(1);
    trainer.dispose();
    model.dispose();
  });
});
