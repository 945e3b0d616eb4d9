import './setup';
import { afterEach, describe, expect, it } from 'vitest';
import { CLASSIFICATION_MIME_TYPE } from '../../extension/src/mime';
import type { ClassificationReportView } from '../../kernel-lib/src/contract/finetune';
import { classificationBundle, classificationView } from '../../kernel-lib/src/viz/classification';
import { render } from './render';

afterEach(() => {
  document.body.replaceChildren();
});

// confusion[true][predicted]; rows hold 6, 10 and 4 examples, 15 of 20 on the diagonal.
// precision = column's diagonal / column sum, recall = diagonal / row sum, worked out by hand:
// cat 5/7, 5/6, F1 10/13; dog 6/7, 6/10, F1 12/17; <script> 4/6, 4/4, F1 4/5.
const report: ClassificationReportView = {
  labels: ['cat', 'dog', '<script>'],
  confusion: [
    [5, 1, 0],
    [2, 6, 2],
    [0, 0, 4]
  ],
  accuracy: 15 / 20,
  macro: { precision: (5 / 7 + 6 / 7 + 4 / 6) / 3, recall: (5 / 6 + 6 / 10 + 1) / 3, f1: (10 / 13 + 12 / 17 + 4 / 5) / 3 },
  weighted: { precision: 0.78, recall: 0.75, f1: (6 * (10 / 13) + 10 * (12 / 17) + 4 * (4 / 5)) / 20 },
  perClass: [
    { label: 'cat', precision: 5 / 7, recall: 5 / 6, f1: 10 / 13, support: 6 },
    { label: 'dog', precision: 6 / 7, recall: 6 / 10, f1: 12 / 17, support: 10 },
    { label: '<script>', precision: 4 / 6, recall: 1, f1: 4 / 5, support: 4 }
  ],
  total: 20
};

const cells = (root: HTMLElement) => Array.from(root.querySelectorAll<HTMLTableCellElement>('td.llm-lab-cls-cell'));
const texts = (root: HTMLElement, selector: string) => Array.from(root.querySelectorAll(selector)).map(e => e.textContent);

async function shown(data: unknown = classificationView(report, { title: 'Sentiment head after 3 epochs' })) {
  return (await render(CLASSIFICATION_MIME_TYPE, data)).node;
}

describe('classification view', () => {
  it('shows a cell per (true, predicted) pair with its count, true classes as rows and predicted classes as columns', async () => {
    const root = await shown();
    expect(texts(root, 'th.llm-lab-cls-row')).toEqual(['cat', 'dog', '<script>']);
    expect(texts(root, 'th.llm-lab-cls-col')).toEqual(['cat', 'dog', '<script>']);
    expect(cells(root).map(c => c.textContent)).toEqual(['5', '1', '0', '2', '6', '2', '0', '0', '4']);
    expect(cells(root).map(c => c.classList.contains('llm-lab-cls-diag'))).toEqual([true, false, false, false, true, false, false, false, true]);
  });

  it("shades each cell by its share of the true class's row, so each row's shares sum to 1", async () => {
    const root = await shown();
    const shares = cells(root).map(c => Number(c.dataset.share));
    expect(shares).toEqual([5 / 6, 1 / 6, 0, 0.2, 0.6, 0.2, 0, 0, 1]);
    const opacities = cells(root).map(c => Number(c.querySelector<HTMLElement>('.llm-lab-cls-shade')!.style.opacity));
    opacities.forEach((o, i) => expect(o).toBeCloseTo(0.04 + 0.8 * shares[i], 6));
  });

  it('names the true and predicted class, the count and the share of the row on hover', async () => {
    const root = await shown();
    expect(cells(root)[5].title).toBe('true dog predicted as <script>: 2 (20.0%)');
    expect(cells(root)[0].title).toBe('true cat predicted as cat: 5 (83.3%)');
    cells(root)[3].dispatchEvent(new MouseEvent('mouseenter'));
    expect(root.querySelector('.llm-lab-attention-readout')!.textContent).toBe('true dog predicted as cat: 2 (20.0%)');
  });

  it('puts accuracy, macro-F1, weighted-F1 and the number of examples in the header', async () => {
    const root = await shown();
    expect(root.querySelector('.llm-lab-title')!.textContent).toBe('Sentiment head after 3 epochs');
    // macro-F1 (10/13 + 12/17 + 4/5) / 3 = 0.7584; weighted (6 x 10/13 + 10 x 12/17 + 4 x 4/5) / 20 = 0.7437
    expect(root.querySelector('.llm-lab-cls-summary')!.textContent).toBe('accuracy 0.750 \u00b7 macro-F1 0.758 \u00b7 weighted-F1 0.744 \u00b7 20 examples');
  });

  it("draws each class's F1 as a bar, with precision, recall and support on hover", async () => {
    const root = await shown();
    const rows = Array.from(root.querySelectorAll<HTMLElement>('.llm-lab-cls-bar-row'));
    expect(texts(root, '.llm-lab-cls-bar-label')).toEqual(['cat', 'dog', '<script>']);
    expect(texts(root, '.llm-lab-cls-bar-value')).toEqual(['0.769', '0.706', '0.800']);
    expect(rows.map(r => r.querySelector<HTMLElement>('.llm-lab-cls-bar')!.style.width)).toEqual(['76.9%', '70.6%', '80%']);
    expect(rows[1].title).toBe('dog: precision 0.857, recall 0.600, F1 0.706, support 10');
  });

  it('shows a class label like <script> as text, never as markup', async () => {
    const root = await shown();
    expect(document.querySelector('script')).toBeNull();
    expect(root.querySelectorAll('th.llm-lab-cls-row')[2].textContent).toBe('<script>');
  });

  it('shows a score that is 0/0 (NaN in the report, null in the spec) as a dash and an empty bar', async () => {
    const never = { ...report.perClass[2], precision: NaN, f1: NaN };
    const spec = classificationView({ ...report, perClass: [report.perClass[0], report.perClass[1], never] });
    expect(spec.perClass[2].f1).toBeNull();
    const root = await shown(JSON.parse(classificationBundle(spec)[CLASSIFICATION_MIME_TYPE]));
    expect(texts(root, '.llm-lab-cls-bar-value')[2]).toBe('\u2013');
    expect(root.querySelectorAll<HTMLElement>('.llm-lab-cls-bar')[2].style.width).toBe('0%');
  });
});

