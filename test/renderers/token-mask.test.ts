import './setup';
import { afterEach, describe, expect, it } from 'vitest';
import { TOKEN_MASK_MIME_TYPE } from '../../extension/src/mime';
import { tokenMaskBundle, TokenMaskInput, tokenMaskView } from '../../kernel-lib/src/viz/tokenMask';
import { render } from './render';

afterEach(() => {
  document.body.replaceChildren();
});

// A chat example: the prompt (template markers, the question) gets no loss, the answer and its <eos> do.
const chat: TokenMaskInput = {
  tokens: ['<|user|>', 'Hi', '\n', '<|assistant|>', 'Hello', '!', '<eos>'],
  mask: [0, 0, 0, 0, 1, 1, 1],
  loss: [null, null, null, null, 2, 0.5, 1]
};

const spans = (root: Element) => Array.from(root.querySelectorAll<HTMLElement>('.llm-lab-tm-tokens .llm-lab-tm-token'));

async function shown(data: unknown) {
  return (await render(TOKEN_MASK_MIME_TYPE, data)).node;
}

describe('token mask view', () => {
  it('shows every token, answer tokens (mask 1) apart from prompt tokens (mask 0), template markers as special', async () => {
    const root = await shown(tokenMaskView([chat], { title: 'SFT example' }));
    const tokens = spans(root);
    expect(tokens.map(t => t.textContent)).toEqual(['<|user|>', 'Hi', '\u21b5', '<|assistant|>', 'Hello', '!', '<eos>']);
    expect(tokens.map(t => t.classList.contains('llm-lab-tm-answer'))).toEqual([false, false, false, false, true, true, true]);
    expect(tokens.map(t => t.classList.contains('llm-lab-tm-prompt'))).toEqual([true, true, true, true, false, false, false]);
    expect(tokens.map(t => t.classList.contains('llm-lab-tm-special'))).toEqual([true, false, false, true, false, false, true]);
    // the newline token ends its line
    expect(tokens[2].nextElementSibling!.tagName).toBe('BR');
    expect(root.querySelector('.llm-lab-tm-summary')!.textContent).toBe('example 1: 4 prompt tokens, 3 answer tokens, mean answer loss 1.167');
  });

  it("underlines each token that has a loss, as opaque as its loss is high (the highest, 2, fully)", async () => {
    const root = await shown(tokenMaskView([chat]));
    const tokens = spans(root);
    expect(tokens.slice(0, 4).map(t => t.querySelector('.llm-lab-tm-loss'))).toEqual([null, null, null, null]);
    // 0.1 + 0.9 x loss / 2
    const opacity = tokens.slice(4).map(t => Number(t.querySelector<HTMLElement>('.llm-lab-tm-loss')!.style.opacity));
    [1, 0.325, 0.55].forEach((o, i) => expect(opacity[i]).toBeCloseTo(o, 6));
    expect(root.querySelector('.llm-lab-tm-legend')!.textContent).toContain('darker = higher (up to 2.00)');
  });

  it('names the token, its role and its loss on hover', async () => {
    const root = await shown(tokenMaskView([chat]));
    const tokens = spans(root);
    expect(tokens[4].title).toBe('token 4 "Hello": answer (gets loss), loss 2.000');
    expect(tokens[0].title).toBe('token 0 "<|user|>", special: prompt (no loss)');
    tokens[5].dispatchEvent(new MouseEvent('mouseenter'));
    expect(root.querySelector('.llm-lab-attention-readout')!.textContent).toBe('token 5 "!": answer (gets loss), loss 0.500');
  });

  it('marks as special exactly the tokens given in specialTokens, when given', async () => {
    const root = await shown(tokenMaskView([chat], { specialTokens: ['Hi'] }));
    expect(spans(root).map(t => t.classList.contains('llm-lab-tm-special'))).toEqual([false, true, false, false, false, false, false]);
  });

  it('shows a token like <script> or <img onerror> as text, never as markup', async () => {
    const evil = { tokens: ['<script>', 'alert(1)', '</script>', '<img src=x onerror=alert(1)>'], mask: [0, 1, 1, 1] as (0 | 1)[] };
    const root = await shown(tokenMaskView([evil]));
    expect(document.querySelector('script, img')).toBeNull();
    expect(spans(root).map(t => t.textContent)).toEqual(evil.tokens);
  });

  it('keeps the first 50 examples and cuts longer ones at 1,024 tokens, and says so under the view', async () => {
    const long = { tokens: new Array(1100).fill('a'), mask: new Array<0 | 1>(1100).fill(1) };
    const rows = [long, ...new Array(59).fill(chat)];
    const spec = tokenMaskView(rows);
    expect(spec.rows).toHaveLength(50);
    expect(spec.rows[0].tokens).toHaveLength(1024);
    const root = await shown(spec);
    expect(root.querySelectorAll('.llm-lab-tm-example')).toHaveLength(50);
    expect(root.querySelector('.llm-lab-view-note')!.textContent).toBe('showing the first 50 of 60 examples; 1 example cut at 1,024 tokens');
  });
});

