import { describe, expect, it } from 'vitest';
import { Seq2SeqChars } from '../../kernel-lib/src/data/seq2seq';
import { SymbolTokenizer } from '../../kernel-lib/src/lessons/induction/data';
import { BpeTokenizer } from '../../kernel-lib/src/tokenizers/bpe';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { requireSpecialToken, SpecialTokenName, Tokenizer } from '../../kernel-lib/src/tokenizers/tokenizer';

const text = 'Call me Ishmael. Some years ago, never mind how long precisely';

interface Case {
  tokenizer: Tokenizer;
  /** Ordinary text it can encode. */
  sample: string;
  /** The special tokens it should have, by role. */
  specials: Partial<Record<SpecialTokenName, number>>;
  /** A character it has no token for (none for byte-level BPE). */
  unknown?: { text: string; message: string };
}

const chars = CharTokenizer.fromText(text, { specialTokens: ['mask'] });
const bpe = BpeTokenizer.train(text.repeat(5), { vocabSize: 280, specialTokens: ['pad', 'mask'] });
const cases: Record<string, Case> = {
  CharTokenizer: {
    tokenizer: chars,
    sample: 'Some years ago',
    specials: { mask: chars.vocab.length },
    unknown: { text: 'Cab', message: 'CharTokenizer: character "b" at position 2 is not in the vocabulary' }
  },
  BpeTokenizer: { tokenizer: bpe, sample: 'never mind, Ahab', specials: { pad: 278, mask: 279 } },
  SymbolTokenizer: {
    tokenizer: new SymbolTokenizer(20),
    sample: 'abcbat',
    specials: {},
    unknown: { text: 'abZ', message: 'SymbolTokenizer: "Z" at position 2 is not a token' }
  },
  Seq2SeqChars: {
    tokenizer: Seq2SeqChars.fromText(text),
    sample: 'how long',
    specials: { pad: 0, bos: 1, eos: 2, mask: 3 },
    unknown: { text: 'how big', message: 'Seq2SeqChars: character "b" at position 4 is not in the vocabulary' }
  }
};

describe.each(Object.entries(cases))('%s implements Tokenizer', (name, { tokenizer: tok, sample, specials, unknown }) => {
  it('round-trips ordinary text, and its tokens join back to it', () => {
    const ids = tok.encode(sample);
    expect(tok.decode(ids)).toBe(sample);
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe(sample);
    expect(tok.tokenStrings(ids).join('')).toBe(sample);
    expect(ids.every(id => Number.isInteger(id) && id >= 0 && id < tok.vocabSize)).toBe(true);
  });

  it('has the special tokens it was built with: distinct ids inside [0, vocabSize)', () => {
    expect({ ...tok.specialTokens }).toEqual(specials);
    const ids = Object.values(tok.specialTokens);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(Number.isInteger(id) && id >= 0 && id < tok.vocabSize).toBe(true);
  });

  it('decodes special tokens as <name>, or leaves them out with skipSpecialTokens; encodes <name> back to the id', () => {
    const roles = Object.entries(tok.specialTokens) as [SpecialTokenName, number][];
    const ids = [...tok.encode(sample)];
    const shown = [sample];
    for (const [role, id] of roles) {
      ids.push(id, ...tok.encode(sample));
      shown.push(`<${role}>`, sample);
    }
    expect(tok.decode(ids)).toBe(shown.join(''));
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe(sample.repeat(roles.length + 1));
    expect(tok.encode(shown.join(''))).toEqual(ids);
    expect(tok.tokenStrings(roles.map(([, id]) => id))).toEqual(roles.map(([role]) => `<${role}>`));
  });

  it('names the id outside the vocabulary, and where it is', () => {
    for (const bad of [-1, tok.vocabSize, 1.5]) {
      const ids = [...tok.encode(sample.slice(0, 2)), bad];
      const message = `${name}: token id ${bad} at position ${ids.length - 1} is outside the vocabulary [0, ${tok.vocabSize})`;
      expect(() => tok.decode(ids)).toThrow(message);
      expect(() => tok.tokenStrings(ids)).toThrow(message);
    }
  });

  if (unknown) {
    it('names the character it cannot encode, and where it is', () => {
      expect(() => tok.encode(unknown.text)).toThrow(unknown.message);
    });
  } else {
    it('encodes any text: byte-level, so no character is unknown', () => {
      const text = 'Zebra \u2603 \u00fc\u00df';
      expect(tok.decode(tok.encode(text))).toBe(text);
    });
  }
});

describe('special tokens belong to the tokenizer', () => {
  it('adds them after the ordinary tokens, which keep their ids', () => {
    const plain = CharTokenizer.fromText(text);
    expect(chars.vocab).toEqual(plain.vocab);
    expect(chars.encode(text)).toEqual(plain.encode(text));
    expect(chars.specialTokens.mask).toBe(plain.vocabSize);
    expect(chars.vocabSize).toBe(plain.vocabSize + 1);

    // BPE counts special tokens in vocabSize, as Hugging Face's trainer does: the same 22 merges either way
    const plainBpe = BpeTokenizer.train(text.repeat(5), { vocabSize: 278 });
    expect(bpe.merges).toEqual(plainBpe.merges);
    expect(bpe.encode(text)).toEqual(plainBpe.encode(text));
  });

  it('saves them with the tokenizer, and only when there are some', () => {
    expect(CharTokenizer.fromText('ab').toJSON()).toEqual({ type: 'char', vocab: ['a', 'b'] });
    expect(CharTokenizer.fromText('ab', { specialTokens: ['pad', 'mask'] }).toJSON()).toEqual({ type: 'char', vocab: ['a', 'b'], specialTokens: ['pad', 'mask'] });
    const saved = JSON.parse(JSON.stringify(bpe.toJSON()));
    expect(Object.keys(new BpeTokenizer([]).toJSON())).toEqual(['type', 'merges']);
    const loaded = new BpeTokenizer(saved.merges, { specialTokens: saved.specialTokens });
    expect(loaded.specialTokens).toEqual(bpe.specialTokens);
    expect(loaded.encode(`${text}<mask>`)).toEqual(bpe.encode(`${text}<mask>`));
  });

  it('names a special token that is unknown, repeated, or missing', () => {
    const unknownRole = ['MASK'] as unknown as SpecialTokenName[];
    expect(() => CharTokenizer.fromText('ab', { specialTokens: unknownRole })).toThrow('CharTokenizer: unknown special token "MASK" (the roles are pad, bos, eos, unk, mask, cls, sep)');
    expect(() => new BpeTokenizer([], { specialTokens: ['mask', 'mask'] })).toThrow('BpeTokenizer: special token "mask" is listed twice');
    expect(() => BpeTokenizer.train(text, { vocabSize: 257, specialTokens: ['pad', 'mask'] })).toThrow(
      'vocabSize must be an integer >= 258 (the byte tokens and 2 special tokens), got 257'
    );
    expect(requireSpecialToken(chars, 'mask', 'maskedLM')).toBe(chars.vocab.length);
    expect(() => requireSpecialToken(CharTokenizer.fromText('ab'), 'mask', 'maskedLM')).toThrow(
      "maskedLM: the tokenizer has no mask token (its special tokens: none); build it with { specialTokens: ['mask'] }"
    );
    expect(() => requireSpecialToken(Seq2SeqChars.fromText('ab'), 'cls', 'classifier')).toThrow('classifier: the tokenizer has no cls token (its special tokens: pad, bos, eos, mask)');
  });
});
