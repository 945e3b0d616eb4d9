/**
 * Preference data with no human in the loop. RLHF needs pairs (prompt, chosen, rejected): a person
 * read two continuations of the same prompt and said which was better. In the classroom a scorer
 * stands in for that person: a sentiment lexicon (data/sentiment.ts) for the classic "make the
 * model write positively" exercise, or a checker (data/checkable.ts) where the answer is right or
 * wrong. Everything here is plain text; turning it into token ids is the trainer's job.
 *
 * The prompts are openings of real sentences (the first few words) from the course's corpora,
 * Moby Dick and the State of the Union addresses, that neither lexicon scores, so that any
 * sentiment comes from the continuation. They are split by prompt: no two prompts, in any split,
 * begin with the same two words, so a validation or test prompt is not a training prompt with a
 * word added.
 */
import { mobyDickChapters, stateOfTheUnionAddresses } from './corpus';
import type { Split } from './instructions';
import { randomInt, seededRandom, shuffled } from '../random';
import { sentimentScore } from './sentiment';

export type PromptSplit = Record<Split, string[]>;

export interface PositivityPromptOptions {
  seed: number;
  /** Prompts per split. */
  count: Record<Split, number>;
  /** Words of an opening: each prompt's length is drawn from [min, max]; default [3, 5]. */
  words?: [number, number];
}

/** Longest opening, in words. */
const MAX_OPENING = 8;

/**
 * The sentences of the two corpora, each as its first MAX_OPENING + 3 words (enough to see whether
 * 3 words follow an opening); loaded once, as the addresses take a second to split.
 */
let sentenceStarts: string[][] | undefined;
function corpusSentenceStarts(): string[][] {
  if (sentenceStarts) return sentenceStarts;
  const docs = [...mobyDickChapters(), ...stateOfTheUnionAddresses()];
  // a period after a title does not end the sentence
  const sentences = docs.flatMap(d => d.text.split(/(?<=[.!?])(?<!\b(?:Mr|Mrs|Dr|St|Messrs)\.)\s+/));
  return (sentenceStarts = sentences.map(s => s.trim().split(/\s+/, MAX_OPENING + 3)));
}

/** A word of an opening: letters, maybe an apostrophe inside ("whale's"), maybe a trailing comma. */
const PLAIN_WORD = /^[A-Za-z]+(?:'[a-z]+)?,?$/;

/**
 * Openings of corpus sentences for the "write positively" exercise, `count` of each split, seeded:
 * the same options give the same prompts. Each opening starts with a capital letter, is followed
 * in its sentence by at least 3 more words, and contains no entry of AFINN-111 or Liu's lists.
 * One opening per first two words (lower-cased), so splits never share a two-word start.
 */
export function positivityPrompts(options: PositivityPromptOptions): PromptSplit {
  const { seed, count, words = [3, 5] } = options;
  const [min, max] = words;
  if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 2 && max >= min && max <= MAX_OPENING)) throw new Error(`positivityPrompts: words must be integers [min, max] with 2 <= min <= max <= ${MAX_OPENING}, got ${JSON.stringify(words)}`);
  for (const split of ['train', 'validation', 'test'] as const) {
    const n = count?.[split];
    if (!(Number.isInteger(n) && n >= 0)) throw new Error(`positivityPrompts: count.${split} must be a non-negative integer, got ${n}`);
  }
  const rng = seededRandom(seed);
  const byStart = new Map<string, string[]>(); // first two words -> its openings
  for (const ws of corpusSentenceStarts()) {
    const k = min + randomInt(rng, max - min + 1);
    if (ws.length < k + 3 || !/^[A-Z]/.test(ws[0])) continue;
    const opening = ws.slice(0, k);
    if (!opening.every(w => PLAIN_WORD.test(w))) continue;
    const text = opening.join(' ').replace(/,$/, '');
    const start = opening.slice(0, 2).join(' ').toLowerCase().replace(/,/g, '');
    const list = byStart.get(start) ?? [];
    if (!list.includes(text)) byStart.set(start, [...list, text]);
  }
  const starts = shuffled([...byStart.keys()].sort(), rng);
  const out: PromptSplit = { train: [], validation: [], test: [] };
  const need = count.train + count.validation + count.test;
  // drawn in order until each split is full; lexicon checks only on what is drawn (they cost)
  for (const start of starts) {
    const split = (['test', 'validation', 'train'] as const).find(s => out[s].length < count[s]);
    if (!split) break;
    const candidates = byStart.get(start)!;
    const text = candidates[randomInt(rng, candidates.length)];
    if (sentimentScore(text, { lexicon: 'afinn' }).scored.length > 0 || sentimentScore(text, { lexicon: 'liu' }).scored.length > 0) continue;
    out[split].push(text);
  }
  const got = out.train.length + out.validation.length + out.test.length;
  if (got < need) throw new Error(`positivityPrompts: asked for ${need} prompts (${JSON.stringify(count)}), the corpora give only ${got} neutral openings with different two-word starts`);
  return out;
}

