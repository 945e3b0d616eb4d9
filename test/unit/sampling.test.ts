import { describe, expect, it } from 'vitest';
import { sampleFrom, samplingDistribution } from '../../kernel-lib/src/generate';
import { seededRandom } from '../../kernel-lib/src/random';

const logits = [2, 1, 0, -1, 3];

describe('sampling', () => {
  it('temperature 1 is the softmax; temperature 0 is greedy', () => {
    const p = samplingDistribution(logits, {});
    const z = logits.reduce((s, l) => s + Math.exp(l), 0);
    logits.forEach((l, i) => expect(p[i]).toBeCloseTo(Math.exp(l) / z, 12));
    expect(Array.from(samplingDistribution(logits, { temperature: 0 }))).toEqual([0, 0, 0, 0, 1]);
  });

  it('low temperature sharpens, high temperature flattens', () => {
    const cold = samplingDistribution(logits, { temperature: 0.5 });
    const hot = samplingDistribution(logits, { temperature: 2 });
    const base = samplingDistribution(logits, {});
    expect(cold[4]).toBeGreaterThan(base[4]);
    expect(hot[4]).toBeLessThan(base[4]);
  });

  it('top-k keeps the k most likely tokens, renormalized', () => {
    const p = samplingDistribution(logits, { topK: 2 });
    expect(p[1]).toBe(0);
    expect(p[2]).toBe(0);
    expect(p[3]).toBe(0);
    expect(p[4] + p[0]).toBeCloseTo(1, 12);
    expect(p[4] / p[0]).toBeCloseTo(Math.E, 10);
  });

  it('top-p keeps the smallest prefix reaching p', () => {
    const base = samplingDistribution(logits, {});
    // sorted: 4 (0.64), 0 (0.23), 1 (0.086), ...: p=0.8 needs the first two
    const p = samplingDistribution(logits, { topP: 0.8 });
    expect(base[4]).toBeLessThan(0.8);
    expect(base[4] + base[0]).toBeGreaterThan(0.8);
    expect(Array.from(p).filter(x => x > 0)).toHaveLength(2);
    expect(p[4] + p[0]).toBeCloseTo(1, 12);
  });

  it('draws tokens with the right frequencies, reproducibly from a seed', () => {
    const probs = [0.1, 0.6, 0.3];
    const draw = (seed: number) => {
      const rng = seededRandom(seed);
      return Array.from({ length: 20000 }, () => sampleFrom(probs, rng));
    };
    const a = draw(1);
    expect(draw(1)).toEqual(a);
    const freq = [0, 1, 2].map(k => a.filter(x => x === k).length / a.length);
    freq.forEach((f, k) => expect(Math.abs(f - probs[k])).toBeLessThan(0.015));
  });
});
