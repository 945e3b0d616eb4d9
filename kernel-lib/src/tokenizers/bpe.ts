/**
 * Byte-level BPE (byte-pair encoding), as in GPT-2.
 *
 * Text becomes UTF-8 bytes, so the 256 byte values are the starting vocabulary and any text at all
 * can be encoded (no "unknown character"). Training then repeats one step: find the pair of
 * adjacent tokens that occurs most often in the corpus and make it a new token. Frequent words end
 * up as one token, rare ones as a few pieces, and sequences get several times shorter than with
 * characters.
 *
 * Pairs never cross a chunk boundary: the text is first cut into chunks (a word with the space
 * before it, a run of digits, a run of punctuation, a run of spaces), like GPT-2's pre-tokenizer.
 * That keeps "the" and " the" as word pieces instead of tokens like "e t".
 *
 * Special tokens take the ids after the merges: first those with a role (<pad>, <mask>), then
 * those added by their text (<|user|>, <|end|>: Hugging Face's additional_special_tokens). Their
 * text in a text is cut out before chunking and becomes one id, as Hugging Face does, so BPE never
 * merges across them.
 */
import { AddedTokens, DecodeOptions, SpecialTokenName, SpecialTokenOptions, SpecialTokensWith, SpecialTokenTable, Tokenizer } from './tokenizer';

/**
 * The whitespace characters of JavaScript's `\s`, spelled out. Other regex engines give `\s` other
 * members (Rust's and Oniguruma's add U+0085 and lack U+FEFF), so the pattern names them itself:
 * then it cuts a text the same way wherever it runs (checkpoint/hfTokenizer.ts exports it).
 */
const WHITESPACE = '\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';
const S = `[${WHITESPACE}]`;

/**
 * The pre-tokenizer's chunks: an optional whitespace character and letters, digits or other symbols;
 * or a run of whitespace (all but its last character when a chunk follows, which takes that one).
 * Read with `\s` for S: /\s?\p{L}+|\s?\p{N}+|\s?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu.
 */
export const PRE_TOKENIZER_PATTERN = `${S}?\\p{L}+|${S}?\\p{N}+|${S}?[^${WHITESPACE}\\p{L}\\p{N}]+|${S}+(?![^${WHITESPACE}])|${S}+`;
const CHUNK = new RegExp(PRE_TOKENIZER_PATTERN, 'gu');

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8'); // malformed byte sequences become U+FFFD

export interface BpeTrainOptions<N extends SpecialTokenName = never> extends SpecialTokenOptions<N> {
  /** 256 byte tokens + the merges to learn + the special tokens (as Hugging Face's BpeTrainer counts them). */
  vocabSize: number;
}

export interface BpeOptions<N extends SpecialTokenName = never> extends SpecialTokenOptions<N> {
  /** Special tokens by their text, after the merges and the role tokens. */
  addedTokens?: AddedTokens;
  /** The Jinja chat template (finetune/chatTemplate.ts renders it). */
  chatTemplate?: string;
}

/** What toJSON writes and fromJSON reads (config.json's llm_lab.tokenizer). */
export interface BpeJSON {
  type: 'bpe';
  merges: [number, number][];
  specialTokens?: SpecialTokenName[];
  addedTokens?: string[];
  addedTokenRoles?: { [name in SpecialTokenName]?: string };
  chatTemplate?: string;
}

/** N: the roles of its special tokens (none by default). */
export class BpeTokenizer<N extends SpecialTokenName = never> implements Tokenizer {
  /** merges[i] = [a, b]: token 256 + i is token a followed by token b. */
  readonly merges: ReadonlyArray<readonly [number, number]>;
  /** token id -> its bytes (a special token: the UTF-8 of its text, <mask>) */
  private readonly bytes: Uint8Array[];
  private readonly specials: SpecialTokenTable<N>;
  /** "a,b" -> merged id (the lower the id, the earlier the merge and the higher its priority) */
  private readonly rank = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();
  readonly chatTemplate?: string;

