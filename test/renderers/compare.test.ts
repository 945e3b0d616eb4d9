import './setup';
import { afterEach, describe, expect, it } from 'vitest';
import { COMPARE_MIME_TYPE } from '../../extension/src/mime';
import { compareBundle, CompareInput, compareView, wrapText } from '../../kernel-lib/src/viz/compare';
import { render } from './render';

afterEach(() => {
  document.body.replaceChildren();
});

const input: CompareInput = {
  columns: ['base model', 'after SFT'],
  rows: [
    { prompt: 'What is 2 + 3?', reference: '5', outputs: ['2 + 3 = 23', '5'], correct: [false, true] },
    { prompt: 'Capital of France?', reference: 'Paris', outputs: ['France is a country in', 'Paris'], correct: [false, true] },
    { prompt: 'Say <b>hi</b> & bye', reference: 'hi', outputs: ['<script>alert(1)</script>', 'bye'], correct: [false, false] }
  ]
};

const cellTexts = (tr: Element) => Array.from(tr.querySelectorAll('td')).map(td => td.querySelector('.llm-lab-cmp-text')?.textContent ?? td.textContent);

async function shown(data: unknown) {
  return (await render(COMPARE_MIME_TYPE, data)).node;
}

describe('compare view', () => {
  it('shows one row per prompt: the prompt, the reference and each column output, under a header naming the columns', async () => {
    const root = await shown(compareView(input, { title: 'Before and after SFT' }));
    expect(root.querySelector('.llm-lab-title')!.textContent).toBe('Before and after SFT');
    const rows = Array.from(root.querySelectorAll('tbody tr'));
    expect(rows.map(cellTexts)).toEqual([
      ['What is 2 + 3?', '5', '2 + 3 = 23', '5'],
      ['Capital of France?', 'Paris', 'France is a country in', 'Paris'],
      ['Say <b>hi</b> & bye', 'hi', '<script>alert(1)</script>', 'bye']
    ]);
    expect(Array.from(root.querySelectorAll('thead th')).map(th => th.textContent)).toEqual(['prompt', 'reference', 'base model0/3 correct', 'after SFT2/3 correct']);
    expect(Array.from(root.querySelectorAll('.llm-lab-cmp-score')).map(s => s.textContent)).toEqual(['0/3 correct', '2/3 correct']);
  });

  it('puts a tick on each correct output and a cross on each wrong one', async () => {
    const root = await shown(compareView(input));
    const marks = Array.from(root.querySelectorAll<HTMLElement>('.llm-lab-cmp-mark'));
    expect(marks.map(m => m.textContent)).toEqual(['\u2717', '\u2713', '\u2717', '\u2713', '\u2717', '\u2717']);
    expect(marks.map(m => m.title)).toEqual(['wrong', 'correct', 'wrong', 'correct', 'wrong', 'wrong']);
    expect(marks.map(m => m.classList.contains('llm-lab-cmp-correct'))).toEqual([false, true, false, true, false, false]);
  });

  it('leaves out the reference column and the marks when no row has them', async () => {
    const root = await shown(compareView({ columns: ['a', 'b'], rows: [{ prompt: 'p', outputs: ['x', 'y'] }] }));
    expect(Array.from(root.querySelectorAll('thead th')).map(th => th.textContent)).toEqual(['prompt', 'a', 'b']);
    expect(root.querySelector('.llm-lab-cmp-mark, .llm-lab-cmp-score')).toBeNull();
  });

  it('shows markup in prompts and outputs as text', async () => {
    const root = await shown(compareView(input));
    expect(document.querySelector('script, b')).toBeNull();
  });

  it('keeps the first 50 prompts and cuts texts at 4,000 characters, and says so under the view', async () => {
    const rows = Array.from({ length: 55 }, (_, i) => ({ prompt: `p${i}`, outputs: [i === 0 ? 'y'.repeat(5000) : 'x', 'z'] }));
    const spec = compareView({ columns: ['a', 'b'], rows });
    expect(spec.rows).toHaveLength(50);
    expect(spec.rows[0].outputs[0]).toBe('y'.repeat(3999) + '\u2026');
    const root = await shown(spec);
    expect(root.querySelectorAll('tbody tr')).toHaveLength(50);
    expect(root.querySelector('.llm-lab-view-note')!.textContent).toBe('showing the first 50 of 55 prompts; 1 text cut at 4,000 characters');
  });
});

