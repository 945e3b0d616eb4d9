/**
 * Every course notebook as committed: opened in the lab as a learner opens it (not trusted, nothing
 * re-run), each saved view renders through the extension (one rendered view per saved spec, no
 * error box) and each picture-only output shows its picture, the <img> form of its SVG, at its
 * size. Screenshots: test-results/committed-<notebook>.png and the views of notebook 04 (sampling
 * strategies, cross-attention).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { command, copyNotebooks, isPictureOnly, isView, Lab, labForSuite, openNotebook, repo, results, savedOutputs } from './lab';
import { drawnPictures, PICTURE, savedPictureSize } from './pictures';

const notebooks = fs.readdirSync(path.join(repo, 'notebooks')).filter(f => f.endsWith('.ipynb')).sort();

let lab: Lab;
let page: Page;
let problems: string[];

labForSuite(() => copyNotebooks('committed'), s => ({ lab, page, problems } = s));

describe('committed notebooks in JupyterLab', () => {
  for (const name of notebooks) {
    it(`${name}: every saved view renders`, async () => {
      const outputs = savedOutputs(name);
      const saved = { specs: outputs.filter(isView).length, pictures: outputs.filter(isPictureOnly).map(o => ({ natural: savedPictureSize(o), text: '' })) };
      if (name === notebooks[0]) await openNotebook(page, lab, name);
      else await command(page, 'docmanager:open', { path: name });
      await page.waitForFunction(n => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .llm-lab-output').length >= n, saved.specs, { timeout: 60_000 });
      const panel = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
      expect(await panel.locator('.llm-lab-output').count()).toBe(saved.specs);
      await expect.poll(() => drawnPictures(panel), { timeout: 30_000 }).toEqual(saved.pictures); // loaded, at its size, no loose text
      expect(await panel.locator('.llm-lab-error').count()).toBe(0);
      await page.screenshot({ path: path.join(results, `committed-${name.replace('.ipynb', '')}.png`) });
      if (name.startsWith('04')) {
        const sampling = panel.locator(PICTURE).last();
        await sampling.scrollIntoViewIfNeeded();
        await sampling.screenshot({ path: path.join(results, 'committed-04-sampling.png') });
        const cross = panel.locator('.llm-lab-head-view').last();
        await cross.scrollIntoViewIfNeeded();
        await cross.screenshot({ path: path.join(results, 'committed-04-cross-attention.png') });
      }
      await command(page, 'application:close-all');
    });
  }

  it('logged no page errors', () => {
    expect(problems.filter(p => !/404|api\/(me|events)|Failed to load resource/.test(p)), problems.join('\n')).toEqual([]);
  });
});
