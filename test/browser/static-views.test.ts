/**
 * Saved views read in the HTML that Debian's nbconvert (6.5) makes of a notebook, without the
 * extension: that nbconvert strips every SVG element from image/svg+xml (trusted notebook or not)
 * and shows text/html first, so each picture must come through its <img> form. Two committed
 * notebooks, their outputs given that form as the kernel sends it, are converted and drawn in
 * Chromium: every picture loads, has its size, and leaves no loose text on the page.
 * Screenshots: test-results/static-<notebook>.png (the first picture of each).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withStaticHtml } from '../../kernel-lib/src/viz/display';
import { openBrowser, repo, results } from './lab';

const NBCONVERT = '/usr/bin/jupyter-nbconvert';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-lab-static-'));
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Output = { data?: Record<string, string | string[]> };
const joined = (v: string | string[]) => (Array.isArray(v) ? v.join('') : v);

/** A copy of a committed notebook whose pictures carry the <img> form; how many pictures it has. */
function withImgForms(name: string): { file: string; pictures: { width: number; height: number }[] } {
  const nb = JSON.parse(fs.readFileSync(path.join(repo, 'notebooks', name), 'utf8')) as { cells: { outputs?: Output[] }[] };
  const pictures: { width: number; height: number }[] = [];
  for (const o of nb.cells.flatMap(c => c.outputs ?? [])) {
    if (!o.data?.['image/svg+xml']) continue;
    const svg = joined(o.data['image/svg+xml']);
    const [, width, height] = /width="([\d.]+)" height="([\d.]+)"/.exec(svg)!;
    pictures.push({ width: Number(width), height: Number(height) });
    o.data = withStaticHtml({ ...o.data, 'image/svg+xml': svg, 'text/plain': joined(o.data['text/plain'] ?? '') });
  }
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(nb));
  return { file, pictures };
}

/** Convert notebooks in one run (nbconvert takes seconds to start); the files it wrote. */
function nbconvert(files: string[], to: 'html' | 'markdown'): string[] {
  execFileSync(NBCONVERT, ['--to', to, ...files], { cwd: dir, stdio: 'pipe', timeout: 60_000 });
  return files.map(f => f.replace(/\.ipynb$/, to === 'html' ? '.html' : '.md'));
}

const NOTEBOOKS = ['05-fine-tuning.ipynb', '02-transformer-step-by-step.ipynb'];
const copies = NOTEBOOKS.map(withImgForms);

describe("Debian's nbconvert --to html, drawn in Chromium", () => {
  beforeAll(async () => {
    nbconvert(copies.map(c => c.file), 'html');
    browser = (await openBrowser()).browser;
  });

  NOTEBOOKS.forEach((name, n) => {
    it(`${name}: every picture is drawn at its size, with no loose text`, async () => {
      const { file, pictures } = copies[n];
      expect(pictures.length).toBeGreaterThan(0);
      const html = file.replace(/\.ipynb$/, '.html');
      const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
      // the page asks a CDN for MathJax and require.js: offline, refuse at once rather than wait
      await page.route(/^https?:/, route => route.abort());
      await page.goto(`file://${html}`, { waitUntil: 'load' });
      const drawn = await page.$$eval('.jp-OutputArea-output', outputs =>
        outputs
          .map(o => ({ o, img: o.querySelector<HTMLImageElement>('img[src^="data:image/svg+xml"]') }))
          .filter(({ o, img }) => img || o.querySelector('svg'))
          .map(({ o, img }) => ({
            mime: o.getAttribute('data-mime-type'),
            natural: img ? [img.naturalWidth, img.naturalHeight] : null,
            box: img ? [img.getBoundingClientRect().width, img.getBoundingClientRect().height] : null,
            text: (o as HTMLElement).innerText.trim().slice(0, 80)
          }))
      );
      expect(drawn).toHaveLength(pictures.length);
      drawn.forEach((d, i) => {
        const { width, height } = pictures[i];
        expect(d.mime, `picture ${i}`).toBe('text/html');
        expect(d.natural, `picture ${i} loads`).toEqual([width, height]);
        // drawn at its size, or narrower with its proportions when the page is narrower
        expect(d.box![0], `picture ${i} width`).toBeGreaterThanOrEqual(Math.min(width, 600));
        expect(d.box![1] / d.box![0], `picture ${i} proportions`).toBeCloseTo(height / width, 2);
        expect(d.text, `picture ${i} loose text`).toBe('');
      });
      const first = page.locator('.jp-OutputArea-output img[src^="data:image/svg+xml"]').first();
      await first.scrollIntoViewIfNeeded();
      await first.screenshot({ path: path.join(results, `static-${name.replace('.ipynb', '')}.png`) });
      await page.close();
    });
  });
});

describe("Debian's nbconvert --to markdown", () => {
  it('puts each picture in the page as its <img>', () => {
    const { file, pictures } = copies[0];
    const md = fs.readFileSync(nbconvert([file], 'markdown')[0], 'utf8');
    expect(md.match(/^<img src='data:image\/svg\+xml,<svg /gm)).toHaveLength(pictures.length);
  });
});
