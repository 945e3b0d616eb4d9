/**
 * Constitutional AI's parts on tiny models and hand-made texts: a constitution's checks name the
 * bad value; the stand-ins' numbers by hand; the principle draw is seeded, follows the weights and
 * ignores the texts; prefix rewards equal the judge's reward of each prefix; a revision is never
 * worse under the judge than its response; AI-feedback labels are the judge's (a judge whose head
 * is set by hand); no tensor is left behind.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { aiFeedbackPairs, critiqueRevisionPairs, sftExamples } from '../../kernel-lib/src/align/cai';
import { principleScores } from '../../kernel-lib/src/align/caiReport';
import { checkConstitution, Constitution, distinctN, drawPrinciples, Principle, repeatedNgramShare, standInMeasure, standInPreference } from '../../kernel-lib/src/align/constitution';
import { judgeAgreement, prefixRewards, standInPairs } from '../../kernel-lib/src/align/feedbackModel';
import { rewardsOf } from '../../kernel-lib/src/align/reward';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { GPTRewardModel } from '../../kernel-lib/src/models/rewardModel';
import { onCpu } from './helpers';

beforeAll(onCpu);

const config = { vocabSize: 13, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 8, seed: 6 };
const kind: Principle = { name: 'kind', text: 'Choose the response that is kinder and more positive.', standIn: 'afinn' };
const plain: Principle = { name: 'no repetition', text: 'Choose the response that does not repeat itself.', standIn: 'repeatedWords' };

/** A judge on a tiny GPT whose score head is `scale` times a fixed vector: its answers flip with the sign. */
function judge(scale: number, pooling: 'mean' | 'last' = 'mean'): GPTRewardModel {
  const j = GPTRewardModel.fromGPT(new GPT(config), { seed: 1, pooling });
  j.score.weight.assign(tf.tidy(() => tf.range(0, 8).sub(3.5).mul(scale).reshape([1, 8])));
  return j;
}

const prompts = [[1, 2, 3], [4, 5], [6], [7, 8, 9, 10], [11, 12], [2, 4, 6]];

describe('checkConstitution', () => {
  it('names the bad value: no principle, a duplicate name, an unknown stand-in, a weight that is not finite and > 0', () => {
    expect(() => checkConstitution([])).toThrow('constitution: give at least one principle, got []');
    expect(() => checkConstitution([kind, { ...plain, name: 'kind' }])).toThrow('constitution: principle 1: the name "kind" is used twice');
    expect(() => checkConstitution([{ ...kind, standIn: 'politeness' as never }])).toThrow('constitution: principle 0 (kind): unknown stand-in "politeness"; the stand-ins are afinn, liu, repeatedWords, repeatedBigrams');
    expect(() => checkConstitution([kind, { ...plain, weight: NaN }])).toThrow('constitution: principle 1 (no repetition): weight must be a finite number > 0 (how often it is drawn), got NaN');
    expect(() => checkConstitution([{ ...kind, weight: Infinity }])).toThrow('got Infinity');
    expect(() => checkConstitution([{ ...kind, weight: 0 }])).toThrow('got 0');
    expect(() => checkConstitution([{ ...kind, name: '' }])).toThrow('constitution: principle 0: name must be a non-empty string, got ""');
    const c = [kind, { ...plain, weight: 2 }];
    const copy = JSON.stringify(c);
    expect(() => checkConstitution(c)).not.toThrow();
    expect(JSON.stringify(c)).toBe(copy);
  });
});

