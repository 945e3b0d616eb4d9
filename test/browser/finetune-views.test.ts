/**
 * End to end: the fine-tuning views (classification metrics, loss mask, before/after generations)
 * in the JupyterLab host. A notebook holds their bundles as a kernel's display would save them
 * (built here by the kernel's builders); opened in the lab, each renders through the extension
 * (no error box), answers the pointer and reads in both themes. Their SVG fallbacks are drawn by
 * Chromium too. Screenshots: test-results/finetune-<view>[-dark].png, finetune-<view>-svg.png.
 */
import * as path from 'path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { classificationBundle, classificationView } from '../../kernel-lib/src/viz/classification';
import { compareBundle, compareView } from '../../kernel-lib/src/viz/compare';
import { tokenMaskBundle, tokenMaskView } from '../../kernel-lib/src/viz/tokenMask';
import type { MimeBundle } from '../../kernel-lib/src/viz/display';
import { command, Lab, labForSuite, notebookFolder, openNotebook, results, screenshotOf, savedViewsNotebook } from './lab';

// A 4-class sentiment head on 200 reviews; one label carries markup, which must show as text.
const labels = ['negative', 'neutral', 'positive', '<b>mixed</b>'];
const confusion = [
  [52, 6, 1, 3],
  [9, 31, 8, 2],
  [2, 5, 58, 4],
  [4, 3, 2, 10]
];
function report() {
  const n = labels.length;
  const total = confusion.flat().reduce((a, b) => a + b, 0);
  const perClass = labels.map((label, c) => {
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[c], 0);
    const precision = confusion[c][c] / predicted;
    const recall = confusion[c][c] / support;
    return { label, precision, recall, f1: (2 * precision * recall) / (precision + recall), support };
  });
  const mean = (key: 'precision' | 'recall' | 'f1', weight: (i: number) => number) => perClass.reduce((a, c, i) => a + c[key] * weight(i), 0);
  const macro = { precision: mean('precision', () => 1 / n), recall: mean('recall', () => 1 / n), f1: mean('f1', () => 1 / n) };
  const byShare = (i: number) => perClass[i].support / total;
  const weighted = { precision: mean('precision', byShare), recall: mean('recall', byShare), f1: mean('f1', byShare) };
  return { labels, confusion, accuracy: confusion.reduce((a, row, i) => a + row[i], 0) / total, macro, weighted, perClass, total };
}

const chat = (user: string, answer: string[], loss?: number[]) => {
  const prompt = ['<|user|>', ...user.split(/(?= )/), '\n', '<|assistant|>'];
  const tokens = [...prompt, ...answer, '<eos>'];
  return {
    tokens,
    mask: tokens.map((_, i) => (i < prompt.length ? 0 : 1)) as (0 | 1)[],
    loss: loss ? tokens.map((_, i) => (i < prompt.length ? null : loss[i - prompt.length])) : undefined
  };
};

const views: [string, MimeBundle][] = [
  ['classification', classificationBundle(classificationView(report(), { title: 'Sentiment head: validation set' }))],
  [
    'token mask',
    tokenMaskBundle(
      tokenMaskView(
        [
          chat('What is the capital of France?', ['The', ' capital', ' is', ' Paris', '.']),
          chat('Add 2 and 3 <script>', ['2', ' +', ' 3', ' =', ' 5'], [3.1, 0.4, 0.2, 1.6, 0.9, 0.05]),
          { tokens: ['<|system|>', 'Be brief.', '\n', '<|user|>', 'Hi', '\n', '<|assistant|>', 'Hello', '!', '<eos>'], mask: [0, 0, 0, 0, 0, 0, 0, 1, 1, 1] }
        ],
        { title: 'SFT loss mask: the answer gets loss, the prompt does not' }
      )
    )
  ],
  [
    'compare',
    compareBundle(
      compareView(
        {
          columns: ['base model', 'after SFT'],
          rows: [
            { prompt: 'What is the capital of France?', reference: 'Paris', outputs: ['What is the capital of Spain? What is the capital of', 'The capital of France is Paris.'], correct: [false, true] },
            { prompt: 'Add 2 and 3.', reference: '5', outputs: ['Add 2 and 3. Add 4 and 5. Add', '2 + 3 = 5'], correct: [false, true] },
            { prompt: 'Translate "chat" to English: <b>', reference: 'cat', outputs: ['<b>chat</b> chat chat', 'dog'], correct: [false, false] }
          ]
        },
        { title: 'Before and after SFT' }
      )
    )
  ]
];

