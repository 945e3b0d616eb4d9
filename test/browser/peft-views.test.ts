/**
 * End to end: the PEFT diagram and the quantization views in the JupyterLab host. A notebook holds
 * their bundles as a kernel's display would save them (built here by the kernel's builders);
 * opened in the lab, each renders through the extension (no error box), answers the pointer and
 * reads in both themes. Their SVG fallbacks are drawn by Chromium too.
 * Screenshots: test-results/peft-<view>[-dark].png, peft-<view>-svg.png.
 */
import * as path from 'path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { MimeBundle } from '../../kernel-lib/src/viz/display';
import { peftDiagramBundle, peftDiagramSpec } from '../../kernel-lib/src/viz/peftDiagram';
import { quantErrorBundle, quantErrorSpec, quantHistogramBundle, quantHistogramSpec, quantOutliersBundle, quantOutliersSpec, quantTradeoffBundle, quantTradeoffSpec } from '../../kernel-lib/src/viz/quantViews';
import { command, Lab, labForSuite, notebookFolder, openNotebook, results, screenshotOf, savedViewsNotebook } from './lab';

/** A fixed stream of normal numbers (Box-Muller on a Park-Miller generator): the same pictures every run. */
function normals(n: number, seed = 7): number[] {
  let s = seed;
  const u = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

const NF4 = [-1, -0.6962, -0.5251, -0.3949, -0.2844, -0.1848, -0.0911, 0, 0.0796, 0.1609, 0.2461, 0.3379, 0.4407, 0.5626, 0.723, 1];
const weights = normals(4096).map(x => x * 0.02);
const absmax = Math.max(...weights.map(Math.abs));
const channels = normals(768, 3).map(x => 0.2 + Math.abs(x) * 0.3);
[13, 447, 500].forEach((c, i) => (channels[c] = [4.1, 6.2, 2.9][i]));
const errors = [0, 1, 2, 3].flatMap(l =>
  ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'].flatMap((n, j) =>
    (
      [
        ['int8', 0.004],
        ['nf4', 0.08],
        ['int4', 0.11]
      ] as const
    ).map(([method, e]) => ({ name: `transformer.h.${l}.${n}`, method, relError: e * (1 + 0.1 * ((l + j) % 4)), maxAbsError: e / 4 }))
  )
);
const points = (['base model', 'fine-tuned'] as const).flatMap((series, s) =>
  (
    [
      ['fp32', 32, 31],
      ['fp16', 16, 31.02],
      ['int8', 8, 31.3],
      ['nf4', 4.13, 32.6],
      ['int4', 4.13, 34.1]
    ] as const
  ).map(([label, bits, ppl]) => ({ series, label, bitsPerWeight: bits, bytes: (124.4e6 * bits) / 8, metric: ppl - 5 * s }))
);

const views: [string, MimeBundle][] = [
  [
    'diagram',
    peftDiagramBundle(
      peftDiagramSpec([
        { method: 'full', trainableParams: 124_439_808, totalParams: 124_439_808 },
        { method: 'lora', targets: ['c_attn', 'c_proj'], rank: 8, alpha: 16, trainableParams: 811_008, totalParams: 125_250_816 },
        { method: 'qlora', rank: 16, alpha: 32 }
      ])
    )
  ],
  ['diagram-more', peftDiagramBundle(peftDiagramSpec([{ method: 'adapter', bottleneck: 64 }, { method: 'prefix' }, { method: 'prompt' }, { method: 'bitfit' }, { method: 'ia3' }, { method: 'head' }], { title: 'Six more ways to fine-tune <few> weights' }))],
  ['histogram', quantHistogramBundle(quantHistogramSpec({ name: 'transformer.h.0.attn.c_attn', values: weights, levels: NF4.map(l => l * absmax), method: 'nf4', bits: 4 }))],
  ['error', quantErrorBundle(quantErrorSpec({ layers: errors }))],
  ['outliers', quantOutliersBundle(quantOutliersSpec({ name: 'transformer.h.5.mlp.c_fc input', channelAbsMax: channels }))],
  ['tradeoff', quantTradeoffBundle(quantTradeoffSpec({ points, metricName: 'perplexity', lowerIsBetter: true }))]
];

const SELECTORS: Record<string, string> = {
  diagram: '.llm-lab-peft',
  'diagram-more': '.llm-lab-peft >> nth=1',
  histogram: '.llm-lab-quant-histogram',
  error: '.llm-lab-quant-error',
  outliers: '.llm-lab-quant-outliers',
  tradeoff: '.llm-lab-quant-tradeoff'
};

let lab: Lab;
let page: Page;
let problems: string[];

labForSuite(() => notebookFolder('peft-views', savedViewsNotebook(views)), s => ({ lab, page, problems } = s));