  constructor(merges: ReadonlyArray<readonly [number, number]>, options: BpeOptions<N> = {}) {
    this.bytes = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
    merges.forEach(([a, b], i) => {
      const id = 256 + i;
      if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0 && a < id && b < id)) {
        throw new Error(`BpeTokenizer: merge ${i} = [${a}, ${b}] refers to a token that does not exist yet (ids below ${id})`);
      }
      const joined = new Uint8Array(this.bytes[a].length + this.bytes[b].length);
      joined.set(this.bytes[a]);
      joined.set(this.bytes[b], this.bytes[a].length);
      this.bytes.push(joined);
      this.rank.set(`${a},${b}`, id);
    });
    this.merges = merges.map(([a, b]) => [a, b] as const);
    this.specials = new SpecialTokenTable(options.specialTokens ?? [], this.bytes.length, 'BpeTokenizer', options.addedTokens);
    for (const text of this.specials.texts) this.bytes.push(encoder.encode(text));
    if (options.chatTemplate !== undefined) {
      if (typeof options.chatTemplate !== 'string') throw new Error(`BpeTokenizer: chatTemplate must be a string (a Jinja template), got ${typeof options.chatTemplate}`);
      this.chatTemplate = options.chatTemplate;
    }
  }

  /** A tokenizer saved by toJSON (a checkpoint's llm_lab.tokenizer); `source` names where it came from in errors. */
  static fromJSON(json: unknown, source = 'the tokenizer JSON'): BpeTokenizer {
    const j = json as Partial<BpeJSON> | null;
    if (j?.type !== 'bpe' || !Array.isArray(j.merges)) throw new Error(`BpeTokenizer.fromJSON: ${source} is not a BPE tokenizer (expected { type: "bpe", merges: [...] })`);
    if (j.addedTokens !== undefined && !Array.isArray(j.addedTokens)) throw new Error(`BpeTokenizer.fromJSON: ${source} has addedTokens that are not a list`);
    const addedTokens = j.addedTokens ? { tokens: j.addedTokens, roles: j.addedTokenRoles } : undefined;
    // which roles it has is known only now: its type says none for sure (specialTokens.pad may be undefined)
    return new BpeTokenizer(j.merges, { specialTokens: j.specialTokens as never[] | undefined, addedTokens, chatTemplate: j.chatTemplate });
  }

  /**
   * A copy with more special tokens, given by their text (Hugging Face's
   * add_special_tokens({ additional_special_tokens })), after every existing id; `roles` gives some of
   * them a role: withAddedTokens(['<|user|>', '<|end|>'], { eos: '<|end|>' }). Existing ids do not move.
   */
  withAddedTokens<R extends SpecialTokenName = never>(tokens: readonly string[], roles: { readonly [name in R]: string } = {} as { [name in R]: string }): BpeTokenizer<N | R> {
    for (const name of Object.keys(roles)) {
      const id = (this.specialTokens as { [k: string]: number | undefined })[name];
      if (id !== undefined) throw new Error(`BpeTokenizer.withAddedTokens: the tokenizer already has a ${name} token (id ${id}); a role is given once`);
    }
    const addedTokens = { tokens: [...this.specials.added, ...tokens], roles: { ...this.specials.addedRoles, ...roles } };
    return new BpeTokenizer<N | R>(this.merges, { specialTokens: this.specials.names as N[], addedTokens, chatTemplate: this.chatTemplate });
  }

  /** A copy that renders chats with this Jinja template (Hugging Face's tokenizer.chat_template = template). */
  withChatTemplate(template: string): BpeTokenizer<N> {
    const addedTokens = { tokens: this.specials.added, roles: this.specials.addedRoles };
    return new BpeTokenizer<N>(this.merges, { specialTokens: this.specials.names as N[], addedTokens, chatTemplate: template });
  }

  /** The special tokens added by their text, in id order (Hugging Face's additional_special_tokens). */
  get addedTokens(): readonly string[] {
    return this.specials.added;
  }

  /** Is `id` a special token (a role's or an added one)? */
  isSpecial(id: number): boolean {
    return this.specials.has(id);
  }

  /** Learn merges on `text` until the vocabulary has `vocabSize` tokens (fewer if no pair repeats). */
  static train<N extends SpecialTokenName = never>(text: string, { vocabSize, specialTokens = [] }: BpeTrainOptions<N>): BpeTokenizer<N> {
    const fixed = 256 + specialTokens.length;
    if (!Number.isInteger(vocabSize) || vocabSize < fixed) {
      const what = specialTokens.length > 0 ? `${fixed} (the byte tokens and ${specialTokens.length} special tokens)` : '256 (the byte tokens)';
      throw new Error(`BpeTokenizer.train: vocabSize must be an integer >= ${what}, got ${vocabSize}`);
    }
    // Each distinct chunk once, with how often it occurs: merges are counted per chunk type.
    const counts = new Map<string, number>();
    for (const chunk of chunks(text)) counts.set(chunk, (counts.get(chunk) ?? 0) + 1);
    const words = [...counts].map(([chunk, count]) => ({ ids: Array.from(encoder.encode(chunk)), count }));
    const merges: [number, number][] = [];
    while (fixed + merges.length < vocabSize) {
      const pairs = new Map<string, number>();
      for (const { ids, count } of words) {
        for (let i = 0; i + 1 < ids.length; i++) {
          const key = `${ids[i]},${ids[i + 1]}`;
          pairs.set(key, (pairs.get(key) ?? 0) + count);
        }
      }
      // the most frequent pair; ties go to the pair seen first, so training is deterministic
      let best = '';
      let bestCount = 1;
      for (const [key, c] of pairs) if (c > bestCount) [best, bestCount] = [key, c];
      if (!best) break; // nothing occurs twice any more
      const [a, b] = best.split(',').map(Number);
      const id = 256 + merges.length;
      merges.push([a, b]);
      for (const w of words) w.ids = mergePair(w.ids, a, b, id);
    }
    return new BpeTokenizer(merges, { specialTokens });
  }

  get vocabSize(): number {
    return this.bytes.length;
  }

  get specialTokens(): SpecialTokensWith<N> {
    return this.specials.ids;
  }

  encode(text: string): number[] {
    return this.specials.encode(text, piece => {
      const out: number[] = [];
      // one id at a time: a chunk can be very long (text without spaces), too long to spread as arguments
      for (const chunk of chunks(piece)) for (const id of this.encodeChunk(chunk)) out.push(id);
      return out;
    });
  }

  /** Apply the merges to one chunk, earliest-learned first, until none applies. */
  private encodeChunk(chunk: string): number[] {
    const cached = this.cache.get(chunk);
    if (cached) return cached;
    let ids = Array.from(encoder.encode(chunk));
    for (;;) {
      let bestId = Infinity;
      let bestPair: [number, number] | null = null;
      for (let i = 0; i + 1 < ids.length; i++) {
        const id = this.rank.get(`${ids[i]},${ids[i + 1]}`);
        if (id !== undefined && id < bestId) [bestId, bestPair] = [id, [ids[i], ids[i + 1]]];
      }
      if (!bestPair) break;
      ids = mergePair(ids, bestPair[0], bestPair[1], bestId);
    }
    if (this.cache.size < 100_000) this.cache.set(chunk, ids);
    return ids;
  }

  decode(ids: ArrayLike<number>, { skipSpecialTokens = false }: DecodeOptions = {}): string {
    return decoder.decode(this.bytesOf(ids, skipSpecialTokens));
  }

  /** The bytes of a token sequence; with skipSpecialTokens, without those of the special tokens. */
  bytesOf(ids: ArrayLike<number>, skipSpecialTokens = false): Uint8Array {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (let i = 0; i < ids.length; i++) {
      if (skipSpecialTokens && this.specials.has(ids[i])) continue;
      const part = this.tokenBytes(ids[i], i);
      parts.push(part);
      length += part.length;
    }
    const out = new Uint8Array(length);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /**
   * Each token's text, for labels in views. A token can be part of a multi-byte character; its
   * bytes are shown as <xx> hex then, instead of a replacement character.
   */
  tokenStrings(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id, i) => {
      const b = this.tokenBytes(id, i);
      const text = decoder.decode(b);
      return text.includes('\uFFFD') ? Array.from(b, x => `<${x.toString(16).padStart(2, '0')}>`).join('') : text;
    });
  }

  private tokenBytes(id: number, position: number): Uint8Array {
    const bytes = this.bytes[id];
    if (!bytes) throw new Error(`BpeTokenizer: token id ${id} at position ${position} is outside the vocabulary [0, ${this.vocabSize})`);
    return bytes;
  }

  /** The merges, and the special tokens and chat template when there are any: BpeTokenizer.fromJSON loads it. */
  toJSON(): BpeJSON {
    const json: BpeJSON = { type: 'bpe', merges: this.merges.map(([a, b]): [number, number] => [a, b]) };
    if (this.specials.names.length > 0) json.specialTokens = [...this.specials.names];
    if (this.specials.added.length > 0) json.addedTokens = [...this.specials.added];
    if (Object.keys(this.specials.addedRoles).length > 0) json.addedTokenRoles = { ...this.specials.addedRoles };
    if (this.chatTemplate !== undefined) json.chatTemplate = this.chatTemplate;
    return json;
  }
}

/** The chunks of a text; together they are the whole text (checked: a lost character is a bug). */
function chunks(text: string): string[] {
  if (typeof text !== 'string') throw new Error(`BpeTokenizer: expected a string, got ${typeof text}`);
  const parts: string[] = text.match(CHUNK) ?? [];
  const length = parts.reduce((n, p) => n + p.length, 0);
  if (length !== text.length) throw new Error(`BpeTokenizer: the pre-tokenizer covered ${length} of ${text.length} characters`);
  return parts;
}

/** ids with every adjacent (a, b) replaced by `id`, left to right. */
function mergePair(ids: number[], a: number, b: number, id: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
      out.push(id);
      i++;
    } else {
      out.push(ids[i]);
    }
  }
  return out;
}
