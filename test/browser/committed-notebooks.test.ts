/**
 * Every course notebook as committed: opened in the lab (trusted, nothing re-run), each saved view
 * renders through the extension (one rendered view per saved spec, no error box) and each
 * picture-only output shows its SVG. Screenshots: test-results/committed-<notebook>.png and the
 * views of notebook 04 (sampling strategies, cross-attention).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { command, copyNotebooks, isPictureOnly, isView, Lab, labForSuite, openNotebook, repo, results, savedOutputs } from './lab';

const notebooks = fs.readdirSync(path.join(repo, 'notebooks')).filter(f => f.endsWith('.ipynb')).sort();

let lab: Lab;
let page: Page;
let problems: string[];

labForSuite(() => copyNotebooks('committed'), s => ({ lab, page, problems } = s));

async function trust(): Promise<void> {
  await page.evaluate(() => {
    const app = (window as unknown as { jupyterapp: { commands: { execute(id: string): Promise<unknown> } } }).jupyterapp;
    void app.commands.execute('notebook:trust'); // resolves when its dialog closes
  });
  await page.locator('.jp-Dialog', { hasText: /trust/i }).locator('.jp-mod-accept').click();
}

describe('committed notebooks in JupyterLab', () => {
  for (const name of notebooks) {
    it(`${name}: every saved view renders`, async () => {
      const outputs = savedOutputs(name);
      const saved = { specs: outputs.filter(isView).length, svgOnly: outputs.filter(isPictureOnly).length };
      if (name === notebooks[0]) await openNotebook(page, lab, name);
      else await command(page, 'docmanager:open', { path: name });
      await page.waitForFunction(n => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .llm-lab-output').length >= n, saved.specs, { timeout: 60_000 });
      const panel = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
      expect(await panel.locator('.llm-lab-output').count()).toBe(saved.specs);
      if (saved.svgOnly > 0) {
        await trust();
        const svg = panel.locator('.jp-OutputArea-output[data-mime-type="image/svg+xml"]');
        await expect.poll(() => svg.count(), { timeout: 30_000 }).toBe(saved.svgOnly);
      }
      expect(await panel.locator('.llm-lab-error').count()).toBe(0);
      await page.screenshot({ path: path.join(results, `committed-${name.replace('.ipynb', '')}.png`) });
      if (name.startsWith('04')) {
        const svg = panel.locator('.jp-OutputArea-output[data-mime-type="image/svg+xml"]').last();
        await svg.scrollIntoViewIfNeeded();
        await svg.screenshot({ path: path.join(results, 'committed-04-sampling.png') });
        const cross = panel.locator('.llm-lab-head-view').last();
        await cross.scrollIntoViewIfNeeded();
        await cross.screenshot({ path: path.join(results, 'committed-04-cross-attention.png') });
      }
      // trusting changed the notebook: save it (a copy), or closing asks whether to, and that dialog
      // can still be open when the next notebook's trust dialog is looked for
      await command(page, 'docmanager:save');
      await command(page, 'application:close-all');
    });
  }

  it('logged no page errors', () => {
    expect(problems.filter(p => !/404|api\/(me|events)|Failed to load resource/.test(p)), problems.join('\n')).toEqual([]);
  });
});
