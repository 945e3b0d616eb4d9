/**
 * A constitution (Bai et al. 2022, "Constitutional AI: Harmlessness from AI Feedback"): the list of
 * principles an AI judge applies in place of a person's preferences, e.g. "Choose the response that
 * is kinder and more positive." In the paper a large model reads the principle's text, critiques a
 * response against it and says which of two responses follows it better.
 *
 * The course's base model (~1.4M parameters) cannot read a sentence, let alone a critique. So each
 * principle also names a stand-in: a measurable score of a continuation that plays the part of a
 * large model's understanding of the text. The stand-in labels the pairs a small feedback model
 * (the judge, align/feedbackModel.ts) is trained on; from then on the judge, not the stand-in,
 * gives the feedback (align/cai.ts), and the stand-in only measures the result.
 *
 * What the pipeline reads of a principle: its `standIn` (what the judge learns), its `weight` (how
 * often it is drawn) and its `name` (which judge). Its `text` is for people: editing the text alone
 * changes nothing the small judge sees. To change what the pipeline does, change a stand-in or a
 * weight, or add or remove a principle.
 */
import { seededRandom } from '../random';
import { sentimentScorer } from '../data/sentiment';

/** A measurable stand-in for a principle: a number per continuation, and which way is better. */
export interface StandIn {
  /** What it measures, in a sentence. */
  description: string;
  /** true: a higher measure follows the principle better; false: a lower one does. */
  higherIsBetter: boolean;
  measure(text: string): number;
}

/** Lower-cased words (letters, digits, apostrophes): what the repetition measures count. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu) ?? [];
}

/** The share of a text's word n-grams that repeat an earlier one: 1 - distinct / total (0 with no n-gram). */
export function repeatedNgramShare(text: string, n: number): number {
  const w = words(text);
  const grams = w.slice(n - 1).map((_, i) => w.slice(i, i + n).join(' '));
  return grams.length === 0 ? 0 : 1 - new Set(grams).size / grams.length;
}

/** distinct-n (Li et al. 2016) over many texts: distinct word n-grams / all word n-grams (0 with none). */
export function distinctN(texts: readonly string[], n: number): number {
  const grams = texts.flatMap(t => {
    const w = words(t);
    return w.slice(n - 1).map((_, i) => w.slice(i, i + n).join(' '));
  });
  return grams.length === 0 ? 0 : new Set(grams).size / grams.length;
}

/**
 * The stand-ins a principle may name. Repetition is measured on words, not bigrams: of 400 of the
 * base model's 24-token continuations (about 12 words), 33 repeat a bigram, too few for a judge to
 * learn from, and 265 repeat a word. Every stand-in can be gamed, and the RL stage finds how:
 * fewer, longer (made-up) words repeat less, so watch the words per continuation and the
 * perplexity beside the repetition score (align/caiReport.ts).
 */
export const STAND_INS = {
  afinn: { description: 'AFINN-111 valence per word (data/sentiment.ts)', higherIsBetter: true, measure: sentimentScorer({ lexicon: 'afinn' }) },
  liu: { description: "Liu's opinion words: (positive - negative) per word (data/sentiment.ts)", higherIsBetter: true, measure: sentimentScorer({ lexicon: 'liu' }) },
  repeatedWords: { description: 'share of words that repeat an earlier word of the continuation', higherIsBetter: false, measure: (t: string) => repeatedNgramShare(t, 1) },
  repeatedBigrams: { description: 'share of word bigrams that repeat an earlier bigram', higherIsBetter: false, measure: (t: string) => repeatedNgramShare(t, 2) }
} satisfies Record<string, StandIn>;

export type StandInName = keyof typeof STAND_INS;

export interface Principle {
  /** Short and unique: names the principle's judge and its column in a report. */
  name: string;
  /** The principle as a person reads it. The small judge never sees it (see the file's top). */
  text: string;
  /** What stands in for a large model's reading of `text`: a key of STAND_INS. */
  standIn: StandInName;
  /** How often the principle is drawn, relative to the others (> 0); default 1, the paper's uniform draw. */
  weight?: number;
}

export type Constitution = readonly Principle[];

/** Two principles a small model's continuations vary on, each measurable offline. */
export const DEFAULT_CONSTITUTION: Constitution = [
  { name: 'kind', text: 'Choose the response that is kinder and more positive.', standIn: 'afinn' },
  { name: 'no repetition', text: 'Choose the response that does not repeat itself.', standIn: 'repeatedWords' }
];

/** Throws, naming the principle and the value, unless the constitution can be used; changes nothing. */
export function checkConstitution(constitution: Constitution): void {
  if (!Array.isArray(constitution) || constitution.length === 0) throw new Error(`constitution: give at least one principle, got ${JSON.stringify(constitution)}`);
  const seen = new Set<string>();
  constitution.forEach((p, i) => {
    const at = `constitution: principle ${i}`;
    if (typeof p?.name !== 'string' || p.name.trim() === '') throw new Error(`${at}: name must be a non-empty string, got ${JSON.stringify(p?.name)}`);
    if (seen.has(p.name)) throw new Error(`${at}: the name ${JSON.stringify(p.name)} is used twice; each principle has its own judge, found by name`);
    seen.add(p.name);
    if (typeof p.text !== 'string') throw new Error(`${at} (${p.name}): text must be a string, got ${JSON.stringify(p.text)}`);
    if (!Object.prototype.hasOwnProperty.call(STAND_INS, p.standIn)) throw new Error(`${at} (${p.name}): unknown stand-in ${JSON.stringify(p.standIn)}; the stand-ins are ${Object.keys(STAND_INS).join(', ')}`);
    const w = p.weight ?? 1;
    if (!(typeof w === 'number' && Number.isFinite(w) && w > 0)) throw new Error(`${at} (${p.name}): weight must be a finite number > 0 (how often it is drawn), got ${w}`);
  });
}

/** The principle's stand-in measure of a continuation (e.g. the share of repeated words). */
export function standInMeasure(principle: Principle, text: string): number {
  return STAND_INS[principle.standIn].measure(text);
}

/** The stand-in as a preference: higher is better whatever the measure's direction (for labelling pairs). */
export function standInPreference(principle: Principle, text: string): number {
  const s = STAND_INS[principle.standIn];
  return s.higherIsBetter ? s.measure(text) : -s.measure(text);
}

/**
 * `count` principles drawn at random, with replacement, each with probability weight / total (the
 * paper draws one principle per critique and per comparison); seeded: the same seed, the same draw.
 */
export function drawPrinciples(constitution: Constitution, count: number, seed: number): Principle[] {
  checkConstitution(constitution);
  if (!(Number.isInteger(count) && count >= 0)) throw new Error(`drawPrinciples: count must be an integer >= 0, got ${count}`);
  if (!Number.isInteger(seed)) throw new Error(`drawPrinciples: seed must be an integer, got ${seed}`);
  const weights = constitution.map(p => p.weight ?? 1);
  const total = weights.reduce((a, w) => a + w, 0);
  const rng = seededRandom(seed);
  return Array.from({ length: count }, () => {
    let u = rng() * total;
    const i = weights.findIndex(w => (u -= w) < 0);
    return constitution[i === -1 ? constitution.length - 1 : i]; // i === -1 only by float rounding at the top
  });
}