/** One preference: the prompt, the continuation the scorer preferred and the other, with their scores. */
export interface PreferencePair {
  prompt: string;
  chosen: string;
  rejected: string;
  scoreChosen: number;
  scoreRejected: number;
}

/** Scores a continuation of a prompt; higher is preferred. A TextScorer (text only) is one too. */
export type PairScorer = (continuation: string, prompt: string) => number;

export interface LabelReport {
  /** Candidate pairs given. */
  candidates: number;
  kept: number;
  /** Dropped because both continuations were the same text: no preference to learn. */
  identical: number;
  /** Dropped because the scores differed by no more than minMargin: the scorer did not prefer either. */
  ties: number;
  /** Each dropped candidate's index and why. */
  dropped: { index: number; reason: 'identical' | 'tie' }[];
  /** Kept pairs whose chosen text was continuation A: far from half means the sampler of A or B differed. */
  chosenFromA: number;
}

/**
 * Labels candidate pairs: for prompt i, continuationsA[i] and continuationsB[i] are scored by
 * `scorer` (each continuation alone, with its prompt passed for scorers that check an answer), and
 * the higher one is chosen. Identical texts and ties (|scoreA - scoreB| <= minMargin, default 0)
 * are dropped and counted in the report, never kept.
 */
export function labelPairs(
  prompts: readonly string[],
  continuationsA: readonly string[],
  continuationsB: readonly string[],
  scorer: PairScorer,
  options: { minMargin?: number } = {}
): { pairs: PreferencePair[]; report: LabelReport } {
  const { minMargin = 0 } = options;
  if (prompts.length !== continuationsA.length || prompts.length !== continuationsB.length) {
    throw new Error(`labelPairs: prompts (${prompts.length}), continuationsA (${continuationsA.length}) and continuationsB (${continuationsB.length}) must have the same length`);
  }
  if (typeof scorer !== 'function') throw new Error(`labelPairs: scorer must be a function (continuation, prompt) => number, got ${typeof scorer}`);
  if (!(minMargin >= 0)) throw new Error(`labelPairs: minMargin must be >= 0, got ${minMargin}`);
  const texts = { prompts, continuationsA, continuationsB };
  for (const [name, list] of Object.entries(texts)) {
    const i = list.findIndex(t => typeof t !== 'string');
    if (i >= 0) throw new Error(`labelPairs: ${name}[${i}] must be a string, got ${JSON.stringify(list[i])}`);
  }
  const pairs: PreferencePair[] = [];
  const report: LabelReport = { candidates: prompts.length, kept: 0, identical: 0, ties: 0, dropped: [], chosenFromA: 0 };
  prompts.forEach((prompt, i) => {
    const [a, b] = [continuationsA[i], continuationsB[i]];
    if (a === b) {
      report.identical++;
      report.dropped.push({ index: i, reason: 'identical' });
      return;
    }
    const [sa, sb] = [scorer(a, prompt), scorer(b, prompt)];
    for (const [s, t] of [[sa, a], [sb, b]] as const) if (!Number.isFinite(s)) throw new Error(`labelPairs: the scorer gave ${s} for continuation ${JSON.stringify(t)} of prompt ${i} (${JSON.stringify(prompt)})`);
    if (Math.abs(sa - sb) <= minMargin) {
      report.ties++;
      report.dropped.push({ index: i, reason: 'tie' });
      return;
    }
    const aWins = sa > sb;
    if (aWins) report.chosenFromA++;
    pairs.push({ prompt, chosen: aWins ? a : b, rejected: aWins ? b : a, scoreChosen: aWins ? sa : sb, scoreRejected: aWins ? sb : sa });
  });
  report.kept = pairs.length;
  return { pairs, report };
}

/** Throws, naming the pair, when a pair is not text or its chosen and rejected are the same text. */
export function checkPreferencePairs(pairs: readonly PreferencePair[]): void {
  pairs.forEach((p, i) => {
    for (const key of ['prompt', 'chosen', 'rejected'] as const) {
      if (typeof p?.[key] !== 'string') throw new Error(`preference pair ${i}: ${key} must be a string, got ${JSON.stringify(p?.[key])}`);
    }
    if (p.chosen === p.rejected) throw new Error(`preference pair ${i} (prompt ${JSON.stringify(p.prompt)}): chosen and rejected are the same text ${JSON.stringify(p.chosen)}`);
  });
}
