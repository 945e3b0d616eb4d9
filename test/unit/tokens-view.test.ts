import { describe, expect, it } from 'vitest';
import { BpeTokenizer } from '../../kernel-lib/src/tokenizers/bpe';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { mergesBundle, tokenRows, tokensBundle } from '../../kernel-lib/src/viz/tokens';

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

  it('lists the merges in the order they were learned, each joining two earlier tokens', () => {
    const b = mergesBundle(bpe, 5);
    const lines = b['text/plain'].split('\n');
    expect(lines).toHaveLength(5);
    const [a, c] = bpe.merges[0];
    const [left, right] = bpe.tokenStrings([a, c]);
    expect(lines[0]).toBe(`256: ${JSON.stringify(left)} + ${JSON.stringify(right)} -> ${JSON.stringify(left + right)}`);
    expect(b['text/html']).toContain(`and ${bpe.merges.length - 5} more merges`);
  });
});
