/**
 * The lab's byte-level BPE in Hugging Face's tokenizer files, both ways:
 *
 * - `tokenizer.json`, the `tokenizers` library's format (what AutoTokenizer and tokenizers.js load):
 *   a BPE model (vocab + merges), a pre-tokenizer, a decoder and the added (special) tokens.
 * - `vocab.json` + `merges.txt`, GPT-2's older "slow tokenizer" files: the same vocab and merges.
 *
 * Tokens are strings there, not byte sequences: GPT-2 writes every byte as one printable character
 * (byte 0x20, a space, reads "Ġ"), so a token is the characters of its bytes. Ids follow the lab's
 * layout: byte b is id b, merge i makes id 256 + i, the special tokens come after.
 *
 * The pre-tokenizer is the lab's own (tokenizers/bpe.ts PRE_TOKENIZER_PATTERN), written as a Split
 * on that regex followed by the byte mapping, so any reader cuts a text exactly as the lab does.
 * It is not GPT-2's pattern (no contractions; any whitespace, not only a space, joins the next word):
 * vocab.json + merges.txt cannot say so, and a reader of those files alone (transformers'
 * GPT2Tokenizer) cuts with GPT-2's pattern and may give other ids.
 */
import { BpeTokenizer, PRE_TOKENIZER_PATTERN } from '../tokenizers/bpe';
import { SPECIAL_TOKEN_NAMES, SpecialTokenName, specialTokenText } from '../tokenizers/tokenizer';

export const TOKENIZER_JSON_FILE = 'tokenizer.json';
export const VOCAB_FILE = 'vocab.json';
export const MERGES_FILE = 'merges.txt';

/**
 * GPT-2's byte -> character table: the printable bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for
 * themselves; the others (control bytes, space, ...) take the characters from U+0100 on, in order.
 */
export const BYTE_CHARS: readonly string[] = (() => {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 0x100;
  return Array.from({ length: 256 }, (_, b) => String.fromCharCode(printable(b) ? b : next++));
})();

/** A token's bytes as GPT-2's characters: [0x20, 0x74] -> "Ġt". */
export function byteLevelText(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_CHARS[b];
  return s;
}

/** One added token of tokenizer.json; the lab's are all special, matched exactly as written. */
export interface HfAddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** The ordinary (BPE) tokens of `tokenizer` as GPT-2's strings: token string -> id (vocab.json). */
export function hfVocab(tokenizer: BpeTokenizer): Record<string, number> {
  const vocab: Record<string, number> = {};
  const size = 256 + tokenizer.merges.length;
  for (let id = 0; id < size; id++) {
    const token = byteLevelText(tokenizer.bytesOf([id]));
    if (token in vocab) {
      throw new Error(`hfVocab: tokens ${vocab[token]} and ${id} have the same bytes (${JSON.stringify(token)}); a Hugging Face vocabulary maps each token string to one id`);
    }
    vocab[token] = id;
  }
  for (const text of specialTexts(tokenizer)) {
    if (text in vocab) throw new Error(`hfVocab: the special token ${JSON.stringify(text)} is also the ordinary token ${vocab[text]}; a Hugging Face vocabulary maps each token string to one id`);
  }
  return vocab;
}

/** The merges as GPT-2's strings, in order: ["Ġ t", "h e", ...] (merges.txt's lines, tokenizer.json's model.merges). */
export function hfMerges(tokenizer: BpeTokenizer): string[] {
  return tokenizer.merges.map(([a, b]) => `${byteLevelText(tokenizer.bytesOf([a]))} ${byteLevelText(tokenizer.bytesOf([b]))}`);
}

/** merges.txt: a version line, then one merge per line. */
export function mergesText(tokenizer: BpeTokenizer): string {
  return ['#version: 0.2', ...hfMerges(tokenizer)].join('\n') + '\n';
}

/** The special tokens' texts in id order (they follow the ordinary tokens). */
function specialTexts(tokenizer: BpeTokenizer): string[] {
  const first = 256 + tokenizer.merges.length;
  return Array.from({ length: tokenizer.vocabSize - first }, (_, i) => tokenizer.decode([first + i]));
}