describe('compare view: malformed and oversized specs', () => {
  const spec = compareView(input);
  const cases: [string, unknown, string][] = [
    ['an output missing', { ...spec, rows: [spec.rows[0], { ...spec.rows[1], outputs: ['Paris'] }] }, 'rows[1].outputs must have length 2, got 1'],
    ['a judgement that is not a boolean', { ...spec, rows: [{ ...spec.rows[0], correct: [false, 'yes'] }] }, 'rows[0].correct[1] must be a boolean, got "yes"'],
    ['a prompt that is not text', { ...spec, rows: [{ ...spec.rows[0], prompt: 42 }] }, 'rows[0].prompt must be a string, got 42'],
    ['an output too long', { ...spec, rows: [{ ...spec.rows[0], outputs: ['a', 'b'.repeat(4001)] }] }, 'rows[0].outputs[1] has 4001 characters, more than 4000 (the builders cut longer texts)'],
    ['too many columns', { ...spec, columns: ['1', '2', '3', '4', '5', '6', '7'] }, 'the comparison view has 7 columns, more than 6 a browser draws comfortably: compare fewer models']
  ];
  for (const [what, data, message] of cases) {
    it(`${what}: an error box naming the field`, async () => {
      const root = await shown(data);
      expect(root.querySelector('.llm-lab-error-detail')!.textContent).toBe(message);
      expect(root.querySelector('.llm-lab-compare')).toBeNull();
    });
  }

  it('the builder names a row whose outputs do not match the columns', () => {
    expect(() => compareView({ columns: ['a', 'b'], rows: [{ prompt: 'p', outputs: ['x'] }] })).toThrow('compareView: rows[0] has 1 outputs for 2 columns (a, b)');
  });
});

describe('compare view: fallbacks', () => {
  it('wrapText breaks at spaces, keeps long words whole up to the width, and ends a cut text with an ellipsis', () => {
    expect(wrapText('the cat sat on the mat', 10)).toEqual(['the cat ', 'sat on ', 'the mat']);
    expect(wrapText('abcdefghijkl', 5)).toEqual(['abcde', 'fghij', 'kl']);
    expect(wrapText('a\nb\nc\nd', 5, 3)).toEqual(['a', 'b', 'c\u2026']);
  });

  it('the SVG stays well-formed XML with control characters, < and & in texts', () => {
    const spec = compareView({ columns: ['x < y', 'a & b'], rows: [{ prompt: '\u0007<tag>', reference: '&amp;', outputs: ['\uFFFE', ']]>'], correct: [true, false] }] });
    const doc = new DOMParser().parseFromString(compareBundle(spec)['image/svg+xml'], 'image/svg+xml');
    expect(doc.querySelector('parsererror')).toBeNull();
    const texts = Array.from(doc.querySelectorAll('text')).map(t => t.textContent);
    expect(texts).toEqual(expect.arrayContaining(['x < y: 1/1 correct', 'a & b: 0/1 correct', '\u2407<tag>', '&amp;', '\u2713', '\uFFFD', '\u2717', ']]>']));
  });

  it('the SVG wraps a header too long for its column onto more lines, so headers never overlap', () => {
    const columns = ['base model', 'SFT, loss on every token', 'SFT, loss on the answers'];
    const spec = compareView({ columns, rows: [{ prompt: 'Say hi again.', reference: 'hi', outputs: ['x', 'hi', 'hi'], correct: [false, true, true] }] });
    const doc = new DOMParser().parseFromString(compareBundle(spec)['image/svg+xml'], 'image/svg+xml');
    const headers = Array.from(doc.querySelectorAll('text[font-weight="bold"][fill="#333"]'));
    const byColumn = new Map<string, string[]>();
    for (const t of headers) byColumn.set(t.getAttribute('x')!, [...(byColumn.get(t.getAttribute('x')!) ?? []), t.textContent!]);
    const xs = [...byColumn.keys()].map(Number).sort((a, b) => a - b);
    const width = xs[1] - xs[0];
    expect([...byColumn.values()].map(lines => lines.map(l => l.trim()).join(' '))).toEqual(['prompt', 'reference', 'base model: 0/1 correct', 'SFT, loss on every token: 1/1 correct', 'SFT, loss on the answers: 1/1 correct']);
    for (const lines of byColumn.values()) for (const line of lines) expect(line.length * 7.2).toBeLessThan(width);
  });

  it('the text fallback lists each prompt, its reference and every output with its mark', () => {
    const text = compareBundle(compareView({ columns: input.columns, rows: input.rows.slice(0, 1) }, { title: 'T' }))['text/plain'];
    expect(text).toBe('T\nbase model: 0/1 correct, after SFT: 1/1 correct\n[1] prompt: What is 2 + 3?\n    reference: 5\n    base model \u2717: 2 + 3 = 23\n    after SFT \u2713: 5');
  });
});
