/**
 * In-context task sequences: every output follows its sequence's one mapping, shift inputs never
 * repeat, held-out substitution codes appear only in the test split, each example is one token, and
 * accuracyByShots reads the prediction after k examples.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { accuracyByShots, describeShots, IN_CONTEXT_TOKENS, inContextSequences, inContextTokenId, isHeldOutCode } from '../../kernel-lib/src/data/incontext';
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

  it('writes x1 [x1→y1] x2 [x2→y2] ...: each input, then its example as one token, with the loss mask on the examples', () => {
    for (const s of [train.find(t => t.family === 'shift')!, train.find(t => t.family === 'substitution')!]) {
      expect(s.ids.map(id => IN_CONTEXT_TOKENS[id])).toEqual(s.pairs.flatMap(([x, y]) => [x, `${x}→${y}`]));
      expect(s.lossMask).toEqual(s.pairs.flatMap(() => [0, 1]));
    }
    expect(IN_CONTEXT_TOKENS.length).toBe(18 + 100 + 64);
    expect(new Set(IN_CONTEXT_TOKENS).size).toBe(IN_CONTEXT_TOKENS.length);
    expect(() => inContextTokenId('3→a')).toThrow('"3→a" is not a symbol (0123456789abcdefgh) nor an example of two digits or two letters');
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
  it('scores the prediction at each input against the example token after it, and frees its tensors', async () => {
    await tf.setBackend('cpu');
    const seqs = inContextSequences({ count: 8, pairs: 4, split: 'test', seed: 4 });
    const model = new GPT({ vocabSize: IN_CONTEXT_TOKENS.length, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16, seed: 1 });
    const logits = tf.tidy(() => model.forward(tf.tensor2d(seqs.map(s => s.ids), [8, 8], 'int32')).logits.argMax(-1).arraySync() as number[][]);
    const expected = [0, 1, 2, 3].map(k => seqs.filter((s, b) => logits[b][2 * k] === s.ids[2 * k + 1]).length / 8);
    const before = tf.memory().numTensors;
    const { accuracy, seenBefore, onSeen, onNew } = await accuracyByShots(model, seqs, 3);
    expect(tf.memory().numTensors).toBe(before);
    expect(accuracy).toEqual(expected);
    // the accuracy is the seen and the new questions' accuracies, weighted by their shares
    for (let k = 1; k < 4; k++) {
      const parts = (Number.isNaN(onSeen[k]) ? 0 : seenBefore[k] * onSeen[k]) + (Number.isNaN(onNew[k]) ? 0 : (1 - seenBefore[k]) * onNew[k]);
      expect(parts).toBeCloseTo(accuracy[k], 12);
    }
    expect(onSeen[0]).toBeNaN(); // nothing is seen before the first example
    expect(seenBefore[0]).toBe(0);
    const seen3 = seqs.filter(s => s.pairs.slice(0, 3).some(([x]) => x === s.pairs[3][0])).length / 8;
    expect(seenBefore[3]).toBe(seen3);
    model.dispose();
  });

  it('gives the accuracy of a perfect in-context learner beside it, worked out by hand for two sequences', async () => {
    await tf.setBackend('cpu');
    const model = new GPT({ vocabSize: IN_CONTEXT_TOKENS.length, blockSize: 6, nLayer: 1, nHead: 2, nEmbd: 16, seed: 1 });
    const of = (family: 'shift' | 'substitution', pairs: [string, string][]) => ({ family, mapping: '', pairs, lossMask: [], ids: pairs.flatMap(([x, y]) => [inContextTokenId(x), inContextTokenId(`${x}→${y}`)]) });
    const shift = of('shift', [['1', '3'], ['4', '6'], ['0', '2']]);
    const code = of('substitution', [['a', 'c'], ['b', 'e'], ['a', 'c']]);
    const { ideal, seenBefore } = await accuracyByShots(model, [shift, code]);
    // shift: 1/9 before any example, then sure; code: 1/8, then 1/7 for a new input, then sure for a seen one
    expect(ideal[0]).toBeCloseTo((1 / 9 + 1 / 8) / 2, 12);
    expect(ideal[1]).toBeCloseTo((1 + 1 / 7) / 2, 12);
    expect(ideal[2]).toBeCloseTo(1, 12);
    expect(seenBefore).toEqual([0, 0, 0.5]);
    const small = new GPT({ vocabSize: 18, blockSize: 6, nLayer: 1, nHead: 2, nEmbd: 16, seed: 1 });
    await expect(accuracyByShots(small, [shift])).rejects.toThrow("the model's vocabulary has 18 tokens, the in-context tasks need 182");
    model.dispose();
    small.dispose();
  });
});