let lab: Lab;
let page: Page;
let problems: string[];

labForSuite(() => notebookFolder('finetune-views', savedViewsNotebook(views)), s => ({ lab, page, problems } = s));

const shot = (selector: string, file: string) => screenshotOf(page, selector, file);

describe('fine-tuning views in JupyterLab', () => {
  it('renders the three views from their saved bundles, interactive', async () => {
    await openNotebook(page, lab, 'finetune-views.ipynb');
    await page.waitForFunction(() => document.querySelectorAll('.llm-lab-output').length >= 3, null, { timeout: 60_000 }).catch(async e => {
      await page.screenshot({ path: path.join(results, 'finetune-views-timeout.png'), fullPage: true });
      throw e;
    });
    expect(await page.locator('.llm-lab-error').count()).toBe(0);

    const cls = page.locator('.llm-lab-classification');
    expect(await cls.locator('td.llm-lab-cls-cell').count()).toBe(16);
    expect(await cls.locator('th.llm-lab-cls-row').allTextContents()).toEqual(labels);
    expect(await cls.locator('.llm-lab-cls-summary').textContent()).toBe('accuracy 0.755 \u00b7 macro-F1 0.706 \u00b7 weighted-F1 0.753 \u00b7 200 examples');
    await cls.locator('td.llm-lab-cls-cell').nth(4).hover();
    expect(await cls.locator('.llm-lab-attention-readout').textContent()).toBe('true neutral predicted as negative: 9 (18.0%)');
    await shot('.llm-lab-classification', 'finetune-classification.png');

    const mask = page.locator('.llm-lab-token-mask');
    expect(await mask.locator('.llm-lab-tm-example').count()).toBe(3);
    expect(await mask.locator('.llm-lab-tm-tokens .llm-lab-tm-answer').count()).toBe(6 + 6 + 3);
    expect(await mask.locator('.llm-lab-tm-tokens .llm-lab-tm-special').count()).toBe(3 + 3 + 4);
    await mask.locator('.llm-lab-tm-example').nth(1).locator('.llm-lab-tm-answer').first().hover();
    expect(await mask.locator('.llm-lab-attention-readout').textContent()).toBe('token 8 "2": answer (gets loss), loss 3.100');
    await shot('.llm-lab-token-mask', 'finetune-token-mask.png');

    const compare = page.locator('.llm-lab-compare');
    expect(await compare.locator('tbody tr').count()).toBe(3);
    expect(await compare.locator('.llm-lab-cmp-score').allTextContents()).toEqual(['0/3 correct', '2/3 correct']);
    expect(await compare.locator('.llm-lab-cmp-mark').allTextContents()).toEqual(['\u2717', '\u2713', '\u2717', '\u2713', '\u2717', '\u2717']);
    await shot('.llm-lab-compare', 'finetune-compare.png');

    // labels, tokens and outputs with markup stay text
    expect(await page.locator('.llm-lab-output b, .llm-lab-output script').count()).toBe(0);
    expect(problems.filter(p => !/404|api\/(me|events)|Failed to load resource/.test(p)), problems.join('\n')).toEqual([]);
  });

  it('reads in the dark theme', async () => {
    await command(page, 'apputils:change-theme', { theme: 'JupyterLab Dark' });
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', null, { timeout: 30_000 });
    await shot('.llm-lab-classification', 'finetune-classification-dark.png');
    await shot('.llm-lab-token-mask', 'finetune-token-mask-dark.png');
    await shot('.llm-lab-compare', 'finetune-compare-dark.png');
    expect(await page.locator('.llm-lab-error').count()).toBe(0);
  });

  it('draws each SVG fallback in Chromium', async () => {
    const other = await page.context().browser()!.newPage();
    for (const [name, bundle] of views) {
      await other.setContent(`<!doctype html><body style="margin:0">${bundle['image/svg+xml']}</body>`);
      const svg = other.locator('svg').first();
      const box = await svg.boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      await svg.screenshot({ path: path.join(results, `finetune-${name.replace(' ', '-')}-svg.png`) });
    }
    await other.close();
  });
});