describe('token mask view: malformed and oversized specs', () => {
  const spec = tokenMaskView([chat]);
  const row = spec.rows[0];
  const cases: [string, unknown, string][] = [
    ['a mask shorter than the tokens', { ...spec, rows: [{ ...row, mask: [0, 1] }] }, 'rows[0].mask must have length 7, got 2'],
    ['a mask value that is not 0 or 1', { ...spec, rows: [{ ...row, mask: [0, 2, 0, 0, 1, 1, 1] }] }, 'rows[0].mask[1] must be 0 or 1, got 2'],
    ['a negative loss', { ...spec, rows: [{ ...row, loss: [null, null, null, null, -1, 0, 0] }] }, 'rows[0].loss[4] must be a number >= 0 or null, got -1'],
    ['a token that is not a string', { ...spec, rows: [{ ...row, tokens: ['a', 5, 'c', 'd', 'e', 'f', 'g'] }] }, 'rows[0].tokens[1] must be a string, got 5'],
    ['no rows', { ...spec, rows: [] }, 'rows must be a non-empty array, got []']
  ];
  for (const [what, data, message] of cases) {
    it(`${what}: an error box naming the field`, async () => {
      const root = await shown(data);
      expect(root.querySelector('.llm-lab-error-detail')!.textContent).toBe(message);
      expect(root.querySelector('.llm-lab-token-mask')).toBeNull();
    });
  }

  it('a spec of more than 50 examples (not from the builder) gets an error box naming the count', async () => {
    const root = await shown({ ...spec, rows: new Array(51).fill(row) });
    expect(root.querySelector('.llm-lab-error-detail')!.textContent).toBe('the token mask view has 51 examples, more than 50 a browser draws comfortably: show fewer examples');
  });

  it('the builder names a row whose mask does not match its tokens', () => {
    expect(() => tokenMaskView([chat, { tokens: ['a', 'b'], mask: [1] }])).toThrow('tokenMaskView: rows[1].mask has 1 entries for 2 tokens');
  });
});

describe('token mask view: fallbacks', () => {
  it('the SVG stays well-formed XML with control characters, < and & in tokens, and holds the hover texts', () => {
    const spec = tokenMaskView([{ tokens: ['\u0001', '<', '&amp;', '\uD800'], mask: [0, 0, 1, 1], loss: [null, null, 1, NaN] }]);
    const doc = new DOMParser().parseFromString(tokenMaskBundle(spec)['image/svg+xml'], 'image/svg+xml');
    expect(doc.querySelector('parsererror')).toBeNull();
    expect(Array.from(doc.querySelectorAll('rect > title')).map(t => t.textContent)).toEqual([
      'token 0 "\\u0001": prompt (no loss)',
      'token 1 "<": prompt (no loss)',
      'token 2 "&amp;": answer (gets loss), loss 1.000',
      'token 3 "\\ud800": answer (gets loss)'
    ]);
  });

  it('the text fallback brackets each run of answer tokens', () => {
    const text = tokenMaskBundle(tokenMaskView([chat], { title: 'T' }))['text/plain'];
    expect(text).toBe('T\n\u27e6 \u27e7 mark the tokens that get loss\nexample 1 (4 prompt tokens, 3 answer tokens, mean answer loss 1.167): <|user|>Hi\n<|assistant|>\u27e6Hello!<eos>\u27e7');
  });
});
