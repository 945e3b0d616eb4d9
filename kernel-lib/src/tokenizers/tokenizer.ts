/**
 * What every tokenizer of the course is: text <-> ids over a vocabulary of vocabSize ids, some of
 * which are special tokens with a role (padding, begin/end of sequence, [MASK] ...). The special
 * tokens belong to the tokenizer, as in Hugging Face (tokenizer.pad_token_id, mask_token_id, ...):
 * a model, a batch or a masking step asks the tokenizer for them instead of doing id arithmetic.
 *
 * Implemented by CharTokenizer, BpeTokenizer, Seq2SeqChars (data/seq2seq.ts) and the induction
 * lesson's SymbolTokenizer.
 */

/** The roles Hugging Face gives special tokens: pad_token, bos_token, eos_token, unk_token, mask_token, cls_token, sep_token. */
export const SPECIAL_TOKEN_NAMES = ['pad', 'bos', 'eos', 'unk', 'mask', 'cls', 'sep'] as const;
export type SpecialTokenName = (typeof SPECIAL_TOKEN_NAMES)[number];

/** A tokenizer's special token ids by role, e.g. { pad: 0, bos: 1, eos: 2, mask: 3 }; a role it lacks is absent. */
export type SpecialTokens = { readonly [name in SpecialTokenName]?: number };

/** SpecialTokens where the roles N are surely present: CharTokenizer.fromText(text, { specialTokens: ['mask'] }).specialTokens.mask is a number. */
export type SpecialTokensWith<N extends SpecialTokenName> = SpecialTokens & { readonly [name in N]: number };

/** One turn of a chat, as Hugging Face's chat templates take it: who speaks, and what they say. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface DecodeOptions {
  /** Leave special tokens out of the text (Hugging Face's skip_special_tokens); default false: they read as <pad>, <mask>, ... */
  skipSpecialTokens?: boolean;
}

export interface Tokenizer {
  /** Every id is in [0, vocabSize). */
  readonly vocabSize: number;
  /** Ids of the special tokens, by role: tokenizer.specialTokens.mask (undefined without one). */
  readonly specialTokens: SpecialTokens;
  /** Text -> ids. A special token written in the text ("<mask>") becomes its id, as in Hugging Face. */
  encode(text: string): number[];
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  /** The text of each id, for labels in views (Hugging Face's convert_ids_to_tokens). */
  tokenStrings(ids: ArrayLike<number>): string[];
  /** A Jinja template that turns a chat into text (Hugging Face's tokenizer.chat_template), if the tokenizer has one. */
  readonly chatTemplate?: string;
}

/** Tokenizers that can take special tokens after their ordinary ones (CharTokenizer, BpeTokenizer). */
export interface SpecialTokenOptions<N extends SpecialTokenName = SpecialTokenName> {
  /**
   * Special tokens to add, e.g. ['mask'] for masked language modelling. They get the ids after the
   * ordinary tokens, in this order, so the ordinary tokens keep the ids they have without them.
   */
  specialTokens?: readonly N[];
}

/**
 * Special tokens given by their text (Hugging Face's additional_special_tokens), e.g. the markers
 * of a chat: { tokens: ['<|user|>', '<|assistant|>', '<|end|>'], roles: { eos: '<|end|>' } }. They
 * take the ids after every other token, in this order, so no existing id moves.
 */
export interface AddedTokens {
  tokens: readonly string[];
  /** Roles some of them take (eos: '<|end|>', pad: '<|end|>'), so tokenizer.specialTokens.eos is that id. */
  roles?: { readonly [name in SpecialTokenName]?: string };
}

/** How a special token reads in text (as in BART and RoBERTa): <pad>, <bos>, <eos>, <mask>, ... */
export function specialTokenText(name: SpecialTokenName): string {
  return `<${name}>`;
}

/** The id of the special token `name`, or an error that says who needed it and what the tokenizer has. */
export function requireSpecialToken(tokenizer: Pick<Tokenizer, 'specialTokens'>, name: SpecialTokenName, who: string): number {
  const id = tokenizer.specialTokens[name];
  if (id === undefined) {
    const has = Object.keys(tokenizer.specialTokens).join(', ') || 'none';
    throw new Error(`${who}: the tokenizer has no ${name} token (its special tokens: ${has}); build it with { specialTokens: ['${name}'] }`);
  }
  return id;
}

/**
 * A tokenizer's special tokens: role <-> id <-> text. One table serves every tokenizer, so special
 * tokens are encoded, decoded and shown the same way everywhere.
 */
export class SpecialTokenTable<N extends SpecialTokenName = never> {
  /** role -> id */
  readonly ids: SpecialTokensWith<N>;
  /** Roles in id order (the tokens written <pad>, <mask>, ...). */
  readonly names: readonly SpecialTokenName[];
  /** The tokens added by their text, in id order (after the roles' tokens). */
  readonly added: readonly string[];
  /** Roles taken by added tokens: role -> text. */
  readonly addedRoles: { readonly [name in SpecialTokenName]?: string };
  private readonly textById = new Map<number, string>();
  private readonly idByText = new Map<string, number>();
  /** Matches any special token's text; undefined without special tokens. */
  private readonly pattern: RegExp | undefined;
  private readonly owner: string;

