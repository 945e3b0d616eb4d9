/**
 * Notebook 03 (self-attention) as committed: its outputs, saved from a class-profile run, render
 * through the extension when the notebook is opened, without running anything. Every view kind it
 * shows must appear (no error box), agree with the saved spec, and answer a click or a slider.
 * Screenshots: test-results/nb03-<view>.png.
 */
import * as path from 'path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { copyNotebooks, isPictureOnly, Lab, labForSuite, openNotebook, results, savedOutputs } from './lab';
import { drawnPictures, PICTURE, savedPictureSize } from './pictures';

const NAME = '03-self-attention.ipynb';

/** The saved specs of one MIME kind (whatever its version: notebooks saved before training v2 hold v1), in output order. */
function savedSpecs<T>(kind: string): T[] {
  const specOf = (data: Record<string, unknown> = {}) => Object.entries(data).find(([mime]) => new RegExp(`^application/vnd\\.llm-lab\\.${kind}\\.v\\d+\\+json$`).test(mime))?.[1];
  const saved = savedOutputs(NAME).map(o => specOf(o.data)).filter(s => s !== undefined);
  return saved.map(s => (typeof s === 'string' ? JSON.parse(s) : s) as T); // tslab saves the JSON as text
}

/** The saved outputs that are only a static picture (SVG, its <img> form, text), no view of the extension. */
const pictureOnly = () => savedOutputs(NAME).filter(isPictureOnly);

let lab: Lab;
let page: Page;
let problems: string[];

labForSuite(() => copyNotebooks('nb03'), async s => {
  ({ lab, page, problems } = s);
  await page.setViewportSize({ width: 1400, height: 1600 }); // the tallest views fit: screenshots without the lab's bars
});

const shot = async (selector: string, name: string) => {
  const view = page.locator(selector);
  await view.scrollIntoViewIfNeeded();
  await page.waitForTimeout(300);
  await view.screenshot({ path: path.join(results, name) });
};

describe('notebook 03 in JupyterLab (committed outputs)', () => {
  it('renders every view it saved', async () => {
    await openNotebook(page, lab, NAME);
    await page.waitForSelector('.llm-lab-neuron-view', { state: 'attached', timeout: 60_000 });
    expect(await page.locator('.llm-lab-error').count()).toBe(0);

    // attention over training: one frame per evaluation, the last one selected
    const recorded = savedSpecs<{ steps: number[] }>('attention-training');
    expect(recorded).toHaveLength(1);
    const { steps } = recorded[0];
    expect(steps.length).toBeGreaterThan(1);
    const training = page.locator('.llm-lab-attention-training');
    expect(await training.locator('.llm-lab-step-label').textContent()).toBe(`step ${steps.at(-1)} (${steps.length} of ${steps.length})`);
    await training.locator('input.llm-lab-step-slider').fill('0');
    expect(await training.locator('.llm-lab-step-label').textContent()).toBe(`step 0 (1 of ${steps.length})`);
    await shot('.llm-lab-attention-training', 'nb03-attention-training-step0.png');
    await training.locator('input.llm-lab-step-slider').fill(String(steps.length - 1));
    await shot('.llm-lab-attention-training', 'nb03-attention-training.png');

    // every training run (the GPT, the induction model, the seq2seq model) finished
    const plots = page.locator('.llm-lab-training');
    const runs = savedSpecs('training').length;
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(await plots.count()).toBe(runs);
    for (let i = 0; i < runs; i++) expect(await plots.nth(i).locator('.llm-lab-status').textContent()).toBe('done');

    // heatmaps: the GPT's and the induction head's
    expect(await page.locator('.llm-lab-attention').count()).toBe(savedSpecs('attention').length);
    await shot('.llm-lab-attention >> nth=0', 'nb03-heatmap.png');
    await shot('.llm-lab-attention >> nth=-1', 'nb03-induction-head.png');

    // head views: the GPT's layer 0, then the cross-attention (its keys are the source letters)
    const headViews = savedSpecs<{ keyTokens?: string[] }>('head-view');
    expect(headViews).toHaveLength(2);
    await shot('.llm-lab-head-view >> nth=0', 'nb03-head-view.png');
    const cross = page.locator('.llm-lab-head-view').nth(1);
    expect(await cross.locator('text.llm-lab-hv-key').allTextContents()).toEqual(headViews[1].keyTokens);
    await shot('.llm-lab-head-view >> nth=1', 'nb03-cross-attention.png');

    // model view: 2 layers x 4 heads; a click zooms in
    const model = page.locator('.llm-lab-model-view');
    expect(await model.locator('g.llm-lab-mv-cell').count()).toBe(8);
    await model.locator('g.llm-lab-mv-cell').nth(1).click();
    expect(await model.locator('.llm-lab-mv-zoom-title').textContent()).toBe('Layer 0, head 1');
    await shot('.llm-lab-model-view', 'nb03-model-view.png');

    await shot('.llm-lab-neuron-view', 'nb03-neuron-view.png');

    // static views (a picture only: attention by distance per layer, induction scores over training).
    // JupyterLab shows their <img> form (text/html ranks first), sanitized while the opened notebook
    // is not trusted: the <img> stays, so the pictures show at once, and the same once it is trusted.
    const pictures = pictureOnly().map(o => ({ natural: savedPictureSize(o), text: '' }));
    await expect.poll(() => drawnPictures(page.locator('body')), { timeout: 30_000 }).toEqual(pictures); // loaded, at its size, no loose text
    expect(await page.locator(PICTURE, { has: page.locator('img[alt$=": attention by distance, held-out text"]') }).count()).toBe(pictures.length - 1); // both layers; the induction view is the other
    const names = ['nb03-by-distance-layer0.png', 'nb03-by-distance-layer1.png', 'nb03-induction.png']; // in notebook order
    expect(pictures).toHaveLength(names.length);
    for (const [i, name] of names.entries()) await shot(`${PICTURE} >> nth=${i}`, name);
    await page.evaluate(() => {
      const app = (window as unknown as { jupyterapp: { commands: { execute(id: string): Promise<unknown> } } }).jupyterapp;
      void app.commands.execute('notebook:trust'); // resolves when its dialog closes
    });
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await expect.poll(() => drawnPictures(page.locator('body')), { timeout: 30_000 }).toEqual(pictures);
    expect(await page.locator('.llm-lab-neuron-view').count(), 'the rich views stay once trusted').toBe(1);

    expect(await page.locator('.llm-lab-error').count()).toBe(0);
    expect(problems.filter(p => !/404|api\/(me|events)|Failed to load resource/.test(p)), problems.join('\n')).toEqual([]);
  });
});
