/**
 * The speaker task: passages of real State of the Union addresses labelled with their president,
 * held out by passage (no passage in two splits) or by whole address (no address in two splits).
 */
import { describe, expect, it } from 'vitest';
import { loadBaseModel } from '../../kernel-lib/src/checkpoint/base';
import { speakerTask } from '../../kernel-lib/src/data/speakers';
import { languageTask } from '../../kernel-lib/src/data/languages';

describe('speakerTask', () => {
  const { model, tokenizer } = loadBaseModel();
  model.dispose();
  const presidents = ['Thomas Jefferson', 'William J Clinton'];

  it('labels passages of each president by index, cut at sentence ends to at most the token count', () => {
    const task = speakerTask(tokenizer, presidents, { tokens: 40, seed: 3, maxPerAddress: 6 });
    expect(task.labels).toEqual(presidents);
    for (const p of [...task.train, ...task.validation, ...task.test]) {
      expect(p.source.endsWith(presidents[p.label])).toBe(true);
      expect(p.ids.length).toBeLessThanOrEqual(40);
      expect(p.ids.length).toBeGreaterThanOrEqual(20);
      expect(p.ids).toEqual(tokenizer.encode(p.text).slice(0, 40));
    }
    // 8 addresses each, 6 passages per address: 10% / 20% of each address's passages held out
    expect(task.train.length + task.validation.length + task.test.length).toBe(2 * 8 * 6);
    expect(task.test.length).toBe(2 * 8 * 1);
    const texts = (split: 'train' | 'validation' | 'test') => new Set(task[split].map(p => p.text));
    for (const t of texts('test')) expect(texts('train').has(t)).toBe(false);
  });

  it("with holdOut 'addresses', no address gives passages to two splits", () => {
    const task = speakerTask(tokenizer, presidents, { tokens: 40, seed: 3, maxPerAddress: 4, holdOut: 'addresses' });
    expect(task.addresses.validation).toHaveLength(2);
    expect(task.addresses.test).toHaveLength(2);
    const train = new Set(task.train.map(p => p.source));
    for (const p of [...task.validation, ...task.test]) expect(train.has(p.source)).toBe(false);
  });

  it('is the same for the same seed', () => {
    const a = speakerTask(tokenizer, presidents, { tokens: 40, seed: 5, maxPerAddress: 3 });
    const b = speakerTask(tokenizer, presidents, { tokens: 40, seed: 5, maxPerAddress: 3 });
    expect(a.test.map(p => p.text)).toEqual(b.test.map(p => p.text));
  });

  it('names the presidents there are when one is unknown', () => {
    expect(() => speakerTask(tokenizer, ['Thomas Jefferson', 'Tom Jefferson'], { tokens: 40 })).toThrow(/no address by "Tom Jefferson"; the presidents are George Washington, John Adams/);
  });
});

describe('languageTask', () => {
  const { model, tokenizer } = loadBaseModel();
  model.dispose();

  it('builds strings of held-out words only for validation and test, labelled by language', () => {
    const task = languageTask(tokenizer, ['Spanish', 'Portuguese'], { wordsPerExample: 3, examples: { train: 50, validation: 5, test: 10 }, seed: 2 });
    expect(task.labels).toEqual(['Spanish', 'Portuguese']);
    expect([task.train.length, task.validation.length, task.test.length]).toEqual([100, 10, 20]);
    for (const language of task.labels) {
      const train = new Set(task.words.train[language]);
      for (const w of [...task.words.validation[language]!, ...task.words.test[language]!]) expect(train.has(w)).toBe(false);
    }
    for (const e of task.test) {
      const words = e.text.split(' ');
      expect(words).toHaveLength(3);
      for (const w of words) expect(task.words.test[task.labels[e.label]]).toContain(w);
      expect(e.ids).toEqual(tokenizer.encode(e.text));
    }
    expect(() => languageTask(tokenizer, ['Spanish', 'Klingon' as never], { wordsPerExample: 3, examples: { train: 1, validation: 1, test: 1 } })).toThrow('no word list for "Klingon"; the languages are English, French, German');
  });
});
