/**
 * Character tokenizer: every distinct character of the training text is one token.
 * The simplest tokenizer there is: a vocabulary of a few dozen symbols, long sequences.
 * Special tokens (e.g. <mask> for BERT) take the ids after the characters.
 */
import { DecodeOptions, encodeCharacters, SpecialTokenName, SpecialTokenOptions, SpecialTokensWith, SpecialTokenTable, Tokenizer } from './tokenizer';

/** N: the special tokens it was built with (none by default). */
export class CharTokenizer<N extends SpecialTokenName = never> implements Tokenizer {
  /** id -> character; the special tokens follow, at ids vocab.length, vocab.length + 1, ... */
  readonly vocab: string[];
  private readonly ids: Map<string, number>;
  private readonly specials: SpecialTokenTable<N>;

  constructor(vocab: string[], options: SpecialTokenOptions<N> = {}) {
    const seen = new Set<string>();
    for (const ch of vocab) {
      if ([...ch].length !== 1) throw new Error(`CharTokenizer: vocabulary entry ${JSON.stringify(ch)} is not one character`);
      if (seen.has(ch)) throw new Error(`CharTokenizer: character ${JSON.stringify(ch)} appears twice in the vocabulary`);
      seen.add(ch);
    }
    this.vocab = [...vocab];
    this.ids = new Map(this.vocab.map((ch, i) => [ch, i]));
    this.specials = new SpecialTokenTable(options.specialTokens ?? [], this.vocab.length, 'CharTokenizer');
  }

  /**
   * Build the vocabulary from a text: its distinct characters, sorted by code point, then the
   * special tokens asked for, e.g. CharTokenizer.fromText(text, { specialTokens: ['mask'] }).
   */
  static fromText<N extends SpecialTokenName = never>(text: string, options: SpecialTokenOptions<N> = {}): CharTokenizer<N> {
    const chars = [...new Set(Array.from(text))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer(chars, options);
  }

  get vocabSize(): number {
    return this.vocab.length + this.specials.size;
  }

  get specialTokens(): SpecialTokensWith<N> {
    return this.specials.ids;
  }

  encode(text: string): number[] {
    return this.specials.encode(text, (piece, start) =>
      encodeCharacters(piece, start, ch => this.ids.get(ch), (ch, i) => `CharTokenizer: character ${JSON.stringify(ch)} at position ${i} is not in the vocabulary (${this.vocab.length} characters)`)
    );
  }

  decode(ids: ArrayLike<number>, options?: DecodeOptions): string {
    return this.specials.join(ids, (id, i) => this.tokenText(id, i), options);
  }

  /** Each token's text, for labels in views; a special token reads <mask>. */
  tokenStrings(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id, i) => this.tokenText(id, i));
  }

  private tokenText(id: number, position: number): string {
    const text = this.vocab[id] ?? this.specials.textOf(id);
    if (text === undefined) throw new Error(`CharTokenizer: token id ${id} at position ${position} is outside the vocabulary [0, ${this.vocabSize})`);
    return text;
  }

  /** The characters, and the special tokens when there are any (then new CharTokenizer(vocab, { specialTokens }) loads it). */
  toJSON(): { type: 'char'; vocab: string[]; specialTokens?: string[] } {
    return this.specials.size > 0 ? { type: 'char', vocab: this.vocab, specialTokens: [...this.specials.names] } : { type: 'char', vocab: this.vocab };
  }
}