describe('stand-ins', () => {
  it('measure hand-made texts as computed by hand', () => {
    // "the cat and the cat": 5 words, 3 distinct -> 1 - 3/5; bigrams the-cat, cat-and, and-the, the-cat: 3 of 4 distinct
    expect(repeatedNgramShare('The cat and the cat.', 1)).toBeCloseTo(0.4, 10);
    expect(repeatedNgramShare('The cat and the cat.', 2)).toBeCloseTo(0.25, 10);
    expect(repeatedNgramShare('', 1)).toBe(0);
    // AFINN: "good" +3 over 3 words; the repetition preference is minus the share (higher is better)
    expect(standInMeasure(kind, 'a good day')).toBeCloseTo(1, 10);
    expect(standInMeasure(kind, 'a bad day')).toBeCloseTo(-1, 10);
    expect(standInPreference(plain, 'the cat and the cat')).toBeCloseTo(-0.4, 10);
    // distinct-2 over all texts: a-b, b-a, a-b, c-d -> 3 distinct of 4
    expect(distinctN(['a b a b', 'c d'], 2)).toBeCloseTo(0.75, 10);
    const scores = principleScores([kind, plain], ['a good day', 'the cat and the cat']);
    expect(scores.kind.mean).toBeCloseTo(0.5, 10);
    expect(scores['no repetition'].mean).toBeCloseTo(0.2, 10);
  });

  it('rank pairs: the stand-in best of the samples is chosen, its worst rejected', () => {
    const pairs = standInPairs(kind, ['It was'], [['a bad day', 'a good day', 'a day']]);
    expect(pairs).toEqual([{ prompt: 'It was', chosen: 'a good day', rejected: 'a bad day', scoreChosen: 1, scoreRejected: -1 }]);
    expect(standInPairs(plain, ['It was'], [['a day', 'a day a day']])[0].chosen).toBe('a day');
  });
});

describe('drawPrinciples', () => {
  it('is seeded, follows the weights, and reads no principle text', () => {
    const c: Constitution = [kind, plain];
    const names = (ps: Principle[]) => ps.map(p => p.name);
    expect(names(drawPrinciples(c, 50, 7))).toEqual(names(drawPrinciples(c, 50, 7)));
    expect(names(drawPrinciples(c, 50, 7))).not.toEqual(names(drawPrinciples(c, 50, 8)));
    // editing the texts alone changes nothing
    const reworded = c.map(p => ({ ...p, text: 'Choose the response a pirate would prefer.' }));
    expect(names(drawPrinciples(reworded, 50, 7))).toEqual(names(drawPrinciples(c, 50, 7)));
    // weight 3 : 1 -> 3/4 of the draws; 4000 draws: sd sqrt(0.75 * 0.25 / 4000) = 0.007, the bound is 4 of them
    const share = drawPrinciples([{ ...kind, weight: 3 }, plain], 4000, 1).filter(p => p.name === 'kind').length / 4000;
    expect(Math.abs(share - 0.75)).toBeLessThan(0.028);
    expect(() => drawPrinciples(c, -1, 1)).toThrow('drawPrinciples: count must be an integer >= 0, got -1');
  });
});

describe('the judge', () => {
  it("prefixRewards: the reward of every prefix from one pass, equal to the judge's reward of the prefix alone", async () => {
    for (const pooling of ['mean', 'last'] as const) {
      const j = judge(1, pooling);
      const seqs = [[1, 2, 3, 4, 5], [6, 7], [8, 9, 10, 11, 12, 1, 2]];
      const prefixes = await prefixRewards(j, seqs);
      const alone = await rewardsOf(j, seqs.flatMap(s => s.map((_, t) => s.slice(0, t + 1))));
      expect(prefixes.flat().map(r => r - alone.shift()!).every(d => Math.abs(d) < 1e-5)).toBe(true);
      await expect(prefixRewards(j, [[1, 2], []])).rejects.toThrow('prefixRewards: sequence 1 has 0 tokens; it must have 1 to blockSize (16)');
      await expect(prefixRewards(j, [[1, 13]])).rejects.toThrow('prefixRewards: sequence 0 has token 13 at position 1, outside the vocabulary [0, 13)');
      j.dispose();
    }
  });

  it('judgeAgreement counts the pairs the judge ranks as the stand-in did, and lists the others', async () => {
    const tokenizer = { encode: (t: string) => [...t].map(ch => ch.charCodeAt(0) % 13), decode: () => '' } as never;
    const pairs = [{ prompt: 'ab', chosen: 'cde', rejected: 'fg', scoreChosen: 1, scoreRejected: 0 }, { prompt: 'h', chosen: 'ij', rejected: 'klm', scoreChosen: 1, scoreRejected: 0 }];
    const [up, down] = [judge(1), judge(-1)];
    const a = await judgeAgreement(up, tokenizer, pairs);
    const b = await judgeAgreement(down, tokenizer, pairs);
    // a judge and its negation disagree on every pair where either gives a margin
    expect(a.accuracy + b.accuracy).toBeCloseTo(1, 10);
    expect(a.disagreements.length).toBe(2 - Math.round(2 * a.accuracy));
    for (const j of [up, down]) j.dispose();
  });
});

