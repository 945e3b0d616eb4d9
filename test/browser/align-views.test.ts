/**
 * End to end: the alignment views in the JupyterLab host. A notebook holds their bundles as a
 * kernel's display would save them (built here by the kernel's builders); opened in the lab, each
 * renders through the extension (no error box), answers the pointer, shows untrusted text as text
 * and reads in both themes. Their SVG fallbacks are drawn by Chromium too.
 * Screenshots: test-results/align-<view>[-dark].png, align-<view>-svg.png.
 */
import * as path from 'path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { MimeBundle } from '../../kernel-lib/src/viz/display';
import { alignPipelineBundle, alignPipelineSpec, grpoGroupsBundle, grpoGroupsSpec, rewardKlBundle, rewardKlSpec, rewardScatterBundle, rewardScatterSpec, rlSamplesBundle, rlSamplesSpec } from '../../kernel-lib/src/viz/alignViews';
import { command, Lab, labForSuite, notebookFolder, openNotebook, results, screenshotOf, savedViewsNotebook } from './lab';

/** A fixed stream of uniform numbers (Park-Miller): the same pictures every run. */
function uniforms(n: number, seed = 11): number[] {
  let s = seed;
  return Array.from({ length: n }, () => (s = (s * 16807) % 2147483647) / 2147483647);
}

const evil = '<b>bold</b> <img src=x onerror=alert(1)>';
const WORDS = ['The film was', 'My day felt', 'This place is', 'Our trip seemed', 'The food tasted'];
const u = uniforms(400);
const scatter = Array.from({ length: 120 }, (_, i) => {
  const x = Math.round((u[i] * 8 - 3) * 10) / 10;
  const y = 0.6 * x + (u[i + 120] - 0.5) * 2.5;
  return { x, y, text: `${WORDS[i % 5]} ${x > 1 ? 'wonderful and warm' : x < -1 ? 'awful and cold' : 'fine, I guess'} (#${i})`, split: (i % 4 === 0 ? 'held-out' : 'train') as 'train' | 'held-out' };
});
// the reward model loves a string of exclamation marks the lexicon scores 0: reward hacking to find
scatter.push({ x: 0, y: 4.5, text: '!!!!!!!!!!!! !!!!!!!!', split: 'held-out' }, { x: 4.5, y: -2.5, text: evil, split: 'held-out' });

const groups = [
  { prompt: '23+19=', answers: ['42', '41', '42', '32', '42', '43', evil, '42'], right: '42' },
  { prompt: 'reverse: stone', answers: ['enots', 'enots', 'enost', 'stone', 'enots', 'etons', 'enots', 'sntoe'], right: 'enots' },
  { prompt: 'spell: cat', answers: ['c a t', 'c a t', 'c a t', 'c a t', 'c a t', 'c a t', 'c a t', 'c a t'], right: 'c a t' }
].map(g => ({ prompt: g.prompt, completions: g.answers.map(a => ({ text: a, reward: a === g.right ? 1 : 0, correct: a === g.right })) }));

const trajectory = (kl: number, reward: number, bend: number) => Array.from({ length: 11 }, (_, i) => ({ step: i * 20, kl: kl * (i / 10) ** bend, reward: 0.1 + (reward - 0.1) * Math.sqrt(i / 10) }));
const runs = [
  { run: 'PPO kl 0.05', method: 'PPO', points: trajectory(0.35, 0.62, 1.5) },
  { run: 'PPO kl 0.2', method: 'PPO', points: trajectory(0.12, 0.41, 1.5) },
  { run: 'PPO kl 0 (reward hacking)', method: 'PPO', points: trajectory(3.1, 1.6, 2) },
  { run: 'DPO beta 0.1', method: 'DPO', points: [{ kl: 0.52, reward: 0.55 }] },
  { run: 'DPO beta 0.5', method: 'DPO', points: [{ kl: 0.18, reward: 0.38 }] },
  { run: 'GRPO G 8', method: 'GRPO', points: trajectory(0.25, 0.7, 1) }
];

const samples = Array.from({ length: 12 }, (_, i) => ({ step: i * 10, prompt: WORDS[i % 5], sample: i === 7 ? evil : i > 8 ? ' great great great great great great!!!' : ` ${['quiet', 'bright', 'long', 'warm'][i % 4]} and the people were kind.`, reward: i * 0.3 - 0.5 }));

const views: [string, MimeBundle][] = [
  ['pipeline', alignPipelineBundle(alignPipelineSpec())],
  ['pipeline-ppo', alignPipelineBundle(alignPipelineSpec({ highlight: 'ppo' }))],
  ['scatter', rewardScatterBundle(rewardScatterSpec({ points: scatter, xTitle: 'lexicon sentiment (AFINN)', yTitle: 'reward model', flag: 4 }))],
  ['grpo', grpoGroupsBundle(grpoGroupsSpec({ groups }))],
  ['reward-kl', rewardKlBundle(rewardKlSpec({ runs }))],
  ['samples', rlSamplesBundle(rlSamplesSpec({ rows: samples, rewardName: 'reward model score' }, { title: 'PPO kl 0.05: samples, newest first' }))]
];

const SELECTORS: Record<string, string> = {
  pipeline: '.llm-lab-align-pipeline >> nth=0',
  'pipeline-ppo': '.llm-lab-align-pipeline >> nth=1',
  scatter: '.llm-lab-reward-scatter',
  grpo: '.llm-lab-grpo-groups',
  'reward-kl': '.llm-lab-reward-kl',
  samples: '.llm-lab-rl-samples'
};

