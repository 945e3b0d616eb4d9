/**
 * End to end: the attention views from a real tslab kernel in the JupyterLab host. A scratch
 * notebook trains a tiny GPT for a few steps (recording attention at every evaluation), then shows
 * the head view, model view, neuron view, attention over training and a cross-attention head view.
 * Each view must render (no error box), answer a pointer or a click, and read in both themes.
 * Screenshots: test-results/lab-<view>[-dark].png.
 */
import * as path from 'path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { command, Lab, labForSuite, notebookFolder, openNotebook, results, screenshotOf } from './lab';

const cells = [
  `import * as lab from '@llm-lab/kernel';
await lab.useDevice('wasm');
const text = 'the cat sat on the mat. the dog sat on the log. '.repeat(40);
const tokenizer = lab.CharTokenizer.fromText(text);
const ids = Int32Array.from(tokenizer.encode(text));
const data = { train: ids.slice(0, 1600), val: ids.slice(1600) };
const model = new lab.GPT({ vocabSize: tokenizer.vocabSize, blockSize: 32, nLayer: 2, nHead: 4, nEmbd: 32, seed: 1 });
const sentence = 'the cat sat on the mat';`,
  `const recorder = new lab.AttentionRecorder(tokenizer, sentence);
await recorder.capture(model, 0);
const trainer = new lab.Trainer(lab.causalLM(model, data, { batchSize: 8, evalBatches: 2, tokenizer: tokenizer }), { steps: 60, learningRate: 1e-2, evalEvery: 15, live: false, onEval: step => recorder.capture(model, step) });
await trainer.train();
recorder.show();`,
  `await lab.showHeadView(model, tokenizer, sentence, { layer: 1 });`,
  `await lab.showModelView(model, tokenizer, sentence);`,
  `await lab.showNeuronView(model, tokenizer, sentence, { layer: 1, head: 0, token: 8 });`,
  `const source = ['le', ' chat', ' noir', ' dort', ' <img src=x onerror=alert(1)>'];
const target = ['the', ' black', ' cat', ' sleeps'];
const align = [0, 2, 1, 3];
const row = (t: number) => source.map((_, s) => (s === align[t] ? 0.7 : 0.3 / (source.length - 1)));
lab.showCrossAttention({ sourceTokens: source, targetTokens: target, weights: [[target.map((_, t) => row(t)), target.map(() => source.map(() => 1 / source.length))]], title: 'Cross-attention (made-up weights)' });`
];

function notebook(): object {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
    cells: cells.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source }))
  };
}

let lab: Lab;
let page: Page;
let problems: string[];

labForSuite(() => notebookFolder('attention-views', notebook()), s => ({ lab, page, problems } = s));

const shot = (selector: string, file: string) => screenshotOf(page, selector, file);

describe('attention views in JupyterLab', () => {
  it('renders every view from the kernel, interactive', async () => {
    await openNotebook(page, lab, 'attention-views.ipynb');
    await command(page, 'notebook:run-all-cells');
    // the last cell's view, or the first error, whichever comes first
    const stderrSelector = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]';
    await page.waitForSelector(`.llm-lab-head-view:has-text("Cross-attention (made-up weights)"), ${stderrSelector}`, { timeout: 500_000 }).catch(async e => {
      await page.screenshot({ path: path.join(results, 'lab-attention-views-timeout.png'), fullPage: true });
      throw e;
    });
    await page.waitForFunction(() => {
      const app = (window as unknown as { jupyterapp: { shell: { currentWidget: { sessionContext: { session: { kernel: { status: string } } } } } } }).jupyterapp;
      return app.shell.currentWidget.sessionContext.session.kernel.status === 'idle';
    }, null, { timeout: 300_000 });
    const stderr = await page.locator(stderrSelector).allTextContents();
    expect(stderr, stderr.join('\n')).toEqual([]);
    expect(await page.locator('.llm-lab-error').count()).toBe(0);

    // attention over training: 0 + evaluations at 15, 30, 45, 60
    const training = page.locator('.llm-lab-attention-training');
    expect(await training.locator('.llm-lab-step-label').textContent()).toBe('step 60 (5 of 5)');
    await training.locator('input.llm-lab-step-slider').fill('0');
    expect(await training.locator('.llm-lab-step-label').textContent()).toBe('step 0 (1 of 5)');
    await shot('.llm-lab-attention-training', 'lab-attention-training.png');
    await training.locator('input.llm-lab-step-slider').fill('4');

    const head = page.locator('.llm-lab-head-view').first();
    await head.locator('text.llm-lab-hv-query').nth(8).hover();
    expect(await head.locator('.llm-lab-attention-readout').textContent()).toMatch(/^s reads most from: head 0: /);
    await shot('.llm-lab-head-view', 'lab-head-view.png');

    const model = page.locator('.llm-lab-model-view');
    expect(await model.locator('g.llm-lab-mv-cell').count()).toBe(8);
    await model.locator('g.llm-lab-mv-cell').nth(5).click();
    expect(await model.locator('.llm-lab-mv-zoom-title').textContent()).toBe('Layer 1, head 1');
    await shot('.llm-lab-model-view', 'lab-model-view.png');

    const neuron = page.locator('.llm-lab-neuron-view');
    expect(await neuron.locator('g.llm-lab-nv-row').count()).toBe(22);
    await neuron.locator('g.llm-lab-nv-row').nth(3).locator('rect.llm-lab-nv-pcell').nth(2).hover();
    expect(await neuron.locator('.llm-lab-attention-readout').textContent()).toMatch(/^s · ␣, dimension 2: /);
    await shot('.llm-lab-neuron-view', 'lab-neuron-view.png');

    const cross = page.locator('.llm-lab-head-view').nth(1);
    expect(await cross.locator('text.llm-lab-hv-key').allTextContents()).toEqual(['le', '␣chat', '␣noir', '␣dort', '␣<img␣src=x␣on…']);
    await shot('.llm-lab-head-view >> nth=1', 'lab-cross-attention.png');
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(problems.filter(p => !/404|api\/(me|events)|Failed to load resource/.test(p)), problems.join('\n')).toEqual([]);
  });

  it('reads in the dark theme', async () => {
    await command(page, 'apputils:change-theme', { theme: 'JupyterLab Dark' });
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', null, { timeout: 30_000 });
    await shot('.llm-lab-head-view', 'lab-head-view-dark.png');
    await shot('.llm-lab-model-view', 'lab-model-view-dark.png');
    await shot('.llm-lab-neuron-view', 'lab-neuron-view-dark.png');
    await shot('.llm-lab-attention-training', 'lab-attention-training-dark.png');
    expect(await page.locator('.llm-lab-error').count()).toBe(0);
  });
});