  /**
   * `names[i]` gets id `first + i`, then `added.tokens[j]` gets id `first + names.length + j`.
   * `owner` names the tokenizer in errors.
   */
  constructor(names: readonly N[], first: number, owner: string, added: AddedTokens = { tokens: [] }) {
    this.owner = owner;
    const ids: { [name in SpecialTokenName]?: number } = {};
    names.forEach((name, i) => {
      if (!(SPECIAL_TOKEN_NAMES as readonly string[]).includes(name)) {
        throw new Error(`${owner}: unknown special token ${JSON.stringify(name)} (the roles are ${SPECIAL_TOKEN_NAMES.join(', ')})`);
      }
      if (ids[name] !== undefined) throw new Error(`${owner}: special token "${name}" is listed twice`);
      ids[name] = first + i;
      this.textById.set(first + i, specialTokenText(name));
      this.idByText.set(specialTokenText(name), first + i);
    });
    added.tokens.forEach((text, j) => {
      if (typeof text !== 'string' || text.length === 0) throw new Error(`${owner}: added token ${j} must be a non-empty string, got ${JSON.stringify(text)}`);
      if (this.idByText.has(text)) throw new Error(`${owner}: the special token ${JSON.stringify(text)} is added twice (it already has id ${this.idByText.get(text)})`);
      const id = first + names.length + j;
      this.textById.set(id, text);
      this.idByText.set(text, id);
    });
    for (const [name, text] of Object.entries(added.roles ?? {})) {
      if (!(SPECIAL_TOKEN_NAMES as readonly string[]).includes(name)) {
        throw new Error(`${owner}: unknown special token role ${JSON.stringify(name)} (the roles are ${SPECIAL_TOKEN_NAMES.join(', ')})`);
      }
      if (ids[name as SpecialTokenName] !== undefined) throw new Error(`${owner}: the role ${name} is given twice (to <${name}> and to ${JSON.stringify(text)})`);
      if (!added.tokens.includes(text as string)) {
        throw new Error(`${owner}: the role ${name} is given to ${JSON.stringify(text)}, which is not an added token (added: ${added.tokens.map(t => JSON.stringify(t)).join(', ') || 'none'})`);
      }
      ids[name as SpecialTokenName] = this.idByText.get(text as string);
    }
    this.ids = Object.freeze(ids) as SpecialTokensWith<N>;
    this.names = [...names];
    this.added = [...added.tokens];
    this.addedRoles = Object.freeze({ ...added.roles });
    // longest first, so a token that starts another ('<|end|>' in '<|endoftext|>') never cuts it short
    const texts = [...this.idByText.keys()].sort((a, b) => b.length - a.length);
    this.pattern = texts.length > 0 ? new RegExp(texts.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  /** How many special tokens: the roles' and the added ones. */
  get size(): number {
    return this.names.length + this.added.length;
  }

  /** The text of every special token, in id order. */
  get texts(): string[] {
    return [...this.names.map(specialTokenText), ...this.added];
  }

  has(id: number): boolean {
    return this.textById.has(id);
  }

  /** The text of a special id (<mask>), undefined for any other id. */
  textOf(id: number): string | undefined {
    return this.textById.get(id);
  }

  /**
   * Decode by joining the text of each id, `textOf(id, position)`, leaving special ids out with
   * skipSpecialTokens: for tokenizers whose tokens are whole characters (not bytes).
   */
  join(ids: ArrayLike<number>, textOf: (id: number, position: number) => string, { skipSpecialTokens = false }: DecodeOptions = {}): string {
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      if (!(skipSpecialTokens && this.has(ids[i]))) out += textOf(ids[i], i);
    }
    return out;
  }

  /**
   * Encode a text in which special tokens may appear as their text: each becomes its id, and each
   * piece between them goes to `encodePiece(piece, start)`, `start` being where the piece begins in
   * `text` (for the positions in error messages).
   */
  encode(text: string, encodePiece: (piece: string, start: number) => number[]): number[] {
    if (typeof text !== 'string') throw new Error(`${this.owner}: expected a string, got ${typeof text}`);
    if (!this.pattern) return encodePiece(text, 0);
    const ids: number[] = [];
    const add = (piece: number[]) => {
      for (const id of piece) ids.push(id); // not push(...piece): a whole book overflows the call stack
    };
    let done = 0;
    for (const match of text.matchAll(this.pattern)) {
      if (match.index! > done) add(encodePiece(text.slice(done, match.index), done));
      ids.push(this.idByText.get(match[0])!);
      done = match.index! + match[0].length;
    }
    if (done < text.length) add(encodePiece(text.slice(done), done));
    return ids;
  }
}

/**
 * One id per character (code point) of `piece`, which starts at index `start` of the whole text;
 * `unknown` words the error for a character without an id.
 */
export function encodeCharacters(piece: string, start: number, idOf: (ch: string) => number | undefined, unknown: (ch: string, position: number) => string): number[] {
  const ids: number[] = [];
  let position = start;
  for (const ch of piece) {
    const id = idOf(ch);
    if (id === undefined) throw new Error(unknown(ch, position));
    ids.push(id);
    position += ch.length;
  }
  return ids;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