const shot = (name: string, suffix = '') => screenshotOf(page, SELECTORS[name], `peft-${name}${suffix}.png`);

describe('PEFT and quantization views in JupyterLab', () => {
  it('renders the six outputs from their saved bundles, interactive', async () => {
    // tall enough that the two-row diagram fits: a screenshot of a view taller than the window shows the lab's bars over it
    await page.setViewportSize({ width: 1400, height: 2000 });
    await openNotebook(page, lab, 'peft-views.ipynb');
    await page.waitForFunction(() => document.querySelectorAll('.llm-lab-output').length >= 6, null, { timeout: 60_000 }).catch(async e => {
      await page.screenshot({ path: path.join(results, 'peft-views-timeout.png'), fullPage: true });
      throw e;
    });
    expect(await page.locator('.llm-lab-error').count()).toBe(0);

    const diagram = page.locator('.llm-lab-peft').first();
    expect(await diagram.locator('.llm-lab-peft-panel').count()).toBe(3);
    expect(await diagram.locator('.llm-lab-peft-panel').nth(1).locator('[data-role="added"]').count()).toBe(6); // A and B on 3 linears
    expect(await diagram.locator('.llm-lab-peft-panel').nth(2).locator('[data-role="quantized"]').count()).toBe(4);
    await diagram.locator('[data-part="attn.c_attn.lora_B"]').first().hover();
    expect(await diagram.locator('.llm-lab-attention-readout').textContent()).toBe(
      'LoRA B of attn.c_attn (8 x 2304, zero at start: the model starts unchanged); adds (\u03b1/r) B A x = 2 B A x: added by the method, trainable'
    );
    // panels sit side by side, not stacked
    const boxes = await Promise.all([0, 1, 2].map(i => diagram.locator('.llm-lab-peft-panel').nth(i).boundingBox()));
    expect(boxes[1]!.x).toBeGreaterThan(boxes[0]!.x + boxes[0]!.width - 1);
    expect(boxes[1]!.y).toBe(boxes[0]!.y);
    await shot('diagram');
    const more = page.locator('.llm-lab-peft').nth(1);
    expect(await more.locator('.llm-lab-title').textContent()).toBe('Six more ways to fine-tune <few> weights');
    await shot('diagram-more');

    const hist = page.locator('.llm-lab-quant-histogram');
    expect(await hist.locator('.llm-lab-q-level').count()).toBe(16);
    await shot('histogram');

    const err = page.locator('.llm-lab-quant-error');
    expect(await err.locator('.llm-lab-q-error-bar').count()).toBe(48);
    await err.locator('.llm-lab-q-error-bar').nth(1).hover();
    expect(await err.locator('.llm-lab-attention-readout').textContent()).toBe('transformer.h.0.attn.c_attn, nf4: relative error 8.0%, max |error| 0.0200');
    await shot('error');

    const out = page.locator('.llm-lab-quant-outliers');
    expect(await out.locator('.llm-lab-q-outlier').count()).toBe(3);
    expect(await out.locator('.llm-lab-q-outlier-list').textContent()).toBe('outlier channels: 13 (4.10), 447 (6.20), 500 (2.90)');
    await out.locator('[data-channel="447"]').hover();
    expect(await out.locator('.llm-lab-attention-readout').textContent()).toContain('channel 447: max |x| 6.20');
    await shot('outliers');

    const trade = page.locator('.llm-lab-quant-tradeoff');
    expect(await trade.locator('.llm-lab-q-point').count()).toBe(20);
    await shot('tradeoff');

    expect(await page.locator('.llm-lab-output script, .llm-lab-output few').count()).toBe(0);
    expect(problems.filter(p => !/404|api\/(me|events)|Failed to load resource/.test(p)), problems.join('\n')).toEqual([]);
  });

  it('reads in the dark theme', async () => {
    await command(page, 'apputils:change-theme', { theme: 'JupyterLab Dark' });
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', null, { timeout: 30_000 });
    for (const name of Object.keys(SELECTORS)) await shot(name, '-dark');
    // the labels take the dark theme's text colour (white), so they read on the dark fills
    const label = await page.locator('.llm-lab-peft-label').first().evaluate(e => getComputedStyle(e).fill);
    expect(label).toBe('rgb(255, 255, 255)');
    expect(await page.locator('.llm-lab-error').count()).toBe(0);
  });

  it('draws each SVG fallback in Chromium', async () => {
    const other = await page.context().browser()!.newPage();
    for (const [name, bundle] of views) {
      await other.setContent(`<!doctype html><body style="margin:0">${bundle['image/svg+xml']}</body>`);
      const svg = other.locator('svg').first();
      const box = await svg.boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      await svg.screenshot({ path: path.join(results, `peft-${name}-svg.png`) });
    }
    await other.close();
  });
});
