/**
 * The training view's axes at the width a notebook output has on a laptop: three saved runs, with
 * learning rates 1e-5, 5e-5 and 3e-3, each with a warmup and a cosine decay. In the JupyterLab
 * host, every tick label and axis title of every subplot of the live view (plotly) lies inside the
 * plot's SVG, in the light and the dark theme; in the picture the run leaves for nbconvert and
 * GitHub (its static SVG), drawn by Chromium, every label lies inside the picture.
 * Screenshots: test-results/training-view-lr<rate>[-dark].png, training-view-lr<rate>-svg.png.
 */
import * as path from 'path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { addPoint, newTrainingSpec, trainingBundle } from '../../kernel-lib/src/viz/training';
import type { MimeBundle } from '../../kernel-lib/src/viz/display';
import { command, Lab, labForSuite, notebookFolder, openNotebook, results, savedViewsNotebook } from './lab';

const RATES = [1e-5, 5e-5, 3e-3];
const STEPS = 400;

/** A finished run at peak learning rate `peak`: 40 warmup steps, then a cosine decay to a tenth. */
function run(peak: number): MimeBundle {
  const spec = newTrainingSpec(`learning rate ${peak}`, STEPS);
  for (let step = 1; step <= STEPS; step += 4) {
    const lr = step < 40 ? (peak * step) / 40 : peak * (0.1 + 0.45 * (1 + Math.cos((Math.PI * (step - 40)) / (STEPS - 40))));
    addPoint(spec, 'train loss', step, 1.4 + 3 * Math.exp(-step / 80));
    addPoint(spec, 'learning rate', step, lr);
    addPoint(spec, 'tokens/s', step, 15_000 + 1_000 * Math.sin(step));
    if (step % 100 === 1) addPoint(spec, 'val loss', step, 1.5 + 3 * Math.exp(-step / 80));
  }
  Object.assign(spec, { status: 'done', step: STEPS, elapsedSec: 30, backend: 'webgl' });
  return trainingBundle(spec, { final: true });
}

/** Labels of the learning-rate axis of each run's picture (besides its 0). */
const PICTURE_RATE_TICKS: Record<number, string[]> = { 1e-5: ['5e-6', '1e-5'], 5e-5: ['2e-5', '4e-5'], 3e-3: ['0.001', '0.002', '0.003'] };

let lab: Lab;
let page: Page;

labForSuite(() => notebookFolder('training-view', savedViewsNotebook(RATES.map(r => [`lr ${r}`, run(r)]))), s => ({ lab, page } = s));

/** Each label (tick or axis title) of the n-th training view that reaches outside its plot's SVG, as "text: its box, the SVG's". */
function labelsOutside(n: number): Promise<string[]> {
  return page.evaluate(n => {
    const plot = document.querySelectorAll('.llm-lab-training .js-plotly-plot')[n];
    const svg = plot.querySelector('svg.main-svg')!.getBoundingClientRect();
    // tick labels (g.xtick, g.y2tick, ...) and axis titles (g.g-xtitle, g.g-y2title, ...)
    const labels = [...plot.querySelectorAll<SVGTextElement>('.xaxislayer-above text, .yaxislayer-above text, [class^="g-x"][class$="title"] text, [class^="g-y"][class$="title"] text')];
    return labels
      .map(t => ({ text: t.textContent ?? '', box: t.getBoundingClientRect() }))
      .filter(({ box }) => box.width > 0 && (box.left < svg.left - 0.5 || box.right > svg.right + 0.5 || box.top < svg.top - 0.5 || box.bottom > svg.bottom + 0.5))
      .map(({ text, box }) => `${text}: [${box.left.toFixed(0)}, ${box.right.toFixed(0)}] outside [${svg.left.toFixed(0)}, ${svg.right.toFixed(0)}]`);
  }, n);
}

/** The tick labels of the n-th view's learning-rate axis (plotly's y2: the panels are loss, learning rate, tokens/s). */
function rateTicks(n: number): Promise<string[]> {
  return page.evaluate(n => [...document.querySelectorAll('.llm-lab-training .js-plotly-plot')[n].querySelectorAll('.y2tick text')].map(t => t.textContent ?? ''), n);
}

async function checkEveryView(theme: '' | '-dark'): Promise<void> {
  for (const [n, rate] of RATES.entries()) {
    const view = page.locator('.llm-lab-training').nth(n);
    await view.scrollIntoViewIfNeeded();
    await view.screenshot({ path: path.join(results, `training-view-lr${rate}${theme}.png`) });
    expect(await labelsOutside(n), `lr ${rate}${theme}`).toEqual([]);
    const ticks = await rateTicks(n);
    expect(ticks.length, `lr ${rate}: learning-rate ticks ${ticks}`).toBeGreaterThanOrEqual(2);
  }
}

describe('the training view in a notebook output 800 px wide', () => {
  it('shows every axis label whole, for small and ordinary learning rates', async () => {
    await page.setViewportSize({ width: 1240, height: 1000 }); // the file browser open beside the notebook
    await openNotebook(page, lab, 'training-view.ipynb');
    await page.waitForFunction(n => document.querySelectorAll('.llm-lab-training .js-plotly-plot').length === n, RATES.length, { timeout: 60_000 });
    expect(await page.locator('.llm-lab-error').count()).toBe(0);
    const width = await page.locator('.llm-lab-training .js-plotly-plot').first().evaluate(e => e.getBoundingClientRect().width);
    expect(width).toBeGreaterThan(700);
    expect(width).toBeLessThan(900);
    await checkEveryView('');
  });

  it('and in the dark theme', async () => {
    await command(page, 'apputils:change-theme', { theme: 'JupyterLab Dark' });
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', null, { timeout: 30_000 });
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached', timeout: 30_000 });
    // the views redraw with the theme's colors on the next frame
    await page.waitForTimeout(500);
    await checkEveryView('-dark');
  });
});

describe("the run's picture (static SVG), drawn by Chromium", () => {
  it('shows every label whole, the small rates in e-notation', async () => {
    const other = await page.context().browser()!.newPage();
    for (const rate of RATES) {
      await other.setContent(`<body style="margin: 0">${run(rate)['image/svg+xml']}</body>`);
      const picture = other.locator('svg');
      await picture.screenshot({ path: path.join(results, `training-view-lr${rate}-svg.png`) });
      const outside = await picture.evaluate(svg => {
        const box = svg.getBoundingClientRect();
        return [...svg.querySelectorAll('text')]
          .map(t => ({ text: t.textContent ?? '', b: t.getBoundingClientRect() }))
          .filter(({ b }) => b.width > 0 && (b.left < box.left || b.right > box.right))
          .map(({ text, b }) => `${text}: [${b.left.toFixed(0)}, ${b.right.toFixed(0)}] outside [${box.left.toFixed(0)}, ${box.right.toFixed(0)}]`);
      });
      expect(outside, `lr ${rate}`).toEqual([]);
      // the learning-rate axis reads as the live view's does
      expect(await picture.locator('text').allTextContents(), `lr ${rate}`).toEqual(expect.arrayContaining(PICTURE_RATE_TICKS[rate]));
    }
    await other.close();
  });
});
