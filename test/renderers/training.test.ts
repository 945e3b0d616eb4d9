import './setup';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { rendererFactory, TRAINING_MIME_TYPE, TRAINING_V1_MIME_TYPE } from '../../extension/src/mime';
import { readTheme } from '../../extension/src/renderers/theme';
import { alignmentSpec, trainingSpec, trainingSpecV1 } from './fixtures';
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
  it('draws the four standard series with the spec data on three subplots, both losses on the first', async () => {
    const spec = trainingSpec(120, 300);
    const renderer = await render(TRAINING_MIME_TYPE, JSON.stringify(spec)); // tslab sends a string
    const plot = plotOf(renderer.node);
    const traces = plot.data!;
    expect(traces.map(t => t.name)).toEqual(['train loss', 'val loss', 'learning rate', 'tokens/s']);
    spec.series.forEach((s, i) => {
      expect(traces[i].x).toEqual(s.step);
      expect(traces[i].y).toEqual(s.value);
    });
    expect(traces[1].x).toEqual([20, 40, 60, 80, 100, 120]);
    expect(traces.map(t => `${t.xaxis}/${t.yaxis}`)).toEqual(['x/y', 'x/y', 'x2/y2', 'x3/y3']);
    const layout = plot._fullLayout!;
    expect(layout.yaxis.title?.text).toBe('loss (nats/token)');
    expect(layout.yaxis2.title?.text).toBe('learning rate');
    expect(layout.yaxis3.title?.text).toBe('tokens/s');
    expect(layout.xaxis.title?.text).toBe('step');
    expect(layout.yaxis4).toBeUndefined();
    // plotly drew real marks, one path per curve at least
    expect(plot.querySelectorAll('g.trace.scatter').length).toBe(4);
    // the legend names the two curves that share a subplot; the others' axis titles name them
    expect(Array.from(plot.querySelectorAll('.legend .legendtext'), t => t.textContent)).toEqual(['train loss', 'val loss']);
  });

  it('draws a series on a panel of its own as one more subplot, with its trace', async () => {
    const spec = alignmentSpec(120, 300);
    const renderer = await render(TRAINING_MIME_TYPE, spec);
    const plot = plotOf(renderer.node);
    const margin = plot.data!.find(t => t.name === 'reward margin')!;
    expect(plot.data!).toHaveLength(5);
    expect(`${margin.xaxis}/${margin.yaxis}`).toBe('x4/y4');
    expect(margin.y).toEqual(spec.series[4].value);
    expect(plot._fullLayout!.yaxis4.title?.text).toBe('reward margin');
    expect(plot.querySelectorAll('g.trace.scatter').length).toBe(5);
    expect(plot.querySelectorAll('g.subplot.x4y4 .scatterlayer g.trace path.js-line').length).toBe(1); // its curve, on its own subplot
    expect(renderer.node.querySelector('.llm-lab-training-status')!.textContent).toContain('reward margin 0.');
  });

  it('draws a version 1 spec (saved before named series) as its four curves', async () => {
    const v1 = trainingSpecV1(120, 300);
    const renderer = await render(TRAINING_V1_MIME_TYPE, JSON.stringify(v1));
    expect(renderer.node.querySelector('.llm-lab-error')).toBeNull();
    const traces = plotOf(renderer.node).data!;
    expect(traces.map(t => t.name)).toEqual(['train loss', 'val loss', 'learning rate', 'tokens/s']);
    [v1.trainLoss, v1.valLoss, v1.learningRate, v1.throughput].forEach((s, i) => {
      expect(traces[i].x).toEqual(s.step);
      expect(traces[i].y).toEqual(s.value);
    });
    expect(traces.map(t => `${t.xaxis}/${t.yaxis}`)).toEqual(['x/y', 'x/y', 'x2/y2', 'x3/y3']);
    expect(renderer.node.querySelector('.llm-lab-training-status')!.textContent).toContain('step 120/300');
  });

  it('shows untrusted series names as text: in the legend, the axis titles and the status line', async () => {
    const evil = '<b>bold</b> <img src=x onerror=alert(1)>';
    const spec = trainingSpec(30, 100);
    spec.series.push({ name: evil, panel: 'loss (nats/token)', step: [30], value: [2] }, { name: `${evil} 2`, panel: `${evil} panel`, step: [30], value: [3] });
    const renderer = await render(TRAINING_MIME_TYPE, spec);
    const plot = plotOf(renderer.node);
    expect(Array.from(plot.querySelectorAll('.legend .legendtext'), t => t.textContent)).toContain(evil);
    expect(plot.querySelector('.g-y4title')!.textContent).toBe(`${evil} panel`);
    expect(renderer.node.querySelector('.llm-lab-training-status')!.textContent).toContain(`${evil} 2.000`);
    expect(renderer.node.querySelector('img, b')).toBeNull();
    expect(plot.querySelector('tspan[style*="bold"]')).toBeNull(); // plotly did not read <b> as markup
  });

  it('writes the status line: status, progress, elapsed, ETA, throughput, latest losses, backend', async () => {
    const spec = trainingSpec(120, 300);
    const renderer = await render(TRAINING_MIME_TYPE, spec); // ipykernel sends an object
    const header = renderer.node.querySelector('.llm-lab-training-status')!.textContent!;
    expect(header).toContain('running');
    expect(header).toContain('step 120/300');
    expect(header).toContain('elapsed 30s');
    expect(header).toContain('ETA 45s');
    expect(header).toContain('16,384 tokens/s');
    expect(header).toContain(`train loss ${spec.series[0].value[119].toFixed(3)}`);
    expect(header).toContain(`val loss ${spec.series[1].value[5].toFixed(3)}`);
    expect(header).not.toContain('learning rate');
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
    expect(renderer.node.textContent).toContain('step 200/300');
  });

  it('draws only the newest of specs that arrive while drawing', async () => {
    const renderer = createRenderer(TRAINING_MIME_TYPE);
    const draws = [10, 20, 30, 40, 50].map(step => renderer.renderModel(mimeModel(TRAINING_MIME_TYPE, trainingSpec(step, 300))));
    await Promise.all(draws);
    expect(plotOf(renderer.node).data![0].x.length).toBe(50);
    expect(renderer.node.textContent).toContain('step 50/300');
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
    spec.series[0].value[10] = null as unknown as number;
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
    expect(renderer.node.textContent).toContain('step 20/300');
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