describe('critique and revision (SL stage)', () => {
  it('a revision is never worse under the judge than the response it revises, and starts with the response up to the critique', async () => {
    const model = new GPT(config);
    const judges = new Map([['kind', judge(1)], ['no repetition', judge(-1)]]);
    const before = tf.memory().numTensors;
    const records = await critiqueRevisionPairs(model, judges, [kind, plain], prompts, { maxNewTokens: 6, temperature: 1, seed: 3, rewrites: 3 });
    expect(tf.memory().numTensors).toBe(before);
    for (const r of records) {
      expect(r.revision.reward).toBeGreaterThanOrEqual(r.critique.reward - 1e-5);
      expect(r.revision.candidateRewards[0]).toBeCloseTo(r.critique.reward, 4); // the response is candidate 0
      expect(r.revision.tokens.length).toBe(r.response.length);
      expect(r.revision.tokens.slice(0, r.critique.worstToken)).toEqual(r.response.slice(0, r.critique.worstToken));
      const drops = r.critique.prefixRewards.map((x, j) => x - (j === 0 ? NaN : r.critique.prefixRewards[j - 1]));
      if (r.critique.worstToken > 0) expect(drops[r.critique.worstToken]).toBeCloseTo(r.critique.drop, 5);
    }
    expect(records.some(r => r.revision.candidate > 0)).toBe(true);
    const [ex] = sftExamples(records.slice(0, 1));
    expect(ex.lossMask).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 1]);
    await expect(critiqueRevisionPairs(model, new Map([['kind', judges.get('kind')!]]), [kind, plain], prompts, { maxNewTokens: 6, seed: 3, rewrites: 3 })).rejects.toThrow('no feedback model for the principle "no repetition"; the judges are for ["kind"]');
    for (const j of judges.values()) j.dispose();
    model.dispose();
  });
});

describe('AI feedback pairs (RLAIF)', () => {
  it("are labelled by the drawn principle's judge: negate its head and every pair swaps; a head of zeros ties them all", async () => {
    const model = new GPT(config);
    const options = { maxNewTokens: 5, temperature: 1, seed: 11, samplesPerPrompt: 3 };
    const up = await aiFeedbackPairs(model, new Map([['kind', judge(1)], ['no repetition', judge(-1)]]), [kind, plain], prompts, options);
    const down = await aiFeedbackPairs(model, new Map([['kind', judge(-1)], ['no repetition', judge(1)]]), [kind, plain], prompts, options);
    expect(up.pairs.length).toBeGreaterThan(0);
    expect(down.pairs.map(p => [p.prompt, p.rejected, p.chosen, p.principle])).toEqual(up.pairs.map(p => [p.prompt, p.chosen, p.rejected, p.principle]));
    // which judge labelled a pair is the drawn principle's: judge(1) prefers the chosen of a "kind" pair
    const j = judge(1);
    const kindPairs = up.pairs.filter(p => p.principle === 'kind');
    const rc = await rewardsOf(j, kindPairs.map(p => [...p.prompt, ...p.chosen]));
    const rr = await rewardsOf(j, kindPairs.map(p => [...p.prompt, ...p.rejected]));
    expect(rc.every((r, i) => r > rr[i])).toBe(true);
    const flat = await aiFeedbackPairs(model, new Map([['kind', judge(0)], ['no repetition', judge(0)]]), [kind, plain], prompts, options);
    expect(flat).toEqual({ pairs: [], dropped: prompts.length });
    // a reworded constitution gives the same pairs: the judges never read the text
    const reworded = [kind, plain].map(p => ({ ...p, text: 'Be a pirate.' }));
    const again = await aiFeedbackPairs(model, new Map([['kind', judge(1)], ['no repetition', judge(-1)]]), reworded, prompts, options);
    expect(again.pairs).toEqual(up.pairs);
    await expect(aiFeedbackPairs(model, new Map(), [kind], prompts, { ...options, samplesPerPrompt: 1 })).rejects.toThrow('aiFeedbackPairs: samplesPerPrompt must be an integer >= 2, got 1');
    model.dispose();
  });
});
