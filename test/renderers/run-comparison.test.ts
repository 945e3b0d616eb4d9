import './setup';
import { afterEach, describe, expect, it } from 'vitest';
import { RUN_COMPARISON_MIME_TYPE } from '../../extension/src/mime';
import { runCurveTraces } from '../../extension/src/renderers/run-comparison-plot';
import { runComparisonView } from '../../kernel-lib/src/viz/runComparison';
import type { RunComparisonRun } from '@llm-lab/kernel/contract';
import { createRenderer, mimeModel, render } from './render';

afterEach(() => {
  document.body.replaceChildren();
});

const curve = (end: number) => ({ step: [0, 50, 100], value: [3, (3 + end) / 2, end] });
const run = (name: string, method: string, trainable: number, stepMs: number | null, loss: number | null): RunComparisonRun => ({
  name,
  method,
  trainableParams: trainable,
  totalParams: 1_000_000,
  memory: { frozenFloat: 4 * (1_000_000 - trainable), frozenQuantized: 0, trainable: 4 * trainable, gradients: 4 * trainable, optimizer: 8 * trainable },
  stepMs,
  final: [loss],
  curves: loss === null ? [{ step: [], value: [] }] : [curve(loss)]
});
const spec = () =>
  runComparisonView(
    { metrics: [{ name: 'val loss', better: 'lower' }], curves: ['val loss'], runs: [run('full', 'full', 1_000_000, 40, 2.1), run('lora <b>r=8</b>', 'lora', 8_192, 22, 2.3), run('bitfit', 'bitfit', 1_000, 18, null)] },
    { title: 'PEFT methods' }
  );

const names = (root: HTMLElement) => Array.from(root.querySelectorAll('tbody tr')).map(tr => tr.querySelector('.llm-lab-runs-name')!.textContent);

describe('run comparison view', () => {
  it('shows a row per run: name, method, trainable share, memory, step time and the final metric, the best starred', async () => {
    const root = (await render(RUN_COMPARISON_MIME_TYPE, spec())).node;
    expect(root.querySelector('.llm-lab-title')!.textContent).toBe('PEFT methods');
    expect(Array.from(root.querySelectorAll('thead th')).map(th => th.textContent)).toEqual(['run', 'method', 'trainable', 'memory', 'step time', 'val loss \u2193']);
    const rows = Array.from(root.querySelectorAll('tbody tr')).map(tr => Array.from(tr.querySelectorAll('td')).map(td => td.textContent));
    expect(rows).toEqual([
      ['full', 'full', '100.0%', '16 MB', '40.0 ms', '2.100 \u2605'],
      ['lora <b>r=8</b>', 'lora', '0.82%', '4.1 MB', '22.0 ms', '2.300'],
      ['bitfit', 'bitfit', '0.10%', '4 MB', '18.0 ms', '?']
    ]);
    expect(root.querySelector('b')).toBeNull();
  });

  it('bars share a scale per column: the trainable share on a log scale, memory stacked by part', async () => {
    const root = (await render(RUN_COMPARISON_MIME_TYPE, spec())).node;
    const widths = (cls: string) => Array.from(root.querySelectorAll<HTMLElement>(`.${cls}`)).map(b => b.style.width);
    expect(widths('llm-lab-runs-share')).toEqual(['100%', '58.3%', '40%']); // log10(share) from 0.001% (0) to 100% (1)
    expect(widths('llm-lab-runs-step')).toEqual(['100%', '55%', '45%']);
    const lora = root.querySelectorAll('tbody tr')[1];
    const parts = Array.from(lora.querySelectorAll<HTMLElement>('.llm-lab-runs-bar[class*="llm-lab-runs-mem-"]')).map(b => Number(b.style.width.replace('%', '')));
    expect(parts).toHaveLength(5);
    expect(parts.reduce((a, b) => a + b, 0)).toBeCloseTo((100 * (4 * 991_808 + 16 * 8_192)) / 16_000_000, 0);
  });

  it('pointing at a cell shows its numbers', async () => {
    const root = (await render(RUN_COMPARISON_MIME_TYPE, spec())).node;
    const cells = root.querySelectorAll<HTMLElement>('tbody tr')[1].querySelectorAll('td');
    cells[2].dispatchEvent(new MouseEvent('mouseenter'));
    expect(root.querySelector('.llm-lab-attention-readout')!.textContent).toBe('lora <b>r=8</b> (lora): 8,192 of 1,000,000 parameters train (0.82%)');
    cells[3].dispatchEvent(new MouseEvent('mouseenter'));
    expect(root.querySelector('.llm-lab-attention-readout')!.textContent).toBe('lora <b>r=8</b>: 4.1 MB = frozen weights (float32) 4 MB + trainable weights 33 kB + gradients 33 kB + optimizer state (AdamW m, v) 66 kB');
  });

  it('clicking a header sorts by that column, again reverses it; runs without a value go last', async () => {
    const root = (await render(RUN_COMPARISON_MIME_TYPE, spec())).node;
    const header = (i: number) => root.querySelectorAll<HTMLElement>('thead th')[i];
    header(5).click();
    expect(names(root)).toEqual(['full', 'lora <b>r=8</b>', 'bitfit']);
    expect(header(5).getAttribute('aria-sort')).toBe('ascending');
    header(5).click();
    expect(names(root)).toEqual(['lora <b>r=8</b>', 'full', 'bitfit']);
    header(4).click();
    expect(names(root)).toEqual(['bitfit', 'lora <b>r=8</b>', 'full']);
  });

  it('an update of the same output keeps the chosen order and adds the new run', async () => {
    const renderer = createRenderer(RUN_COMPARISON_MIME_TYPE);
    await renderer.renderModel(mimeModel(RUN_COMPARISON_MIME_TYPE, spec()));
    renderer.node.querySelectorAll<HTMLElement>('thead th')[2].click(); // by trainable share
    const more = spec();
    more.runs.push(run('ia3', 'ia3', 100, 17, 2.6));
    await renderer.renderModel(mimeModel(RUN_COMPARISON_MIME_TYPE, more));
    expect(names(renderer.node)).toEqual(['ia3', 'bitfit', 'lora <b>r=8</b>', 'full']);
  });

  it('the curves: one trace per run that has points, in the run colour, names kept as text', () => {
    const traces = runCurveTraces(spec(), 0);
    expect(traces.map(t => [t.name, (t.line as { color: string }).color])).toEqual([
      ['full', '#4e79a7'],
      ['lora &lt;b&gt;r=8&lt;/b&gt;', '#f28e2b']
    ]);
    expect(traces[0].y).toEqual([3, 2.55, 2.1]);
  });

  it('a malformed spec shows an error box naming the field', async () => {
    const bad = { ...spec(), runs: [{ ...spec().runs[0], totalParams: 0 }] };
    const root = (await render(RUN_COMPARISON_MIME_TYPE, bad)).node;
    expect(root.querySelector('.llm-lab-error-detail')!.textContent).toBe('runs[0].totalParams must be an integer >= 1, got 0');
    expect(root.querySelector('.llm-lab-error-title')!.textContent).toBe('LLM Lab could not draw this run comparison view:');
  });
});
