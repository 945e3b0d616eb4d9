/**
 * Checkable tasks: answers by the rules, the split by entity (operand pairs in both orders, words),
 * and verify's strict reading of a completion.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKABLE_TASKS, CheckableDataset, checkableTasks, completionAnswer, parseCheckablePrompt, verify } from '../../kernel-lib/src/data/checkable';
import { instructionDataset } from '../../kernel-lib/src/data/instructions';

let data: CheckableDataset;
beforeAll(() => {
  data = checkableTasks({ seed: 5 });
});
const all = () => [...data.train, ...data.validation, ...data.test];

describe('checkableTasks', () => {
  it('answers each prompt by its rule: the sum, the reversed word, the letters spaced', () => {
    for (const ex of all()) {
      if (ex.task === 'sum') {
        const [, a, b] = /^(\d+)\+(\d+)=$/.exec(ex.prompt)!;
        expect(ex.answer, ex.prompt).toBe(String(Number(a) + Number(b)));
      } else {
        const word = /^(?:reverse|spell) ([a-z]+)=$/.exec(ex.prompt)![1];
        expect(word).toBe(ex.entity);
        expect(ex.answer).toBe(ex.task === 'reversal' ? word.split('').reverse().join('') : word.split('').join(' '));
        expect(word.length).toBeGreaterThanOrEqual(3);
        expect(word.length).toBeLessThanOrEqual(6);
      }
    }
    expect(new Set(all().map(ex => ex.task))).toEqual(new Set(CHECKABLE_TASKS));
  });

  it('asks every sum of 0..20 once per order: 231 pairs, 441 prompts', () => {
    const sums = all().filter(ex => ex.task === 'sum');
    expect(sums.length).toBe(21 * 21);
    expect(new Set(sums.map(ex => ex.prompt)).size).toBe(441);
    expect(new Set(sums.map(ex => ex.entity)).size).toBe(231);
  });

  it('holds out entities: a held-out pair is in no training prompt in either order, a held-out word in none', () => {
    const trainPrompts = new Set(data.train.map(ex => ex.prompt));
    const trainWords = new Set(data.train.filter(ex => ex.task !== 'sum').map(ex => ex.entity));
    let checked = 0;
    for (const ex of [...data.validation, ...data.test]) {
      if (ex.task === 'sum') {
        const [a, b] = ex.entity.split('+');
        expect(trainPrompts.has(`${a}+${b}=`) || trainPrompts.has(`${b}+${a}=`), ex.prompt).toBe(false);
      } else expect(trainWords.has(ex.entity), ex.entity).toBe(false);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
    const sumSplit = data.entities.sum!;
    expect(sumSplit.test.length).toBe(23); // round(0.1 * 231)
    expect(sumSplit.validation.length).toBe(23);
  });

  it('is the same for the same seed, and another split for another seed', () => {
    expect(checkableTasks({ seed: 5 })).toEqual(data);
    expect(checkableTasks({ seed: 6 }).entities.sum!.test).not.toEqual(data.entities.sum!.test);
  });

  it("keeps the fine-tuning data's split when given its entities", () => {
    const sft = instructionDataset({ seed: 7, perTask: 20, tasks: ['sum', 'reversal'] });
    const ours = checkableTasks({ seed: 0, tasks: ['sum', 'reversal'], entities: sft.entities });
    expect(ours.entities.sum).toEqual(sft.entities.sum);
    for (const split of ['train', 'validation', 'test'] as const) {
      for (const w of ours.entities.word![split]) expect(sft.entities.word![split]).toContain(w);
      expect(ours.entities.word![split].every(w => w.length >= 3 && w.length <= 6)).toBe(true);
    }
  });

  it('rejects bad options, naming them', () => {
    expect(() => checkableTasks({ seed: 0, tasks: ['division' as never] })).toThrow('tasks must be some of sum, reversal, spelling, got ["division"]');
    expect(() => checkableTasks({ seed: 0, heldOut: 0.5 })).toThrow('heldOut must be in (0, 0.5), got 0.5');
    expect(() => checkableTasks({ seed: 0, maxOperand: 0 })).toThrow('maxOperand must be a positive integer, got 0');
    expect(() => checkableTasks({ seed: 0, wordLength: [5, 3] })).toThrow('wordLength must be integers [min, max] with 2 <= min <= max, got [5,3]');
  });
});

describe('verify', () => {
  const sum = { task: 'sum' as const, prompt: '12+7=', answer: '19', entity: '7+12' };

  it('gives 1 for the exact answer on the first line, spaces at the ends allowed, and ignores later lines', () => {
    for (const c of ['19', ' 19 ', '19\n', '19\n20 is wrong']) expect(verify(sum, c), JSON.stringify(c)).toBe(1);
  });

  it('gives 0 for a wrong, padded, signed, spelled-out, split or empty answer', () => {
    for (const c of ['20', '19.', '019', '+19', 'nineteen', '1 9', '19 20', '', '\n19', 'The answer is 19']) expect(verify(sum, c), JSON.stringify(c)).toBe(0);
  });

  it('reads the answer of a prompt string in the task forms', () => {
    expect(verify('12+7=', '19')).toBe(1);
    expect(verify('reverse dog=', 'god')).toBe(1);
    expect(verify('reverse dog=', 'God')).toBe(0);
    expect(verify('spell dog=', 'd o g')).toBe(1);
    for (const c of ['dog', 'd-o-g', 'D O G', 'd  o g']) expect(verify('spell dog=', c), c).toBe(0);
    expect(parseCheckablePrompt('What is 2+3?')).toBeUndefined();
    expect(completionAnswer('  42 \nrest')).toBe('42');
  });

  it('rejects a prompt it cannot read and a completion that is not text, naming them', () => {
    expect(() => verify('What is 2+3?', '5')).toThrow('verify: cannot read the answer of prompt "What is 2+3?"; a prompt string must have the form "{a}+{b}=", "reverse {word}=", "spell {word}=" (or pass the example)');
    expect(() => verify('2+3=', undefined as never)).toThrow('verify: completion must be a string, got undefined');
    expect(() => verify({ ...sum, answer: '' }, '19')).toThrow('verify: the example has no answer');
  });
});
