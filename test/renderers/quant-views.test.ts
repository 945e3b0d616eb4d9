import './setup';
import { afterEach, describe, expect, it } from 'vitest';
import { QUANT_ERROR_MIME_TYPE, QUANT_HISTOGRAM_MIME_TYPE, QUANT_OUTLIERS_MIME_TYPE, QUANT_TRADEOFF_MIME_TYPE } from '../../extension/src/mime';
import { BINS } from '../../extension/src/renderers/quant-histogram';
import { quantErrorSpec, quantHistogramSpec, quantOutliersSpec, quantTradeoffSpec } from '../../kernel-lib/src/viz/quantViews';
import { render } from './render';

afterEach(() => {
  document.body.replaceChildren();
});

const evil = '<img src=x onerror=alert(1)>';
const shown = async (mime: string, data: unknown) => (await render(mime, data)).node;
const texts = (root: Element, selector: string) => Array.from(root.querySelectorAll(selector)).map(e => e.textContent);
const hover = (root: Element, node: Element) => {
  node.dispatchEvent(new MouseEvent('mouseenter'));
  return root.querySelector('.llm-lab-attention-readout')!.textContent;
};

describe('weight histogram with the quantization grid', () => {
  // 16 NF4 levels times an absmax of 0.5, and 1,000 weights spread over [-0.5, 0.5]
  const nf4 = [-1, -0.6962, -0.5251, -0.3949, -0.2844, -0.1848, -0.0911, 0, 0.0796, 0.1609, 0.2461, 0.3379, 0.4407, 0.5626, 0.723, 1];
  const values = Array.from({ length: 1000 }, (_, i) => -0.5 + i / 999);
  const spec = quantHistogramSpec({ name: 'h.0.attn.c_attn', values, levels: nf4.map(l => l * 0.5), method: 'nf4', bits: 4 });

  it('draws a vertical line at each of the 16 levels, and bars that count every weight', async () => {
    const root = await shown(QUANT_HISTOGRAM_MIME_TYPE, spec);
    const lines = Array.from(root.querySelectorAll('.llm-lab-q-level'));
    expect(lines).toHaveLength(16);
    expect(lines.map(l => l.querySelector('title')!.textContent)[0]).toBe('level 1 of 16: -0.5000');
    const bars = Array.from(root.querySelectorAll('.llm-lab-q-bar'));
    expect(bars).toHaveLength(BINS);
    expect(bars.reduce((s, b) => s + Number(b.querySelector('title')!.textContent!.split(' ')[0]), 0)).toBe(1000);
    expect(root.querySelector('.llm-lab-q-summary')!.textContent).toMatch(/^16 levels \(4 bits, nf4\) · mean \|w − q\(w\)\| 0\.0\d+ · 1,000 weights$/);
    expect(texts(root, '.llm-lab-q-legend-label')).toEqual(['weights per bin', 'the 16 levels of nf4 (4 bits)']);
  });

  it('pointing at a bar reads its count, its range and the level its weights are stored as', async () => {
    const root = await shown(QUANT_HISTOGRAM_MIME_TYPE, spec);
    expect(hover(root, root.querySelectorAll('.llm-lab-q-bar')[0])).toBe('13 weights in [-0.500, -0.487), stored as -0.500 (the nearest level)');
  });

  it('an int8 grid of 255 levels is drawn faint, and names stay text', async () => {
    const int8 = Array.from({ length: 255 }, (_, i) => (i - 127) / 127);
    const root = await shown(QUANT_HISTOGRAM_MIME_TYPE, quantHistogramSpec({ name: evil, values, levels: int8, method: evil, bits: 8 }));
    expect(root.querySelectorAll('.llm-lab-q-level-dense')).toHaveLength(255);
    expect(root.querySelector('img')).toBeNull();
    expect(root.querySelector('.llm-lab-title')!.textContent).toBe(`${evil}: weights and the ${evil} grid`);
  });
});

