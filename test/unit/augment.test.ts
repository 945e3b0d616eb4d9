import { describe, expect, it } from 'vitest';
import { augmentExamples, randomDeletion, randomSwap } from '../../kernel-lib/src/data/augment';

const sentence = 'the  film was\tnot good at all';
const many = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');

/** Whether `sub` is `all` with some words left out, the rest in their order. */
function isSubsequence(sub: string[], all: string[]): boolean {
  let j = 0;
  for (const w of all) if (j < sub.length && sub[j] === w) j++;
  return j === sub.length;
}

describe('randomDeletion', () => {
  it('with p = 0 keeps every word, joined by single spaces', () => {
    expect(randomDeletion(sentence, { p: 0, seed: 1 })).toBe('the film was not good at all');
  });

  it('leaves out about a fraction p of the words and keeps the others in order', () => {
    const kept = randomDeletion(many, { p: 0.25, seed: 3 }).split(' ');
    expect(isSubsequence(kept, many.split(' '))).toBe(true);
    // 400 words, deleted ~ Binomial(400, 0.25): mean 100, sd 8.7
    expect(400 - kept.length).toBeGreaterThan(70);
    expect(400 - kept.length).toBeLessThan(130);
  });

  it('keeps one of the words when every word would go', () => {
    const out = randomDeletion('alpha beta gamma', { p: 0.999999, seed: 2 });
    expect(['alpha', 'beta', 'gamma']).toContain(out);
  });

  it('is seeded: the same seed gives the same text, another seed another', () => {
    expect(randomDeletion(many, { p: 0.3, seed: 5 })).toBe(randomDeletion(many, { p: 0.3, seed: 5 }));
    expect(randomDeletion(many, { p: 0.3, seed: 5 })).not.toBe(randomDeletion(many, { p: 0.3, seed: 6 }));
  });

  it('rejects p outside [0, 1), naming it', () => {
    expect(() => randomDeletion(sentence, { p: 1, seed: 0 })).toThrow('p must be in [0, 1), got 1');
  });
});

describe('randomSwap', () => {
  it('one swap trades exactly one word with its neighbour', () => {
    const before = sentence.split(/\s+/);
    for (let seed = 0; seed < 20; seed++) {
      const after = randomSwap(sentence, { swaps: 1, seed }).split(' ');
      const changed = after.map((w, i) => (w !== before[i] ? i : -1)).filter(i => i >= 0);
      expect(changed.length, `seed ${seed}`).toBe(2);
      const [i, j] = changed;
      expect(j).toBe(i + 1);
      expect([after[i], after[j]]).toEqual([before[j], before[i]]);
    }
  });

  it('keeps the words (only their order changes), and leaves a text of one word or zero swaps as it is', () => {
    const out = randomSwap(many, { swaps: 50, seed: 4 });
    expect(out.split(' ').sort()).toEqual(many.split(' ').sort());
    expect(out).not.toBe(many);
    expect(randomSwap('alone', { swaps: 3, seed: 1 })).toBe('alone');
    expect(randomSwap(sentence, { swaps: 0, seed: 1 })).toBe('the film was not good at all');
  });

  it('rejects a swaps that is not an integer >= 0, naming it', () => {
    expect(() => randomSwap(sentence, { swaps: 1.5, seed: 0 })).toThrow('swaps must be an integer >= 0, got 1.5');
  });
});

describe('augmentExamples', () => {
  const examples = [
    { text: 'a truly wonderful and moving film', label: 1 },
    { text: 'dull slow and far too long', label: 0 }
  ];

  it('returns the examples, then copies edited copies of each with their labels', () => {
    const out = augmentExamples(examples, { copies: 3, p: 0.2, swaps: 1, seed: 9 });
    expect(out.length).toBe(8);
    expect(out.slice(0, 2)).toEqual(examples);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 2; i++) {
        const copy = out[2 + 2 * c + i];
        expect(copy.label).toBe(examples[i].label);
        const words = examples[i].text.split(' ');
        for (const w of copy.text.split(' ')) expect(words).toContain(w);
      }
    }
    expect(augmentExamples(examples, { copies: 3, p: 0.2, swaps: 1, seed: 9 })).toEqual(out);
  });

  it('rejects a copies that is not an integer >= 0, naming it', () => {
    expect(() => augmentExamples(examples, { copies: -1, seed: 0 })).toThrow('copies must be an integer >= 0, got -1');
  });
});
