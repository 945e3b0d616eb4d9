import './setup';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { rendererFactory } from '../../extension/src/mime';
import { TRAINING_MIME_TYPE } from '../../extension/src/mime';
import { TRACE_NAMES } from '../../extension/src/renderers/training-plot';
import { readTheme } from '../../extension/src/renderers/theme';
import { trainingSpec } from './fixtures';
import { createRenderer, mimeModel, render } from './render';

/** What plotly keeps on its root div. */
interface PlotDiv extends HTMLElement {
  data?: { name: string; x: number[]; y: (number | null)[]; xaxis: string; yaxis: string }[];
  _fullLayout?: Record<string, { title?: { text?: string } }>;
}

function plotOf(root: HTMLElement): PlotDiv {
  const plots = root.querySelectorAll<PlotDiv>('.llm-lab-training .js-plotly-plot');
  expect(plots.length).toBe(1);
  return plots[0];
}

afterEach(() => {
  document.body.replaceChildren();
});

describe('training view', () => {
  it('draws the four curves with the spec data, on their own axes', async () => {
    const spec = trainingSpec(120, 300);
    const renderer = await render(TRAINING_MIME_TYPE, JSON.stringify(spec)); // tslab sends a string
    const plot = plotOf(renderer.node);
    const traces = plot.data!;
    expect(traces.map(t => t.name)).toEqual([TRACE_NAMES.trainLoss, TRACE_NAMES.valLoss, TRACE_NAMES.learningRate, TRACE_NAMES.throughput]);
    expect(traces[0].x).toEqual(spec.trainLoss.step);
    expect(traces[0].y).toEqual(spec.trainLoss.value);
    expect(traces[1].x).toEqual([20, 40, 60, 80, 100, 120]);
    expect(traces[2].y).toEqual(spec.learningRate.value);
    expect(traces.map(t => `${t.xaxis}/${t.yaxis}`)).toEqual(['x/y', 'x/y', 'x2/y2', 'x3/y3']);
    const layout = plot._fullLayout!;
    expect(layout.yaxis.title?.text).toBe('loss (nats/token)');
    expect(layout.yaxis2.title?.text).toBe('learning rate');
    expect(layout.yaxis3.title?.text).toBe('tokens/s');
    expect(layout.xaxis.title?.text).toBe('step');
    // plotly drew real marks, one path per curve at least
    expect(plot.querySelectorAll('g.trace.scatter').length).toBe(4);
    expect(plot.querySelector('.legend')?.textContent).toContain('validation loss');
  });

  it('writes the status line: status, progress, elapsed, ETA, throughput, backend', async () => {
    const renderer = await render(TRAINING_MIME_TYPE, trainingSpec(120, 300)); // ipykernel sends an object
    const header = renderer.node.querySelector('.llm-lab-training-status')!.textContent!;
    expect(header).toContain('running');
    expect(header).toContain('step 120 / 300');
    expect(header).toContain('elapsed 30s');
    expect(header).toContain('ETA 45s');
    expect(header).toContain('16,384 tokens/s');
    expect(header).toContain('backend wasm (SIMD, 2 threads)');
    expect(renderer.node.querySelector('.llm-lab-title')!.textContent).toBe('Pretraining a 4-layer GPT on Moby-Dick (characters)');
    expect((renderer.node.querySelector('.llm-lab-progress-bar') as HTMLElement).style.width).toBe('40%');
    expect((renderer.node.querySelector('.llm-lab-training-message') as HTMLElement).hidden).toBe(true);
  });

  it('shows the latest samples, newest first, as text', async () => {
    const renderer = await render(TRAINING_MIME_TYPE, trainingSpec(160, 300));
    const samples = Array.from(renderer.node.querySelectorAll('.llm-lab-sample'));
    expect(samples.map(s => s.querySelector('.llm-lab-sample-step')!.textContent)).toEqual(['step 150', 'step 100', 'step 50']);
    const text = samples[0].querySelector('pre')!.textContent!;
    expect(text).toBe('Call me Ishmael. <b>not bold</b> step 150\n  the whale, the whale');
    expect(renderer.node.querySelector('b')).toBeNull();
  });

  it('updates the same plot when the run goes on (update_display_data)', async () => {
    const renderer = createRenderer(TRAINING_MIME_TYPE);
    await renderer.renderModel(mimeModel(TRAINING_MIME_TYPE, JSON.stringify(trainingSpec(40, 300))));
    const first = plotOf(renderer.node);
    expect(first.data![0].x.length).toBe(40);

    await renderer.renderModel(mimeModel(TRAINING_MIME_TYPE, JSON.stringify(trainingSpec(200, 300))));
    const second = plotOf(renderer.node);
    expect(second).toBe(first);
    expect(second.data![0].x.length).toBe(200);
    expect(second.querySelectorAll('g.trace.scatter').length).toBe(4);
    expect(renderer.node.textContent).toContain('step 200 / 300');
  });

  it('draws only the newest of specs that arrive while drawing', async () => {
    const renderer = createRenderer(TRAINING_MIME_TYPE);
    const draws = [10, 20, 30, 40, 50].map(step => renderer.renderModel(mimeModel(TRAINING_MIME_TYPE, trainingSpec(step, 300))));
    await Promise.all(draws);
    expect(plotOf(renderer.node).data![0].x.length).toBe(50);
    expect(renderer.node.textContent).toContain('step 50 / 300');
  });

  it('ends with status done, no ETA, and says why a run stopped early', async () => {
    const done = await render(TRAINING_MIME_TYPE, trainingSpec(300, 300));
    const header = done.node.querySelector('.llm-lab-training-status')!.textContent!;
    expect(header).toContain('done');
    expect(header).not.toContain('ETA');

    const stopped = await render(TRAINING_MIME_TYPE, trainingSpec(90, 300, { status: 'interrupted', message: 'loss became NaN at step 90: lower the learning rate' }));
    const message = stopped.node.querySelector('.llm-lab-training-message') as HTMLElement;
    expect(message.hidden).toBe(false);
    expect(message.textContent).toBe('loss became NaN at step 90: lower the learning rate');
    expect(stopped.node.querySelector('.llm-lab-status')!.className).toContain('llm-lab-status-interrupted');
  });

  it('leaves gaps where the kernel sent null for a NaN loss', async () => {
    const spec = trainingSpec(30, 300);
    spec.trainLoss.value[10] = null as unknown as number;
    const renderer = await render(TRAINING_MIME_TYPE, JSON.stringify(spec));
    expect(plotOf(renderer.node).data![0].y[10]).toBeNull();
    expect(renderer.node.querySelector('.llm-lab-error')).toBeNull();
  });

  it('takes the curve colors from the JupyterLab theme variables', async () => {
    // jsdom does not inherit custom properties: set them on the output itself.
    const renderer = createRenderer(TRAINING_MIME_TYPE);
    renderer.node.style.setProperty('--jp-brand-color1', 'rgb(1, 2, 3)');
    renderer.node.style.setProperty('--jp-warn-color1', 'rgb(4, 5, 6)');
    await renderer.renderModel(mimeModel(TRAINING_MIME_TYPE, trainingSpec(20, 300)));
    expect(readTheme(renderer.node).brand).toBe('rgb(1, 2, 3)');
    const traces = plotOf(renderer.node).data! as unknown as { line: { color: string } }[];
    expect(traces[0].line.color).toBe('rgb(1, 2, 3)');
    expect(traces[1].line.color).toBe('rgb(4, 5, 6)');
  });

  it('redraws the curves in the new colors when the user switches theme', async () => {
    const renderer = createRenderer(TRAINING_MIME_TYPE);
    renderer.node.style.setProperty('--jp-brand-color1', 'rgb(1, 2, 3)');
    await renderer.renderModel(mimeModel(TRAINING_MIME_TYPE, trainingSpec(20, 300)));
    const plot = plotOf(renderer.node) as unknown as { data: { line: { color: string } }[] };
    expect(plot.data[0].line.color).toBe('rgb(1, 2, 3)');

    renderer.node.style.setProperty('--jp-brand-color1', 'rgb(7, 8, 9)'); // what the dark theme's CSS does
    document.body.dataset.jpThemeName = 'JupyterLab Dark';
    await vi.waitFor(() => expect(plot.data[0].line.color).toBe('rgb(7, 8, 9)'));
    expect(plotOf(renderer.node)).toBe(plot);
  });

  it('draws the plot once the output is attached (JupyterLab renders before attaching)', async () => {
    const renderer = rendererFactory.createRenderer({ mimeType: TRAINING_MIME_TYPE } as IRenderMime.IRendererOptions);
    await renderer.renderModel(mimeModel(TRAINING_MIME_TYPE, trainingSpec(20, 300)));
    expect(renderer.node.textContent).toContain('step 20 / 300');
    expect(renderer.node.querySelector('.js-plotly-plot')).toBeNull(); // plotly cannot measure a detached node

    Widget.attach(renderer, document.body);
    await vi.waitFor(() => expect(plotOf(renderer.node).data![0].x.length).toBe(20));
  });

  it('removes the plot when the output is cleared', async () => {
    const renderer = await render(TRAINING_MIME_TYPE, trainingSpec(20, 300));
    const plot = plotOf(renderer.node);
    renderer.dispose();
    expect(plot.data).toBeUndefined(); // Plotly.purge dropped the figure and its listeners
  });
});