describe('error per layer', () => {
  const layers = ['h.0.attn.c_attn', 'h.0.mlp.c_fc', evil].flatMap((name, i) => [
    { name, method: 'int8', relError: 0.004 * (i + 1) },
    { name, method: 'nf4', relError: 0.09 * (i + 1), maxAbsError: 0.0123 }
  ]);

  it('draws a group per layer with one bar per method, colours in the legend, lengths in proportion', async () => {
    const root = await shown(QUANT_ERROR_MIME_TYPE, quantErrorSpec({ layers }));
    expect(texts(root, '.llm-lab-q-layer')).toEqual(['h.0.attn.c_attn', 'h.0.mlp.c_fc', evil]);
    expect(texts(root, '.llm-lab-q-legend-label')).toEqual(['int8', 'nf4']);
    const bars = Array.from(root.querySelectorAll('.llm-lab-q-error-bar'));
    expect(bars.map(b => b.getAttribute('data-method'))).toEqual(['int8', 'nf4', 'int8', 'nf4', 'int8', 'nf4']);
    const width = (i: number) => Number(bars[i].getAttribute('width'));
    expect(width(3) / width(1)).toBeCloseTo(2, 6); // nf4: 0.18 vs 0.09
    expect(width(1) / width(0)).toBeCloseTo(0.09 / 0.004, 6);
    expect(texts(root, '.llm-lab-q-value').slice(0, 2)).toEqual(['0.40%', '9.0%']);
    expect(root.querySelector('img')).toBeNull();
  });

  it('pointing at a bar reads the layer, the method, the relative and the largest error', async () => {
    const root = await shown(QUANT_ERROR_MIME_TYPE, quantErrorSpec({ layers }));
    expect(hover(root, root.querySelectorAll('.llm-lab-q-error-bar')[1])).toBe('h.0.attn.c_attn, nf4: relative error 9.0%, max |error| 0.0123');
  });
});

describe('outlier channels', () => {
  // 64 channels near 0.1, three far above: 6 x the median flags them
  const channelAbsMax = Array.from({ length: 64 }, (_, i) => 0.1 + (i % 5) * 0.01);
  channelAbsMax[7] = 2.0;
  channelAbsMax[30] = 0.9;
  channelAbsMax[51] = 3.5;

  it('flags the channels over k x the median, counts them and lists them', async () => {
    const root = await shown(QUANT_OUTLIERS_MIME_TYPE, quantOutliersSpec({ name: 'h.2.mlp.c_fc input', channelAbsMax }));
    expect(root.querySelectorAll('.llm-lab-q-channel')).toHaveLength(64);
    expect(Array.from(root.querySelectorAll('.llm-lab-q-outlier')).map(b => b.getAttribute('data-channel'))).toEqual(['7', '30', '51']);
    expect(root.querySelector('.llm-lab-q-summary')!.textContent).toBe('3 of 64 channels over 6 \u00d7 the median (0.120)');
    expect(root.querySelector('.llm-lab-q-outlier-list')!.textContent).toBe('outlier channels: 7 (2.00), 30 (0.900), 51 (3.50)');
    expect(root.querySelector('.llm-lab-q-threshold-label')!.textContent).toBe('6 \u00d7 median = 0.720');
  });

  it('explains under the view and on an outlier why it hurts per-tensor int8, in this layer numbers', async () => {
    const root = await shown(QUANT_OUTLIERS_MIME_TYPE, quantOutliersSpec({ name: 'x', channelAbsMax }));
    // step 3.5 / 127 = 0.0276; the median 0.12 is 4.35 steps: +-4 levels
    const why = root.querySelector('.llm-lab-q-why')!.textContent!;
    expect(why).toContain('absmax / 127 = 3.50 / 127 = 0.0276: a typical channel (|x| up to the median, 0.120) gets only \u00b14 of the \u00b1127 levels');
    expect(hover(root, root.querySelector('[data-channel="51"]')!)).toBe(`channel 51: max |x| 3.50 = 29.2 \u00d7 median \u2014 an outlier. ${why}`);
    expect(hover(root, root.querySelector('[data-channel="0"]')!)).toBe('channel 0: max |x| 0.100 = 0.8 \u00d7 median');
  });

  it('no outliers: no list, the summary says 0', async () => {
    const root = await shown(QUANT_OUTLIERS_MIME_TYPE, quantOutliersSpec({ name: 'x', channelAbsMax: [1, 1.2, 0.9], k: 3 }));
    expect(root.querySelector('.llm-lab-q-outlier-list')).toBeNull();
    expect(root.querySelector('.llm-lab-q-summary')!.textContent).toBe('0 of 3 channels over 3 \u00d7 the median (1.00)');
  });
});

