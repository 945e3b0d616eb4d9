import { describe, expect, it } from 'vitest';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { mobyDickChapters } from '../../kernel-lib/src/data/corpus';

describe('CharTokenizer', () => {
  it('round-trips the whole of Moby Dick', () => {
    const text = mobyDickChapters().map(c => c.text).join('\n\n');
    const tok = CharTokenizer.fromText(text);
    const ids = tok.encode(text);
    expect(ids.length).toBe(Array.from(text).length);
    expect(tok.decode(ids)).toBe(text);
    expect(tok.vocabSize).toBeGreaterThan(60);
    expect(tok.vocabSize).toBeLessThan(120);
  });

  it('round-trips characters outside the BMP and keeps ids stable and sorted', () => {
    const text = 'héllo 🐋 wörld\n\ttabs';
    const tok = CharTokenizer.fromText(text);
    expect(tok.decode(tok.encode(text))).toBe(text);
    expect(tok.vocab).toContain('🐋');
    expect(tok.encode('\n')).toEqual([0 + tok.vocab.indexOf('\n')]);
    const sorted = [...tok.vocab].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    expect(tok.vocab).toEqual(sorted);
  });

  it('names the character and position it cannot encode, and the id it cannot decode', () => {
    const tok = CharTokenizer.fromText('abc');
    expect(() => tok.encode('abz')).toThrow(/"z" at position 2/);
    expect(() => tok.decode([0, 7])).toThrow(/token id 7 at position 1/);
    // positions index the string, as text[i] and text.slice(i) do: an emoji takes two
    expect(() => CharTokenizer.fromText('🐋a').encode('🐋b')).toThrow('character "b" at position 2 is not in the vocabulary (2 characters)');
  });

  it('takes a [MASK] token after the characters, for masked language modelling', () => {
    const tok = CharTokenizer.fromText('abc', { specialTokens: ['mask'] });
    expect(tok.vocab).toEqual(['a', 'b', 'c']);
    expect(tok.specialTokens).toEqual({ mask: 3 });
    expect(tok.vocabSize).toBe(4);
    expect(tok.encode('ab<mask>c')).toEqual([0, 1, 3, 2]);
    expect(tok.decode([0, 3, 2])).toBe('a<mask>c');
    expect(tok.decode([0, 3, 2], { skipSpecialTokens: true })).toBe('ac');
    expect(() => tok.encode('<mas')).toThrow('character "<" at position 0 is not in the vocabulary (3 characters)');
  });
});