let lab: Lab;
let page: Page;
let problems: string[];

labForSuite(() => notebookFolder('align-views', savedViewsNotebook(views)), s => ({ lab, page, problems } = s));

const shot = (name: string, suffix = '') => screenshotOf(page, SELECTORS[name], `align-${name}${suffix}.png`);

describe('alignment views in JupyterLab', () => {
  it('renders the six outputs from their saved bundles, interactive, untrusted text as text', async () => {
    await page.setViewportSize({ width: 1400, height: 1400 });
    await openNotebook(page, lab, 'align-views.ipynb');
    await page.waitForFunction(() => document.querySelectorAll('.llm-lab-output').length >= 6, null, { timeout: 60_000 }).catch(async e => {
      await page.screenshot({ path: path.join(results, 'align-views-timeout.png'), fullPage: true });
      throw e;
    });
    expect(await page.locator('.llm-lab-error').count()).toBe(0);

    const pipeline = page.locator('.llm-lab-align-pipeline').first();
    expect(await pipeline.locator('.llm-lab-align-box').count()).toBe(16);
    await pipeline.locator('[data-box="dpo"]').hover();
    expect(await pipeline.locator('.llm-lab-attention-readout').textContent()).toContain('DPO: trains: the policy, on the pairs');
    // the drawing fits the notebook's width (it scales down rather than overflow)
    const [svgBox, outBox] = await Promise.all([pipeline.locator('svg.llm-lab-align-svg').boundingBox(), pipeline.boundingBox()]);
    expect(svgBox!.width).toBeLessThanOrEqual(outBox!.width + 0.5);
    await shot('pipeline');
    const ppo = page.locator('.llm-lab-align-pipeline').nth(1);
    expect(await ppo.locator('.llm-lab-align-box.llm-lab-align-lit').count()).toBe(7);
    const dimOpacity = await ppo.locator('[data-box="dpo"]').evaluate(e => getComputedStyle(e).opacity);
    expect(Number(dimOpacity)).toBeLessThan(0.5);
    await shot('pipeline-ppo');

    const sc = page.locator('.llm-lab-reward-scatter');
    expect(await sc.locator('.llm-lab-align-point').count()).toBe(122);
    expect(await sc.locator('.llm-lab-align-flag').count()).toBe(4);
    expect(await sc.locator('.llm-lab-align-disagree .llm-lab-align-sample').allTextContents()).toContain(evil);
    await sc.locator('.llm-lab-align-point').nth(120).hover({ force: true });
    expect(await sc.locator('.llm-lab-attention-readout').textContent()).toBe('held-out \u00b7 lexicon sentiment (AFINN) 0 \u00b7 reward model 4.5: !!!!!!!!!!!! !!!!!!!!');
    await shot('scatter');

    const grpo = page.locator('.llm-lab-grpo-groups');
    expect(await grpo.locator('.llm-lab-grpo-group').count()).toBe(3);
    expect(await grpo.locator('.llm-lab-grpo-summary').first().textContent()).toBe('mean reward 0.50 \u00b7 std 0.53 \u00b7 4 of 8 correct');
    expect(await grpo.locator('.llm-lab-grpo-text').allTextContents()).toContain(evil);
    await shot('grpo');

    const kl = page.locator('.llm-lab-reward-kl');
    expect(await kl.locator('.llm-lab-align-run').count()).toBe(6);
    await kl.locator('.llm-lab-align-run-last').nth(2).hover({ force: true });
    expect(await kl.locator('.llm-lab-attention-readout').textContent()).toBe('PPO kl 0 (reward hacking) (PPO), step 200: KL 3.1 nats, reward 1.6');
    await shot('reward-kl');

    const table = page.locator('.llm-lab-rl-samples');
    expect(await table.locator('tbody tr').count()).toBe(12);
    expect(await table.locator('tbody tr').first().locator('td').first().textContent()).toBe('110');
    await shot('samples');

    expect(await page.locator('.llm-lab-output img, .llm-lab-output b, .llm-lab-output script').count()).toBe(0);
    expect(problems.filter(p => !/404|api\/(me|events)|Failed to load resource/.test(p)), problems.join('\n')).toEqual([]);
  });

  it('reads in the dark theme', async () => {
    await command(page, 'apputils:change-theme', { theme: 'JupyterLab Dark' });
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', null, { timeout: 30_000 });
    for (const name of Object.keys(SELECTORS)) await shot(name, '-dark');
    // labels and answers take the dark theme's text colours, so they read on the dark fills
    const label = await page.locator('.llm-lab-align-label').first().evaluate(e => getComputedStyle(e).fill);
    expect(label).toBe('rgb(255, 255, 255)');
    const answer = await page.locator('.llm-lab-grpo-text').first().evaluate(e => getComputedStyle(e).color);
    expect(answer).toBe('rgb(255, 255, 255)');
    expect(await page.locator('.llm-lab-error').count()).toBe(0);
  });

  it('draws each SVG fallback in Chromium', async () => {
    const other = await page.context().browser()!.newPage();
    for (const [name, bundle] of views) {
      await other.setContent(`<!doctype html><body style="margin:0">${bundle['image/svg+xml']}</body>`);
      const svg = other.locator('svg').first();
      const box = await svg.boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      await svg.screenshot({ path: path.join(results, `align-${name}-svg.png`) });
    }
    expect(await other.locator('img, b').count()).toBe(0);
    await other.close();
  });
});
