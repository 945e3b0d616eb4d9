import { describe, expect, it } from 'vitest';
import { mobyDickChapters } from '../../kernel-lib/src/data/corpus';
import { seededRandom } from '../../kernel-lib/src/random';
import { BpeTokenizer } from '../../kernel-lib/src/tokenizers/bpe';

const corpus = mobyDickChapters().slice(0, 12).map(c => c.text).join('\n\n');

/** A random string over many scripts: ASCII, Latin-1, Greek, CJK, emoji (astral), combining marks, odd spaces. */
function randomUnicode(seed: number, length: number): string {
  const r = seededRandom(seed);
  const ranges: [number, number][] = [[0x20, 0x7e], [0xa0, 0xff], [0x391, 0x3c9], [0x4e00, 0x4fff], [0x1f600, 0x1f64f], [0x300, 0x36f], [0x2000, 0x200b], [0x0a, 0x0d]];
  let s = '';
  for (let i = 0; i < length; i++) {
    const [lo, hi] = ranges[Math.floor(r() * ranges.length)];
    s += String.fromCodePoint(lo + Math.floor(r() * (hi - lo + 1)));
  }
  return s;
}

describe('byte-level BPE', () => {
  const tok = BpeTokenizer.train(corpus, { vocabSize: 512 });

  it('learns the merges it is asked for, deterministically, and halves the length of English text', () => {
    expect(tok.vocabSize).toBe(512);
    expect(BpeTokenizer.train(corpus, { vocabSize: 512 }).merges).toEqual(tok.merges);
    const text = corpus.slice(0, 20_000);
    const bytes = new TextEncoder().encode(text).length;
    expect(bytes / tok.encode(text).length).toBeGreaterThan(1.9); // 256 merges: about 2 bytes per token (GPT-2's 50k: about 4)
    expect(tok.tokenStrings(tok.encode(' the whale'))).toEqual([' the', ' whale']);
  });

  it('round-trips arbitrary Unicode, seen in training or not', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const s = randomUnicode(seed, 200);
      expect(tok.decode(tok.encode(s))).toBe(s);
    }
    for (const s of ['', ' ', '\n\n  \t', 'Ahab ☃ 鯨 🐋 e\u0301', '<img src=x onerror=alert(1)>']) expect(tok.decode(tok.encode(s))).toBe(s);
  });

  it('shows a token that holds part of a character as its bytes', () => {
    const small = new BpeTokenizer([]);
    expect(small.tokenStrings(small.encode('é'))).toEqual(['<c3>', '<a9>']);
    expect(small.decode(small.encode('é'))).toBe('é');
  });

  it('saves and loads: the merges are the whole tokenizer', () => {
    const again = new BpeTokenizer(JSON.parse(JSON.stringify(tok.toJSON())).merges);
    const text = corpus.slice(5000, 9000);
    expect(again.encode(text)).toEqual(tok.encode(text));
  });

  it('names bad input', () => {
    expect(() => BpeTokenizer.train(corpus, { vocabSize: 100 })).toThrow('vocabSize must be an integer >= 256 (the byte tokens), got 100');
    expect(() => tok.decode([1, 512])).toThrow('token id 512 at position 1 is outside the vocabulary [0, 512)');
    expect(() => new BpeTokenizer([[65, 300]])).toThrow('merge 0 = [65, 300] refers to a token that does not exist yet (ids below 256)');
  });
});
