#!/usr/bin/env node
/**
 * Look at the views in real Chromium, outside JupyterLab: bundle dev/harness.ts (the compiled
 * renderers from lib/ + test fixtures) with vite, open it in light and dark JupyterLab theme
 * variables, and save test-results/renderers-<view>-<theme>.png.
 *
 *   npm run build -w extension && node extension/dev/screenshots.mjs
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const results = join(root, 'test-results');
const out = mkdtempSync(join(tmpdir(), 'llm-lab-harness-'));

await build({
  configFile: false,
  logLevel: 'warn',
  define: { 'process.env.NODE_ENV': '"production"' },
  build: {
    outDir: out,
    emptyOutDir: true,
    minify: false,
    lib: { entry: join(here, 'harness.ts'), formats: ['iife'], name: 'LLMLabHarness', fileName: () => 'harness.js' }
  }
});

const css = readFileSync(join(root, 'style', 'index.css'), 'utf8');
const themes = {
  light: join(root, 'node_modules/@jupyterlab/theme-light-extension/style/variables.css'),
  dark: join(root, 'node_modules/@jupyterlab/theme-dark-extension/style/variables.css')
};
const sections = [
  'training',
  'training-done',
  'training-alignment',
  'training-v1',
  'attention',
  'attention-words',
  'error',
  'head-view',
  'head-view-words',
  'cross-attention',
  'model-view',
  'attention-training',
  'neuron-view',
  'head-view-error'
];
// Only these sections (comma-separated ids), e.g. SECTIONS=head-view,model-view
const only = process.env.SECTIONS ? process.env.SECTIONS.split(',') : null;

function page(theme) {
  const body = sections.map(id => `<h4>${id}</h4><section id="${id}"></section>`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8">
<style>${readFileSync(themes[theme], 'utf8')}</style>
<style>${css}</style>
<style>
  body { margin: 0; padding: 16px 24px; width: 960px; background: var(--jp-layout-color0); color: var(--jp-ui-font-color1); font-family: var(--jp-ui-font-family); }
  h4 { margin: 18px 0 4px; color: var(--jp-ui-font-color2); font-weight: normal; }
  section { padding: 4px 8px; }
</style>
<script>window.process = { env: { NODE_ENV: 'production' } };</script>
</head><body data-jp-theme-light="${theme === 'light'}" data-jp-theme-name="JupyterLab ${theme}">
${body}
<script src="harness.js"></script>
</body></html>`;
}

mkdirSync(results, { recursive: true });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
});
const problems = [];
try {
  for (const theme of Object.keys(themes)) {
    writeFileSync(join(out, `${theme}.html`), page(theme));
    const tab = await browser.newPage({ viewport: { width: 1010, height: 900 } });
    tab.on('pageerror', e => problems.push(`[${theme}] ${e.message}`));
    tab.on('console', m => m.type() === 'error' && problems.push(`[${theme}] console: ${m.text()}`));
    await tab.goto(pathToFileURL(join(out, `${theme}.html`)).href);
    await tab.waitForFunction(() => document.body.dataset.harness !== undefined, null, { timeout: 60_000 });
    const state = await tab.evaluate(() => document.body.dataset.harness);
    if (state !== 'ready') throw new Error(`harness: ${state}`);
    for (const id of sections) {
      if (only && !only.includes(id)) continue;
      const section = tab.locator(`#${id}`);
      await section.scrollIntoViewIfNeeded();
      if (id === 'attention') {
        // Point at a cell (query 20, key 10 of 52 tokens) so the readout and focus show. Scroll
        // first: Chromium re-targets the pointer when the page scrolls under it.
        await section.scrollIntoViewIfNeeded();
        await section.locator('rect.llm-lab-attention-cell').nth(52 * 20 + 10).hover();
      }
      // Interaction states worth a look: a focused token, a zoomed head, a hovered product cell.
      if (id === 'head-view-words') await section.locator('text.llm-lab-hv-query').nth(4).hover();
      if (id === 'model-view') await section.locator('g.llm-lab-mv-cell').nth(7).click();
      if (id === 'neuron-view') await section.locator('rect.llm-lab-nv-pcell').nth(3 * 16 + 5).hover();
      if (id === 'attention-training') await section.locator('rect.llm-lab-attention-cell').nth(22 * 12 + 11).hover();
      const file = join(results, `renderers-${id}-${theme}.png`);
      await section.screenshot({ path: file });
      console.log(`wrote ${file}`);
    }
    await tab.close();
  }
} finally {
  await browser.close();
  rmSync(out, { recursive: true, force: true });
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
