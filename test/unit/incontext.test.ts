/**
 * In-context task sequences: every output follows its sequence's one mapping, shift inputs never
 * repeat, held-out substitution codes appear only in the test split, and accuracyByShots reads the
 * prediction after k pairs.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { accuracyByShots, describeShots, IN_CONTEXT_SYMBOLS, inContextSequences, isHeldOutCode } from '../../kernel-lib/src/data/incontext';
import { GPT } from '../../kernel-lib/src/models/gpt';

const codeTable = (mapping: string) => mapping.split(' ').map(p => p.split('→')[1]).join('');

describe('inContextSequences', () => {
  const train = inContextSequences({ count: 400, pairs: 9, split: 'train', seed: 1 });
  const test = inContextSequences({ count: 400, pairs: 9, split: 'test', seed: 2 });

  it('gives every output by its sequence\'s mapping: x + c mod 10 for a shift, the code\'s letter for a substitution', () => {
    for (const s of [...train, ...test]) {
      if (s.family === 'shift') {
        const c = Number(s.mapping.slice(1));
        expect(c).toBeGreaterThanOrEqual(1);
        expect(c).toBeLessThanOrEqual(9);
        for (const [x, y] of s.pairs) expect(Number(y)).toBe((Number(x) + c) % 10);
      } else {
        const code = new Map(s.mapping.split(' ').map(p => p.split('→') as [string, string]));
        expect(new Set(code.values()).size).toBe(8); // one-to-one
        for (const [x, y] of s.pairs) expect(y).toBe(code.get(x));
      }
    }
    expect(new Set(train.map(s => s.family))).toEqual(new Set(['shift', 'substitution']));
  });

  it('never repeats an input within a shift sequence', () => {
    for (const s of train.filter(s => s.family === 'shift')) expect(new Set(s.pairs.map(([x]) => x)).size).toBe(s.pairs.length);
  });

  it('draws held-out substitution codes only in the test split, and only those there', () => {
    const codes = (seqs: typeof train) => seqs.filter(s => s.family === 'substitution').map(s => codeTable(s.mapping));
    expect(codes(train).length).toBeGreaterThan(100);
    expect(codes(train).filter(isHeldOutCode)).toEqual([]);
    expect(codes(test).length).toBeGreaterThan(100);
    expect(codes(test).every(isHeldOutCode)).toBe(true);
  });

  it('encodes x1 y1 x2 y2 ... as symbol ids, with the loss mask on the outputs', () => {
    const s = train[0];
    expect(s.ids).toEqual(s.pairs.flat().map(ch => IN_CONTEXT_SYMBOLS.indexOf(ch)));
    expect(s.lossMask).toEqual(s.pairs.flatMap(() => [0, 1]));
  });

  it('is the same for the same seed', () => {
    expect(inContextSequences({ count: 20, pairs: 5, split: 'train', seed: 3 })).toEqual(inContextSequences({ count: 20, pairs: 5, split: 'train', seed: 3 }));
  });

  it('names the bad option and its value', () => {
    expect(() => inContextSequences({ count: 1, pairs: 11, split: 'train', seed: 1 })).toThrow('pairs must be an integer in [1, 10], got 11');
    expect(() => inContextSequences({ count: 0, pairs: 3, split: 'train', seed: 1 })).toThrow('count must be a positive integer, got 0');
  });
});

describe('describeShots', () => {
  it('shows k pairs and the next input with a question mark', () => {
    const s = { family: 'shift' as const, mapping: '+3', pairs: [['3', '6'], ['5', '8'], ['1', '4']] as [string, string][], ids: [], lossMask: [] };
    expect(describeShots(s, 2)).toBe('3→6 5→8 1→?');
    expect(describeShots(s, 0)).toBe('3→?');
    expect(() => describeShots(s, 3)).toThrow('shots must be an integer in [0, 2], got 3');
  });
});

describe('accuracyByShots', () => {
  it('scores the prediction at each input against the output after it, and frees its tensors', async () => {
    await tf.setBackend('cpu');
    const seqs = inContextSequences({ count: 8, pairs: 4, split: 'test', seed: 4 });
    const model = new GPT({ vocabSize: IN_CONTEXT_SYMBOLS.length, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16, seed: 1 });
    const logits = tf.tidy(() => model.forward(tf.tensor2d(seqs.map(s => s.ids), [8, 8], 'int32')).logits.argMax(-1).arraySync() as number[][]);
    const expected = [0, 1, 2, 3].map(k => seqs.filter((s, b) => logits[b][2 * k] === s.ids[2 * k + 1]).length / 8);
    const before = tf.memory().numTensors;
    const { accuracy, seenBefore } = await accuracyByShots(model, seqs, 3);
    expect(tf.memory().numTensors).toBe(before);
    expect(accuracy).toEqual(expected);
    expect(seenBefore[0]).toBe(0);
    const seen3 = seqs.filter(s => s.pairs.slice(0, 3).some(([x]) => x === s.pairs[3][0])).length / 8;
    expect(seenBefore[3]).toBe(seen3);
    model.dispose();
  });
});
