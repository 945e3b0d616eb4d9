import { describe, expect, it } from 'vitest';
import { maskingOptions, maskTokens } from '../../kernel-lib/src/data/mlm';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';

describe('BERT masking', () => {
  const n = 200_000;
  const ids = Int32Array.from({ length: n }, (_, i) => 5 + (i % 90)); // ids 5..94; 0..4 are special
  const { input, labels } = maskTokens(ids, { maskId: 1, vocabSize: 100, seed: 3, special: new Set([0]) });

  it('picks 15% of the positions; of those 80% [MASK], 10% random, 10% unchanged', () => {
    const picked = [...labels.keys()].filter(i => labels[i] >= 0);
    // binomial: the standard error of 15% of 200k is 0.08%; of 80% of 30k, 0.23%
    expect(picked.length / n).toBeCloseTo(0.15, 2);
    const masked = picked.filter(i => input[i] === 1).length / picked.length;
    const unchanged = picked.filter(i => input[i] === ids[i]).length / picked.length;
    const random = 1 - masked - unchanged;
    expect(Math.abs(masked - 0.8)).toBeLessThan(0.01);
    // a random replacement can draw the original token (1 in 100): unchanged gets 0.1 + 0.1 * 0.01
    expect(Math.abs(unchanged - 0.101)).toBeLessThan(0.01);
    expect(Math.abs(random - 0.099)).toBeLessThan(0.01);
    expect(picked.filter(i => labels[i] !== ids[i])).toEqual([]);
  });

  it('leaves the other positions as they were, skips special ids, and names bad options', () => {
    let changed = 0;
    for (let i = 0; i < n; i++) if (labels[i] < 0 && input[i] !== ids[i]) changed++;
    expect(changed).toBe(0);
    const withSpecial = maskTokens(new Int32Array(1000).fill(0), { maskId: 1, vocabSize: 100, special: new Set([0]) });
    expect(withSpecial.labels.every(l => l === -1)).toBe(true);
    expect(() => maskTokens(ids, { maskId: 100, vocabSize: 100 })).toThrow('maskId 100 is outside the vocabulary [0, 100)');
    expect(() => maskTokens(ids, { maskId: 1, vocabSize: 100, rate: 1.5 })).toThrow('rate must be in (0, 1), got 1.5');
  });

  it("takes the [MASK] id, the vocabulary and the ids never picked from the tokenizer's special tokens", () => {
    const tok = CharTokenizer.fromText('abcdefgh', { specialTokens: ['pad', 'mask'] });
    const options = maskingOptions(tok, { rate: 0.5, seed: 1 });
    expect(options).toEqual({ maskId: 9, vocabSize: 10, special: new Set([8, 9]), rate: 0.5, seed: 1 });
    const ids = tok.encode('abcdefgh'.repeat(50) + '<pad>'.repeat(50));
    const { input, labels } = maskTokens(ids, options);
    expect(labels.slice(400).every(l => l === -1)).toBe(true); // no <pad> is picked
    expect(tok.decode(input).split('<mask>').length).toBeGreaterThan(100);
    expect(() => maskingOptions(CharTokenizer.fromText('ab'))).toThrow('masked language modelling: the tokenizer has no mask token (its special tokens: none)');
  });
});