/** The lab's pre-tokenizer in tokenizer.json's terms: cut with its regex, then bytes -> GPT-2's characters. */
const PRE_TOKENIZER = {
  type: 'Sequence',
  pretokenizers: [
    { type: 'Split', pattern: { Regex: PRE_TOKENIZER_PATTERN }, behavior: 'Isolated', invert: false },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }
  ]
};
const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false };

/**
 * tokenizer.json for `tokenizer`. No normalizer, no post-processor tokens (the lab adds no BOS or EOS
 * on its own: a chat template writes them), the special tokens as added tokens that are split off
 * before the pre-tokenizer runs, as the lab does.
 */
export function hfTokenizerJson(tokenizer: BpeTokenizer): object {
  const vocab = hfVocab(tokenizer);
  const first = 256 + tokenizer.merges.length;
  const added: HfAddedToken[] = specialTexts(tokenizer).map((content, i) => ({
    id: first + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true
  }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: PRE_TOKENIZER,
    post_processor: { ...BYTE_LEVEL, trim_offsets: false },
    decoder: BYTE_LEVEL,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: hfMerges(tokenizer)
    }
  };
}

/** What the Hugging Face files say beside vocab and merges: the special tokens' roles and the chat template. */
export interface HfTokenizerExtras {
  /** role -> the special token's text, e.g. { eos: '<|end|>' } (tokenizer_config.json's eos_token, ...). */
  roles?: { [name in SpecialTokenName]?: string };
  chatTemplate?: string;
}

/**
 * A BpeTokenizer from tokenizer.json (parsed). It must be a byte-level BPE in the lab's layout
 * with the lab's pre-tokenizer; anything else is refused with what it has instead. `source` names
 * the file in errors.
 */
export function tokenizerFromHfJson(json: unknown, extras: HfTokenizerExtras = {}, source = TOKENIZER_JSON_FILE): BpeTokenizer {
  const j = json as { model?: { type?: string; vocab?: unknown; merges?: unknown }; added_tokens?: unknown; pre_tokenizer?: unknown; normalizer?: unknown } | null;
  const model = j?.model;
  if (model?.type !== 'BPE') throw new Error(`${source}: the model type is ${JSON.stringify(model?.type)}; LLM Lab reads byte-level "BPE" tokenizers only`);
  if (j!.normalizer) throw new Error(`${source}: has a normalizer (${JSON.stringify(j!.normalizer).slice(0, 80)}); LLM Lab's tokenizer changes no text before it cuts it`);
  if (JSON.stringify(j!.pre_tokenizer) !== JSON.stringify(PRE_TOKENIZER)) {
    throw new Error(`${source}: its pre_tokenizer is not LLM Lab's (a Split on tokenizers/bpe.ts PRE_TOKENIZER_PATTERN, then ByteLevel without regex): ${JSON.stringify(j!.pre_tokenizer).slice(0, 160)}; texts would be cut differently`);
  }
  const merges = Array.isArray(model.merges) ? model.merges.map(m => (Array.isArray(m) ? m : String(m).split(' '))) : null;
  if (!merges) throw new Error(`${source}: model.merges is not a list`);
  const added = Array.isArray(j!.added_tokens) ? (j!.added_tokens as HfAddedToken[]) : [];
  return fromVocabAndMerges(model.vocab, merges, added, extras, source);
}

/** A BpeTokenizer from vocab.json and merges.txt (GPT-2's slow files), with the added tokens tokenizer_config.json lists. */
export function tokenizerFromVocabAndMerges(vocab: unknown, merges: string, added: HfAddedToken[] = [], extras: HfTokenizerExtras = {}, source = `${VOCAB_FILE} + ${MERGES_FILE}`): BpeTokenizer {
  const pairs = merges.split('\n').filter(line => line.trim() !== '' && !line.startsWith('#version')).map(line => line.split(' '));
  return fromVocabAndMerges(vocab, pairs, added, extras, source);
}

