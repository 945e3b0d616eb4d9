import { describe, expect, it } from 'vitest';
import { BpeTokenizer } from '../../kernel-lib/src/tokenizers/bpe';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { tokenRows, tokensBundle } from '../../kernel-lib/src/viz/tokens';

describe('tokens view', () => {
  const text = 'the whale <img src=x onerror=alert(1)> the whale';
  const char = CharTokenizer.fromText(text);
  const bpe = BpeTokenizer.train(text.repeat(20), { vocabSize: 280 });

  it('splits the text into pieces that join back to it, with counts per tokenizer', () => {
    const rows = tokenRows({ characters: char, BPE: bpe }, text);
    for (const r of rows) expect(r.pieces.join('')).toBe(text);
    expect(rows[0].ids).toHaveLength(text.length);
    expect(rows[1].ids.length).toBeLessThan(text.length / 2);
  });

  it('escapes the text in HTML, and says the numbers in plain text', () => {
    const b = tokensBundle({ characters: char, BPE: bpe }, text);
    expect(b['text/html']).not.toContain('<img');
    expect(b['text/html']).toContain('&lt;'); // '<' is its own token: escaped in its span
    expect(b['text/plain']).toMatch(new RegExp(`^characters: ${text.length} tokens \\(vocabulary ${char.vocabSize}, 1\\.00 chars/token\\)`));
  });
});
