import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mobyDickChapters } from '../../kernel-lib/src/data/corpus';
import {
  BOS_ID, corruptSpans, denoisingPairs, EOS_ID, FIRST_ID, MASK_ID, PAD_ID, randomStrings, reversalPairs, Seq2SeqBatches,
  seq2seqBatch, Seq2SeqChars, sentencesOf, SPECIAL_TOKENS, wordsOf
} from '../../kernel-lib/src/data/seq2seq';
import { seededRandom } from '../../kernel-lib/src/random';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { onCpu } from './helpers';

beforeAll(onCpu);

describe('seq2seq data', () => {
  it('random strings: seeded, lengths and symbols in range; reversal pairs', () => {
    const o = { symbols: 5, minLength: 2, maxLength: 4, seed: 7 };
    const strings = randomStrings(500, o);
    expect(randomStrings(500, o)).toEqual(strings);
    expect(randomStrings(500, { ...o, seed: 8 })).not.toEqual(strings);
    expect(new Set(strings.map(s => s.length))).toEqual(new Set([2, 3, 4]));
    expect(new Set(strings.flat())).toEqual(new Set([4, 5, 6, 7, 8]));
    expect(reversalPairs([[4, 5, 6]])).toEqual([{ src: [4, 5, 6], tgt: [6, 5, 4] }]);
    expect(() => randomStrings(1, { ...o, minLength: 5 })).toThrow('minLength 5, maxLength 4');
  });

  it('a batch pads sources with PAD, starts targets with BOS, ends them with EOS and labels padding -1', async () => {
    const b = seq2seqBatch([{ src: [4, 5, 6], tgt: [6, 5, 4] }, { src: [7], tgt: [7, 8] }], 8);
    expect(await b.src.array()).toEqual([[4, 5, 6], [7, PAD_ID, PAD_ID]]);
    expect(b.srcLengths).toEqual([3, 1]);
    expect(await b.tgtIn.array()).toEqual([[BOS_ID, 6, 5, 4], [BOS_ID, 7, 8, PAD_ID]]);
    expect(await b.tgtOut.array()).toEqual([[6, 5, 4, EOS_ID], [7, 8, EOS_ID, -1]]);
    expect(b.srcMask.shape).toEqual([2, 1, 1, 3]);
    expect(Array.from(await b.srcMask.data()).map(v => (v < 0 ? 'x' : '.')).join('')).toBe('...' + '.xx');
    tf.dispose(b);
    expect(() => seq2seqBatch([{ src: [4, 5], tgt: [4, 5, 6] }], 3)).toThrow('the longest source (2) and target + 1 (4) must fit in blockSize 3');
  });

  it('batches of a fixed set of pairs are reproducible from the seed', async () => {
    const pairs = reversalPairs(randomStrings(50, { symbols: 9, minLength: 1, maxLength: 6, seed: 1 }));
    const a = new Seq2SeqBatches(pairs, 4, 8, 3).next();
    const b = new Seq2SeqBatches(pairs, 4, 8, 3).next();
    expect(await a.src.array()).toEqual(await b.src.array());
    tf.dispose([a, b]);
  });

  it('span corruption hides about `rate` of the tokens, one mask per span, and the target is the original', () => {
    const rng = seededRandom(2);
    const ids = Array.from({ length: 40 }, (_, i) => FIRST_ID + (i % 30));
    let hidden = 0;
    let total = 0;
    for (let n = 0; n < 500; n++) {
      const out = corruptSpans(ids, { rate: 0.15, meanSpan: 3 }, rng);
      expect(out).toContain(MASK_ID);
      for (let i = 1; i < out.length; i++) expect(out[i] === MASK_ID && out[i - 1] === MASK_ID).toBe(false); // no two masks in a row
      // The kept tokens are the original ones, in order.
      const kept = out.filter(id => id !== MASK_ID);
      let j = 0;
      for (const id of ids) if (j < kept.length && kept[j] === id) j++;
      expect(j).toBe(kept.length);
      hidden += ids.length - kept.length;
      total += ids.length;
    }
    // The mean span of 3 and the clipping at the end give a little less than 0.15.
    expect(hidden / total).toBeGreaterThan(0.11);
    expect(hidden / total).toBeLessThan(0.17);
    expect(corruptSpans([4], { rate: 0.01 }, rng)).toEqual([MASK_ID]); // at least one span
  });

  it('denoising pairs from Moby Dick sentences, and reversal of its words', () => {
    const text = mobyDickChapters().slice(0, 3).map(d => d.text).join('\n');
    const chars = Seq2SeqChars.fromText(text);
    const sentences = sentencesOf(text, 20, 60);
    expect(sentences.length).toBeGreaterThan(20);
    sentences.forEach(s => expect(s).not.toMatch(/\s\s|\n/));
    const pairs = denoisingPairs(sentences.map(s => chars.encode(s)), { rate: 0.2, seed: 1 });
    expect(denoisingPairs(sentences.map(s => chars.encode(s)), { rate: 0.2, seed: 1 })).toEqual(pairs);
    expect(chars.decode(pairs[0].tgt)).toBe(sentences[0]);
    expect(chars.decode(pairs[0].src)).toContain('<mask>');
    expect(Math.min(...pairs.flatMap(p => p.tgt))).toBeGreaterThanOrEqual(FIRST_ID);

    const words = wordsOf(text, 4, 10);
    expect(words).toContain('whale');
    const [pair] = reversalPairs([chars.encode('whale')]);
    expect(chars.decode(pair.tgt)).toBe('elahw');
    expect(chars.vocabSize).toBe(FIRST_ID + chars.chars.vocabSize);
  });

  it('Seq2SeqChars has the special tokens the batches use, before the characters', () => {
    const chars = Seq2SeqChars.fromText('ba');
    expect(chars.specialTokens).toEqual({ pad: PAD_ID, bos: BOS_ID, eos: EOS_ID, mask: MASK_ID });
    expect([PAD_ID, BOS_ID, EOS_ID, MASK_ID, FIRST_ID]).toEqual([0, 1, 2, 3, 4]);
    expect(SPECIAL_TOKENS).toEqual(['<pad>', '<bos>', '<eos>', '<mask>']);
    expect(chars.encode('ab')).toEqual([FIRST_ID, FIRST_ID + 1]);
    const ids = [BOS_ID, FIRST_ID, MASK_ID, FIRST_ID + 1, EOS_ID, PAD_ID];
    expect(chars.decode(ids)).toBe('<bos>a<mask>b<eos><pad>');
    expect(chars.decode(ids, { skipSpecialTokens: true })).toBe('ab');
    expect(chars.tokenStrings(ids)).toEqual(['<bos>', 'a', '<mask>', 'b', '<eos>', '<pad>']);
    expect(() => new Seq2SeqChars(CharTokenizer.fromText('ab', { specialTokens: ['mask'] }))).toThrow('Seq2SeqChars: the character tokenizer must have no special tokens of its own (it has mask)');
  });
});