/**
 * The shared reader: checks that the vocabulary is the lab's layout (byte b = id b, merge i = id
 * 256 + i, the added tokens right after, all special) and rebuilds the tokenizer. Leading added tokens
 * written <pad>, <bos>, ... that hold that role are the lab's role tokens; the others are added by text.
 */
function fromVocabAndMerges(vocabJson: unknown, merges: string[][], added: HfAddedToken[], { roles = {}, chatTemplate }: HfTokenizerExtras, source: string): BpeTokenizer {
  if (typeof vocabJson !== 'object' || vocabJson === null) throw new Error(`${source}: the vocab is not an object of token -> id`);
  const vocab = new Map(Object.entries(vocabJson as Record<string, number>));
  const layout = `LLM Lab's layout (byte b = id b, merge i = id 256 + i; GPT-2's own vocabulary is ordered otherwise)`;
  BYTE_CHARS.forEach((ch, b) => {
    if (vocab.get(ch) !== b) throw new Error(`${source}: the byte 0x${b.toString(16).padStart(2, '0')} (${JSON.stringify(ch)}) has id ${vocab.get(ch)}, not ${b}: not ${layout}`);
  });
  const pairs = merges.map((m, i): [number, number] => {
    if (m.length !== 2) throw new Error(`${source}: merge ${i} (${JSON.stringify(m)}) is not two tokens`);
    const [a, b] = m.map(t => vocab.get(t));
    const id = vocab.get(m[0] + m[1]);
    if (a === undefined || b === undefined || id !== 256 + i) {
      throw new Error(`${source}: merge ${i} (${JSON.stringify(m.join(' '))}) makes id ${id}, not ${256 + i}, or uses a token not in the vocab: not ${layout}`);
    }
    return [a, b];
  });
  const first = 256 + merges.length;
  for (const t of added.filter(t => t.id < first)) {
    if (vocab.get(t.content) !== t.id) throw new Error(`${source}: the added token ${JSON.stringify(t.content)} has id ${t.id}, which is the BPE token ${JSON.stringify(tokenOf(vocab, t.id))}`);
  }
  const specials = added.filter(t => t.id >= first);
  for (const [token, id] of vocab) {
    if (id >= first && !specials.some(t => t.id === id && t.content === token)) {
      throw new Error(`${source}: the vocab has ${JSON.stringify(token)} = ${id}, but 256 bytes + ${merges.length} merges make ids below ${first} and it is no added token: not ${layout}`);
    }
  }
  const texts = [...specials].sort((x, y) => x.id - y.id).map((t, i) => {
    if (t.id !== first + i) throw new Error(`${source}: the added token ${JSON.stringify(t.content)} has id ${t.id}, expected ${first + i} (the added tokens follow the ${first} BPE tokens, in order)`);
    if (t.special === false) throw new Error(`${source}: the added token ${JSON.stringify(t.content)} (id ${t.id}) is not special; LLM Lab's added tokens are all special`);
    return t.content;
  });
  // the role tokens <pad>, <bos>, ... come first in the lab; they are the leading texts that hold their role
  const names: SpecialTokenName[] = [];
  for (const text of texts) {
    const name = SPECIAL_TOKEN_NAMES.find(n => specialTokenText(n) === text && roles[n] === text);
    if (!name) break;
    names.push(name);
  }
  const addedTexts = texts.slice(names.length);
  const addedRoles = Object.fromEntries(Object.entries(roles).filter(([name, text]) => !names.includes(name as SpecialTokenName) && text !== undefined && addedTexts.includes(text)));
  try {
    return new BpeTokenizer(pairs, { specialTokens: names as never[], addedTokens: { tokens: addedTexts, roles: addedRoles }, chatTemplate });
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  }
}

/** The token with `id` in `vocab` (for errors). */
function tokenOf(vocab: Map<string, number>, id: number): string | undefined {
  for (const [token, i] of vocab) if (i === id) return token;
  return undefined;
}
