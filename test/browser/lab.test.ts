/**
 * End to end, as a learner meets it: the JupyterLab host with our prebuilt extension, the real
 * tslab kernel, Chromium. Open notebook 01, run every cell (smoke profile), and check the live
 * training plot and the attention heatmap render. Screenshots go to test-results/.
 */
import * as path from 'path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { command, copyNotebooks, Lab, labForSuite, openNotebook, results, trainingStatuses, watchTrainingStatuses } from './lab';

let lab: Lab;
let page: Page;
let problems: string[];

labForSuite(() => copyNotebooks('browser'), s => ({ lab, page, problems } = s), { LLM_LAB_PROFILE: 'smoke' });

const shot = (name: string) => page.screenshot({ path: path.join(results, name) });

describe('notebook 01 in JupyterLab', () => {
  it('opens with the course panel and the prebuilt extension loaded', async () => {
    await openNotebook(page, lab, '01-your-first-gpt.ipynb');
    await page.waitForSelector('#llm-lab-course', { state: 'attached', timeout: 30_000 });
    expect(await page.textContent('#llm-lab-course')).toContain('01');
    await shot('lab-opened.png');
    // The outputs committed from the class run render through our extension before anything runs.
    const training = page.locator('.llm-lab-training').first();
    await training.scrollIntoViewIfNeeded();
    await page.waitForSelector('.llm-lab-training .js-plotly-plot', { timeout: 60_000 });
    expect(await training.locator('.llm-lab-status').textContent()).toBe('done');
    expect(await training.textContent()).toContain('step 1600/1600');
    await page.waitForTimeout(500);
    await shot('committed-training.png');
  });

  it('runs every cell: live training plot while training, then the attention heatmap', async () => {
    await command(page, 'notebook:clear-all-cell-outputs');
    expect(await page.locator('.llm-lab-training').count()).toBe(0);
    // Record every status the live view shows, and the step it was drawn at.
    await watchTrainingStatuses(page);
    await command(page, 'notebook:run-all-cells');

    // While the training cell runs, the plot is drawn and says "running"; it ends "done".
    await page.waitForFunction(() => document.querySelector('.llm-lab-training .llm-lab-status')?.textContent === 'done', null, { timeout: 300_000 });
    const statuses = await trainingStatuses(page);
    expect(statuses, statuses.join(' ')).toContain('running+plot');
    expect(statuses.at(-1)).toBe('done+plot');
    const traces = await page.evaluate(() => (document.querySelector('.llm-lab-training .js-plotly-plot') as unknown as { data: unknown[] }).data.length);
    expect(traces).toBe(4); // train loss, val loss, learning rate, tokens/s

    await page.waitForSelector('.llm-lab-attention rect.llm-lab-attention-cell', { timeout: 300_000 });
    await page.waitForFunction(() => {
      const app = (window as unknown as { jupyterapp: { shell: { currentWidget: { sessionContext: { session: { kernel: { status: string } } } } } } }).jupyterapp;
      return app.shell.currentWidget.sessionContext.session.kernel.status === 'idle';
    }, null, { timeout: 300_000 });
    const cells = await page.locator('.llm-lab-attention rect.llm-lab-attention-cell').count();
    expect(cells).toBe(52 * 52); // "Call me Ishmael. Some years ago, never mind how long": 52 characters
    await page.locator('.llm-lab-training').first().scrollIntoViewIfNeeded();
    await shot('training.png');
    await page.locator('.llm-lab-attention').first().scrollIntoViewIfNeeded();
    await page.locator('rect.llm-lab-attention-cell').nth(52 * 20 + 10).hover();
    await shot('attention.png');

    expect(await page.locator('.llm-lab-error').count()).toBe(0);
    const stderr = await page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').allTextContents();
    expect(stderr, stderr.join('\n')).toEqual([]);
    expect(problems.filter(p => !/404|api\/(me|events)|Failed to load resource/.test(p)), problems.join('\n')).toEqual([]);
  });

  it('reads well in the dark theme', async () => {
    await command(page, 'apputils:change-theme', { theme: 'JupyterLab Dark' });
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', null, { timeout: 30_000 });
    // JupyterLab shows its splash while it switches themes: shoot the page once it is gone
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached', timeout: 30_000 });
    await page.locator('.llm-lab-training').first().scrollIntoViewIfNeeded();
    await shot('training-dark.png');
    await page.locator('.llm-lab-attention').first().scrollIntoViewIfNeeded();
    await shot('attention-dark.png');
    expect(await page.locator('.llm-lab-error').count()).toBe(0);
  });
});
