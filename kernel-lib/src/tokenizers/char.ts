/**
 * Character tokenizer: every distinct character of the training text is one token.
 * The simplest tokenizer there is: a vocabulary of a few dozen symbols, long sequences.
 */
export class CharTokenizer {
  /** id -> character */
  readonly vocab: string[];
  private readonly ids: Map<string, number>;

  constructor(vocab: string[]) {
    const seen = new Set<string>();
    for (const ch of vocab) {
      if ([...ch].length !== 1) throw new Error(`CharTokenizer: vocabulary entry ${JSON.stringify(ch)} is not one character`);
      if (seen.has(ch)) throw new Error(`CharTokenizer: character ${JSON.stringify(ch)} appears twice in the vocabulary`);
      seen.add(ch);
    }
    this.vocab = [...vocab];
    this.ids = new Map(this.vocab.map((ch, i) => [ch, i]));
  }

  /** Build the vocabulary from a text: its distinct characters, sorted by code point. */
  static fromText(text: string): CharTokenizer {
    const chars = [...new Set(Array.from(text))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer(chars);
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  encode(text: string): number[] {
    return Array.from(text, (ch, i) => {
      const id = this.ids.get(ch);
      if (id === undefined) {
        throw new Error(`CharTokenizer: character ${JSON.stringify(ch)} at position ${i} is not in the vocabulary (${this.vocabSize} characters)`);
      }
      return id;
    });
  }

  decode(ids: ArrayLike<number>): string {
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      const ch = this.vocab[ids[i]];
      if (ch === undefined) throw new Error(`CharTokenizer: token id ${ids[i]} at position ${i} is outside the vocabulary [0, ${this.vocabSize})`);
      out += ch;
    }
    return out;
  }

  /** Each token's text, for labels in views. */
  tokenStrings(ids: ArrayLike<number>): string[] {
    return Array.from(ids, id => this.decode([id]));
  }

  toJSON(): { type: 'char'; vocab: string[] } {
    return { type: 'char', vocab: this.vocab };
  }
}