describe('classification view: malformed and oversized specs', () => {
  const spec = classificationView(report);
  const cases: [string, unknown, string][] = [
    ['a confusion row of the wrong length', { ...spec, confusion: [[5, 1, 0], [2, 6], [0, 0, 4]] }, 'confusion[1] must have length 3, got 2'],
    ['a count that is not a whole number', { ...spec, confusion: [[5, 1, 0], [2, 6, 2.5], [0, 0, 4]] }, 'confusion[1][2] must be an integer >= 0, got 2.5'],
    ['a score above 1', { ...spec, macro: { ...spec.macro, f1: 1.5 } }, 'macro.f1 must be a number in [0, 1] or null, got 1.5'],
    ['per-class scores out of order', { ...spec, perClass: [spec.perClass[1], spec.perClass[0], spec.perClass[2]] }, 'perClass[0].label ("dog") must equal labels[0] ("cat")'],
    ['no labels', { ...spec, labels: [] }, 'labels must be a non-empty array, got []']
  ];
  for (const [what, data, message] of cases) {
    it(`${what}: an error box naming the field`, async () => {
      const root = await shown(data);
      expect(root.querySelector('.llm-lab-error-detail')!.textContent).toBe(message);
      expect(root.querySelector('.llm-lab-classification')).toBeNull();
    });
  }

  it('refuses more than 50 classes, in the builder and in the renderer, naming the count', async () => {
    const n = 51;
    const labels = Array.from({ length: n }, (_, i) => `c${i}`);
    const big = { ...spec, labels, confusion: labels.map(() => new Array(n).fill(0)), perClass: labels.map(label => ({ label, precision: null, recall: null, f1: null, support: 0 })) };
    const message = 'the classification view of 51 classes would draw a 51 x 51 confusion matrix, more than the 50 classes';
    expect(() => classificationView(big)).toThrow(message);
    expect((await shown(big)).querySelector('.llm-lab-error-detail')!.textContent).toContain(message);
  });
});

describe('classification view: fallbacks', () => {
  it('the SVG stays well-formed XML with control characters, < and & in labels, and holds the hover texts', () => {
    const labels = ['a\u0001b', 'x < y & z'];
    const spec = classificationView({
      ...report,
      labels,
      confusion: [
        [3, 1],
        [0, 2]
      ],
      perClass: labels.map((label, i) => ({ ...report.perClass[i], label }))
    });
    const svg = classificationBundle(spec)['image/svg+xml'];
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    expect(doc.querySelector('parsererror')).toBeNull();
    expect(Array.from(doc.querySelectorAll('rect > title')).map(t => t.textContent)).toContain('true x < y & z predicted as a\u2401b: 0 (0.0%)');
  });

  it('the text fallback has the summary and the matrix as a table', () => {
    const text = classificationBundle(classificationView(report, { title: 'T' }))['text/plain'];
    expect(text.split('\n').slice(0, 6)).toEqual([
      'T',
      'accuracy 0.750 \u00b7 macro-F1 0.758 \u00b7 weighted-F1 0.744 \u00b7 20 examples',
      'confusion matrix (rows: true class, columns: predicted):',
      '              cat      dog <script>',
      '     cat        5        1        0',
      '     dog        2        6        2'
    ]);
  });
});
