/**
 * End to end: the run comparison (full fine-tuning vs LoRA at several ranks vs QLoRA vs adapters,
 * prefix, prompt tuning, BitFit, IA3) in the JupyterLab host, from a bundle as a kernel's display
 * saves it: it renders through the extension (no error box), sorts, answers the pointer, draws
 * the curves and reads in both themes. Screenshots: test-results/run-comparison[-dark|-svg].png.
 */
import * as path from 'path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { runComparisonBundle, runComparisonView } from '../../kernel-lib/src/viz/runComparison';
import { command, Lab, labForSuite, notebookFolder, openNotebook, results, screenshotOf } from './lab';

const TOTAL = 2_650_000;
const methods: [string, string, number, number, number, boolean?][] = [
  // name, method, trainable, step ms, final val loss, quantized base
  ['full fine-tuning', 'full', TOTAL, 210, 1.92],
  ['LoRA r=4', 'lora', 24_576, 120, 2.08],
  ['LoRA r=16', 'lora', 98_304, 126, 2.01],
  ['LoRA r=64', 'lora', 393_216, 140, 1.98],
  ['QLoRA r=16 (nf4)', 'qlora', 98_304, 165, 2.05, true],
  ['adapters <b>64</b>', 'adapter', 200_000, 131, 2.03],
  ['prefix tuning', 'prefix', 40_960, 150, 2.31],
  ['prompt tuning', 'prompt', 2_560, 118, 2.52],
  ['BitFit', 'bitfit', 9_000, 112, 2.24],
  ['IA3', 'ia3', 3_072, 110, 2.19]
];
const steps = Array.from({ length: 31 }, (_, i) => i * 20);
const runs = methods.map(([name, method, trainable, stepMs, end, quantized]) => {
  const frozen = TOTAL - (method === 'full' ? 0 : 0) - (method === 'full' ? TOTAL : 0);
  const frozenBytes = 4 * (method === 'full' ? 0 : TOTAL);
  return {
    name,
    method,
    trainableParams: trainable,
    totalParams: method === 'full' ? TOTAL : TOTAL + trainable,
    memory: { frozenFloat: quantized ? 200_000 : frozenBytes + 0 * frozen, frozenQuantized: quantized ? Math.round(TOTAL * 0.56) : 0, trainable: 4 * trainable, gradients: 4 * trainable, optimizer: 8 * trainable },
    stepMs,
    final: [end],
    curves: [
      { step: steps, value: steps.map(s => end + (3.6 - end) * Math.exp(-s / 150)) },
      { step: steps.slice(1), value: steps.slice(1).map(s => end - 0.1 + (3.6 - end) * Math.exp(-s / 140) + 0.03 * Math.sin(s)) }
    ]
  };
});
const bundle = runComparisonBundle(runComparisonView({ metrics: [{ name: 'val loss', better: 'lower' }], curves: ['val loss', 'train loss'], runs }, { title: 'Fine-tuning a 2.6M GPT: ten methods compared' }));

function notebook(): object {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
    cells: [{ cell_type: 'code', id: 'c0', metadata: {}, execution_count: 1, source: "showRunComparison('mlruns', { experiment: 'peft methods' })", outputs: [{ output_type: 'display_data', data: bundle, metadata: {} }] }]
  };
}

let lab: Lab;
let page: Page;
let problems: string[];
labForSuite(() => notebookFolder('run-comparison', notebook()), s => ({ lab, page, problems } = s));

describe('run comparison in JupyterLab', () => {
  it('renders the table and the curves from the saved bundle, sortable and answering the pointer', async () => {
    await openNotebook(page, lab, 'run-comparison.ipynb');
    await page.waitForSelector('.llm-lab-runs .llm-lab-runs-plot .main-svg', { timeout: 60_000 }).catch(async e => {
      await page.screenshot({ path: path.join(results, 'run-comparison-timeout.png'), fullPage: true });
      throw e;
    });
    expect(await page.locator('.llm-lab-error').count()).toBe(0);
    const view = page.locator('.llm-lab-runs');
    expect(await view.locator('tbody tr').count()).toBe(10);
    expect(await view.locator('.llm-lab-runs-best').allTextContents()).toEqual(['1.920 \u2605']);
    expect(await view.locator('.llm-lab-runs-plot .scatterlayer .trace').count()).toBe(10);
    await view.locator('tbody tr').nth(4).locator('td').nth(3).hover();
    expect(await view.locator('.llm-lab-attention-readout').textContent()).toMatch(/^QLoRA r=16 \(nf4\): .* = frozen weights \(float32\) 200 kB \+ frozen weights \(quantized\) 1\.5 MB \+ /);
    await view.locator('thead th').nth(2).click(); // trainable share, smallest first
    expect(await view.locator('tbody tr .llm-lab-runs-name').first().textContent()).toBe('prompt tuning');
    await screenshotOf(page, '.llm-lab-runs', 'run-comparison.png');
    await view.locator('.llm-lab-runs-curve-select').selectOption('1');
    await page.waitForTimeout(300);
    expect(await view.locator('.llm-lab-runs-plot .g-ytitle').textContent()).toBe('train loss');
    expect(await page.locator('.llm-lab-output b').count()).toBe(0);
    expect(problems.filter(p => !/404|api\/(me|events)|Failed to load resource/.test(p)), problems.join('\n')).toEqual([]);
  });

  it('reads in the dark theme', async () => {
    await command(page, 'apputils:change-theme', { theme: 'JupyterLab Dark' });
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', null, { timeout: 30_000 });
    await page.waitForTimeout(500);
    await screenshotOf(page, '.llm-lab-runs', 'run-comparison-dark.png');
    expect(await page.locator('.llm-lab-error').count()).toBe(0);
  });

  it('draws the SVG fallback in Chromium', async () => {
    const other = await page.context().browser()!.newPage();
    await other.setContent(`<!doctype html><body style="margin:0">${bundle['image/svg+xml']}</body>`);
    const svg = other.locator('svg').first();
    expect((await svg.boundingBox())!.width).toBeGreaterThan(600);
    await svg.screenshot({ path: path.join(results, 'run-comparison-svg.png') });
    await other.close();
  });
});