describe('trade-off curve', () => {
  const formats = [['fp32', 32, 30], ['int8', 8, 30.3], ['nf4', 4.13, 31.5]] as const;
  const points = ['base model', 'fine-tuned'].flatMap((series, s) => formats.map(([label, bits, ppl]) => ({ series, label, bitsPerWeight: bits, bytes: (124e6 * bits) / 8, metric: ppl - 4 * s })));

  it('draws a line per model in two panels, bits per weight and bytes, with every point labelled', async () => {
    const root = await shown(QUANT_TRADEOFF_MIME_TYPE, quantTradeoffSpec({ points, metricName: 'perplexity', lowerIsBetter: true }));
    expect(Array.from(root.querySelectorAll('.llm-lab-q-panel')).map(p => p.getAttribute('data-axis'))).toEqual(['bitsPerWeight', 'bytes']);
    expect(root.querySelectorAll('.llm-lab-q-series')).toHaveLength(4);
    expect(root.querySelectorAll('.llm-lab-q-point')).toHaveLength(12);
    expect(texts(root, '.llm-lab-q-legend-label')).toEqual(['base model', 'fine-tuned']);
    expect(texts(root, '.llm-lab-q-metric')).toEqual(['perplexity \u2193 lower is better', 'perplexity \u2193 lower is better']);
    expect(texts(root, '.llm-lab-q-axis-title:not(.llm-lab-q-metric)')).toEqual(['bits per weight', 'model size (MB)']);
    // the same point sits at the same height in both panels; the axis grows upwards, so a lower perplexity sits lower
    const cy = (axis: string, i: number) => Number(root.querySelectorAll(`[data-axis="${axis}"] .llm-lab-q-point`)[i].getAttribute('cy'));
    expect(cy('bitsPerWeight', 0)).toBe(cy('bytes', 0));
    expect(cy('bitsPerWeight', 3)).toBeGreaterThan(cy('bitsPerWeight', 0));
  });

  it('pointing at a point reads its format, model, bits, bytes and metric', async () => {
    const root = await shown(QUANT_TRADEOFF_MIME_TYPE, quantTradeoffSpec({ points, metricName: 'perplexity', lowerIsBetter: true }));
    // sorted by bits: nf4 first
    expect(hover(root, root.querySelector('.llm-lab-q-point')!)).toBe('nf4 (base model): 4.13 bits/weight, 64 MB, perplexity 31.5');
  });

  it('an accuracy, higher is better, says so', async () => {
    const root = await shown(QUANT_TRADEOFF_MIME_TYPE, quantTradeoffSpec({ points, metricName: 'accuracy', lowerIsBetter: false }));
    expect(texts(root, '.llm-lab-q-metric')[0]).toBe('accuracy \u2191 higher is better');
  });
});

describe('quantization views: malformed specs', () => {
  const hist = quantHistogramSpec({ name: 'w', values: [0, 1], levels: [0, 1], method: 'int1', bits: 1 });
  const cases: [string, string, unknown, string][] = [
    ['levels out of order', QUANT_HISTOGRAM_MIME_TYPE, { ...hist, levels: [1, 0] }, 'levels must increase, got levels[0] = 1 then levels[1] = 0'],
    ['a layer without a method', QUANT_ERROR_MIME_TYPE, { kind: 'quant-error', version: 1, title: 't', layers: [{ name: 'a', relError: 0.1 }] }, 'layers[0].method must be a non-empty string, got undefined'],
    ['no channels', QUANT_OUTLIERS_MIME_TYPE, { kind: 'quant-outliers', version: 1, title: 't', name: 'x', channelAbsMax: [], k: 6 }, 'channelAbsMax must be a non-empty array, got []'],
    ['a metric that is not a number', QUANT_TRADEOFF_MIME_TYPE, { kind: 'quant-tradeoff', version: 1, title: 't', metricName: 'ppl', lowerIsBetter: true, points: [{ series: 's', label: 'l', bitsPerWeight: 4, bytes: 1, metric: 'x' }] }, 'points[0].metric must be a finite number, got "x"']
  ];
  for (const [what, mime, data, message] of cases) {
    it(`${what}: an error box naming the field`, async () => {
      const root = await shown(mime, data);
      expect(root.querySelector('.llm-lab-error-detail')!.textContent).toBe(message);
      expect(root.querySelector('svg')).toBeNull();
    });
  }
});
