/**
 * The PEFT and quantization views on the kernel's side: the spec builders (defaults, thinning),
 * what each method's diagram marks trainable, frozen, quantized or added, the arithmetic the views
 * show (bins, rounding, outliers) against naive references, and the validators' messages.
 */
import { JSDOM } from 'jsdom';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clusterLabels,
  formatBytes,
  histogramBins,
  histogramSummary,
  int8Explanation,
  nearestLevel,
  outlierChannels,
  PeftMethod,
  peftLayout,
  SpecError,
  trainableSummary,
  tradeoffSeries,
  validatePeftDiagramSpec,
  ViewSizeError
} from '../../kernel-lib/src/contract';
import { setDisplaySink } from '../../kernel-lib/src/viz/display';
import { peftDiagramBundle, peftDiagramSpec, showPeftDiagrams } from '../../kernel-lib/src/viz/peftDiagram';
import {
  quantErrorBundle,
  quantErrorSpec,
  quantHistogramBundle,
  quantHistogramSpec,
  quantOutliersBundle,
  quantOutliersSpec,
  quantTradeoffBundle,
  quantTradeoffSpec,
  showQuantOutliers
} from '../../kernel-lib/src/viz/quantViews';

afterEach(() => setDisplaySink(null));

const roles = (method: PeftMethod, extra = {}) => {
  const parts = peftLayout(peftDiagramSpec({ method, ...extra }).panels[0]).parts;
  const of = (role: string) => parts.filter(p => p.role === role).map(p => p.id).sort();
  return { trainable: of('trainable'), added: of('added'), quantized: of('quantized'), frozen: of('frozen') };
};
const LINEARS = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'];
const BIASES = [...LINEARS, 'ln_1', 'ln_2', 'ln_f'].map(p => `${p}.bias`).sort();
const WEIGHTS = [...LINEARS, 'ln_1', 'ln_2', 'ln_f', 'head', 'wte', 'wpe'].sort();
const ALL = [...WEIGHTS, ...BIASES].sort();

describe('PEFT diagram: what each method trains', () => {
  it('full fine-tuning: every weight and bias trains, nothing is added', () => {
    expect(roles('full')).toEqual({ trainable: ALL, added: [], quantized: [], frozen: [] });
  });

  it('head only: the head trains, the rest is frozen', () => {
    expect(roles('head')).toEqual({ trainable: ['head'], added: [], quantized: [], frozen: ALL.filter(p => p !== 'head') });
  });

  it('BitFit: exactly the biases (of the linears and the LayerNorms) train', () => {
    expect(roles('bitfit')).toEqual({ trainable: BIASES, added: [], quantized: [], frozen: WEIGHTS });
  });

  it('LoRA on c_attn by default: A and B beside c_attn are added, every base weight is frozen', () => {
    expect(roles('lora')).toEqual({ trainable: [], added: ['attn.c_attn.lora_A', 'attn.c_attn.lora_B'], quantized: [], frozen: ALL });
  });

  it('LoRA target "c_proj" matches both c_proj layers, as PEFT target_modules do; A and B are labelled in x r and r x out', () => {
    const parts = peftLayout(peftDiagramSpec({ method: 'lora', targets: ['c_proj', 'c_fc'], rank: 4, alpha: 8, dModel: 64 }).panels[0]).parts;
    const lora = parts.filter(p => p.role === 'added').map(p => `${p.id} ${p.sub}`);
    expect(lora).toEqual(['attn.c_proj.lora_A 64\u00d74', 'attn.c_proj.lora_B 4\u00d764', 'mlp.c_fc.lora_A 64\u00d74', 'mlp.c_fc.lora_B 4\u00d7256', 'mlp.c_proj.lora_A 256\u00d74', 'mlp.c_proj.lora_B 4\u00d764']);
    expect(parts.find(p => p.id === 'mlp.c_fc.lora_B')!.title).toContain('adds (\u03b1/r) B A x = 2 B A x');
  });

  it('QLoRA: every linear weight of the block is quantized (NF4), their biases frozen, LoRA added on the targets', () => {
    const r = roles('qlora');
    expect(r.quantized).toEqual(LINEARS.slice().sort());
    expect(r.added).toEqual(['attn.c_attn.lora_A', 'attn.c_attn.lora_B']);
    expect(r.trainable).toEqual([]);
    const c = peftLayout(peftDiagramSpec({ method: 'qlora' }).panels[0]).parts.find(p => p.id === 'attn.c_attn')!;
    expect(c.sub).toBe('NF4 \u00b7 x \u2192 q, k, v');
  });

  it('Houlsby adapters: one after attention and one after the MLP are added, the LayerNorms train', () => {
    const r = roles('adapter', { bottleneck: 32 });
    expect(r.added).toEqual(['attn.c_proj.adapter', 'mlp.c_proj.adapter']);
    expect(r.trainable).toEqual(['ln_1', 'ln_1.bias', 'ln_2', 'ln_2.bias', 'ln_f', 'ln_f.bias']);
    expect(peftLayout(peftDiagramSpec({ method: 'adapter', bottleneck: 32 }).panels[0]).parts.find(p => p.id === 'mlp.c_proj.adapter')!.sub).toBe('768\u219232\u2192768');
  });

  it('prefix, prompt and IA3 add only their vectors and freeze the whole model', () => {
    expect(roles('prefix')).toEqual({ trainable: [], added: ['attention.prefix'], quantized: [], frozen: ALL });
    expect(roles('prompt')).toEqual({ trainable: [], added: ['soft_prompt'], quantized: [], frozen: ALL });
    expect(roles('ia3')).toEqual({ trainable: [], added: ['attn.ia3', 'mlp.ia3'], quantized: [], frozen: ALL });
  });

  it('no two parts of a diagram overlap, and every part lies inside the panel', () => {
    for (const method of ['full', 'lora', 'qlora', 'adapter', 'prefix', 'prompt', 'ia3'] as PeftMethod[]) {
      const layout = peftLayout(peftDiagramSpec({ method, targets: method.includes('lora') ? ['c_attn', 'c_proj', 'c_fc'] : undefined }).panels[0]);
      const ps = layout.parts;
      for (const p of ps) expect(p.x >= 0 && p.y >= 0 && p.x + p.w <= layout.width && p.y + p.h <= layout.height, `${method} ${p.id}`).toBe(true);
      for (let i = 0; i < ps.length; i++)
        for (let j = i + 1; j < ps.length; j++) {
          const [a, b] = [ps[i], ps[j]];
          const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
          expect(apart, `${method}: ${a.id} overlaps ${b.id}`).toBe(true);
        }
    }
  });
});

describe('PEFT diagram spec', () => {
  it('fills each method default sizes (LoRA: c_attn, r 8, alpha 16; d 768) and keeps the counts', () => {
    const spec = peftDiagramSpec([{ method: 'full' }, { method: 'lora', trainableParams: 294_912, totalParams: 124_734_720 }]);
    expect(spec.title).toBe('What trains: Full fine-tuning vs LoRA');
    expect(spec.panels).toEqual([
      { method: 'full', dModel: 768 },
      { method: 'lora', targets: ['c_attn'], rank: 8, alpha: 16, dModel: 768, trainableParams: 294_912, totalParams: 124_734_720 }
    ]);
    expect(trainableSummary(spec.panels[1])).toBe('294,912 of 124,734,720 parameters train (0.24%)');
  });

  const bad: [string, unknown, string][] = [
    ['an unknown method', { method: 'dora' }, 'panels[0].method must be one of full, head, bitfit, lora, qlora, adapter, prefix, prompt, ia3, got "dora"'],
    ['a target that names no linear', { method: 'lora', targets: ['q_proj'] }, 'panels[0].targets[0] ("q_proj") names no Linear of the block; they are attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj (or their last names: c_attn, c_proj, c_fc)'],
    ['targets on BitFit', { method: 'bitfit', targets: ['c_fc'] }, 'panels[0].targets (["c_fc"]) applies to lora and qlora, not to bitfit'],
    ['a rank above d', { method: 'lora', rank: 1024 }, 'panels[0].rank (1024) must be at most dModel (768): a low-rank update has r < d'],
    ['a rank of 0', { method: 'qlora', rank: 0 }, 'panels[0].rank must be an integer >= 1, got 0'],
    ['alpha 0', { method: 'lora', alpha: 0 }, 'panels[0].alpha must be a number > 0, got 0'],
    ['a bottleneck as wide as d', { method: 'adapter', bottleneck: 768 }, 'panels[0].bottleneck (768) must be smaller than dModel (768): the adapter projects d down to m'],
    ['more trainable than total parameters', { method: 'head', trainableParams: 10, totalParams: 5 }, 'panels[0].trainableParams (10) must be at most totalParams (5)'],
    ['a fractional prefix length', { method: 'prefix', prefixLength: 2.5 }, 'panels[0].prefixLength must be an integer >= 1, got 2.5']
  ];
  for (const [what, input, message] of bad) {
    it(`${what}: a SpecError naming the field and value`, () => {
      expect(() => peftDiagramSpec(input as never)).toThrow(new SpecError(message));
    });
  }

  it('more than 6 diagrams at once are refused, and a hand-made spec missing a method size names it', () => {
    expect(() => peftDiagramSpec(Array.from({ length: 7 }, () => ({ method: 'full' as const })))).toThrow('panels has 7 diagrams, more than the 6 that fit side by side: show fewer methods at once');
    expect(() => validatePeftDiagramSpec({ kind: 'peft-diagram', version: 1, title: 't', panels: [{ method: 'adapter', dModel: 768 }] })).toThrow('panels[0].bottleneck must be a finite number, got undefined');
  });

  it('the bundle carries the spec under its MIME type, an SVG with every panel heading (escaped), and a text listing what trains', () => {
    const bundle = peftDiagramBundle(peftDiagramSpec([{ method: 'bitfit' }, { method: 'qlora', rank: 16, alpha: 32 }], { title: 'A <b>&</b> B' }));
    expect(Object.keys(bundle)).toEqual(['application/vnd.llm-lab.peft-diagram.v1+json', 'image/svg+xml', 'text/plain']);
    const doc = new JSDOM(bundle['image/svg+xml'], { contentType: 'image/svg+xml' }).window.document;
    expect(doc.querySelector('parsererror')).toBeNull();
    const texts = Array.from(doc.querySelectorAll('text')).map(t => t.textContent);
    expect(texts).toEqual(expect.arrayContaining(['A <b>&</b> B', 'BitFit', 'only the biases train', 'QLoRA', 'r = 16, \u03b1 = 32 (scale 2) on c_attn', 'quantized (4-bit, frozen)']));
    expect(bundle['text/plain'].split('\n')).toEqual([
      'A <b>&</b> B',
      'BitFit \u00b7 only the biases train',
      '  trainable: ln_f.bias, ln_2.bias, ln_1.bias, attn.c_attn.bias, attn.c_proj.bias, mlp.c_fc.bias, mlp.c_proj.bias',
      'QLoRA \u00b7 W stored in 4-bit NF4, frozen; LoRA A and B train \u00b7 r = 16, \u03b1 = 32 (scale 2) on c_attn',
      '  quantized (4-bit, frozen): attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj',
      '  added (trainable): attn.c_attn.lora_A, attn.c_attn.lora_B'
    ]);
  });

  it('showPeftDiagrams sends one bundle with both panels', () => {
    const sent: Record<string, string>[] = [];
    setDisplaySink(m => sent.push(m.data));
    showPeftDiagrams([{ method: 'prefix' }, { method: 'prompt' }]);
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]['application/vnd.llm-lab.peft-diagram.v1+json']).panels.map((p: { method: string }) => p.method)).toEqual(['prefix', 'prompt']);
  });
});

describe('quantization views: the arithmetic they show', () => {
  const levels = [-1, -0.5, 0, 0.25, 1];
  it('nearestLevel rounds to the closest level, as a scan of every level does', () => {
    const naive = (x: number) => levels.reduce((best, l) => (Math.abs(x - l) < Math.abs(x - best) ? l : best), levels[0]);
    for (let x = -1.3; x <= 1.3; x += 0.01) expect(nearestLevel(levels, x)).toBe(naive(x));
  });

  it('histogramBins counts each value in its bin, the top edge in the last bin, as a naive count does', () => {
    const values = [-1, -0.99, -0.2, 0, 0.1, 0.5, 0.99, 1];
    expect(histogramBins(values, -1, 1, 4)).toEqual([2, 1, 2, 3]);
  });

  it('the histogram spec keeps every k-th of 50,000 weights (k = 3), sorts the levels, and reports the mean rounding error', () => {
    const values = Float32Array.from({ length: 50_000 }, (_, i) => Math.sin(i) * 0.1);
    const spec = quantHistogramSpec({ name: 'h.0.mlp.c_fc', values, levels: [0.1, -0.1, 0], method: 'int2', bits: 2 });
    expect(spec.values).toHaveLength(16_667);
    expect(spec.values[1]).toBeCloseTo(Math.sin(3) * 0.1, 6);
    expect(spec.totalValues).toBe(50_000);
    expect(spec.levels).toEqual([-0.1, 0, 0.1]);
    const mean = spec.values.reduce((s, x) => s + Math.min(...spec.levels.map(l => Math.abs(x - l))), 0) / spec.values.length;
    expect(histogramSummary(spec)).toBe(`3 levels (2 bits, int2) \u00b7 mean |w \u2212 q(w)| ${mean.toPrecision(2)} \u00b7 16,667 of 50,000 weights shown (1 in 3)`);
    expect(Object.keys(quantHistogramBundle(spec))[0]).toBe('application/vnd.llm-lab.quant-histogram.v1+json');
  });

  it('outlierChannels: the median of an even count is the mean of the middle two; channels over k x median are flagged', () => {
    const absMax = [0.1, 0.2, 3, 0.3, 0.15, 0.25, 0.9, 0.12];
    // sorted: .1 .12 .15 .2 .25 .3 .9 3 -> median (.2 + .25) / 2 = .225, 3 x .225 = .675
    expect(outlierChannels(absMax, 3)).toEqual({ median: 0.225, threshold: 0.675, flagged: [2, 6] });
    expect(int8Explanation(absMax, 0.225)).toContain('absmax / 127 = 3.00 / 127 = 0.0236: a typical channel (|x| up to the median, 0.225) gets only \u00b110 of the \u00b1127 levels');
  });

  it('trade-off series keep their first-seen order and sort their points by x', () => {
    const points = [
      { series: 'fine-tuned', label: 'fp32', bitsPerWeight: 32, bytes: 4e6, metric: 20 },
      { series: 'base', label: 'nf4', bitsPerWeight: 4.5, bytes: 6e5, metric: 31 },
      { series: 'fine-tuned', label: 'int8', bitsPerWeight: 8, bytes: 1e6, metric: 21 }
    ];
    expect(tradeoffSeries(points, 'bytes').map(s => [s.series, s.points.map(p => p.label)])).toEqual([['fine-tuned', ['int8', 'fp32']], ['base', ['nf4']]]);
    expect([formatBytes(124_439_808), formatBytes(1_500), formatBytes(999), formatBytes(70_000_000)]).toEqual(['124 MB', '1.5 kB', '999 B', '70 MB']);
  });
});

describe('quantization views: bad input names the value', () => {
  const cases: [string, () => unknown, string][] = [
    ['levels that repeat', () => quantHistogramSpec({ name: 'w', values: [0], levels: [0, 0.5, 0.5], method: 'x', bits: 2 }), 'levels must increase, got levels[1] = 0.5 then levels[2] = 0.5'],
    ['more levels than the bits name', () => quantHistogramSpec({ name: 'w', values: [0], levels: Array.from({ length: 17 }, (_, i) => i), method: 'nf4', bits: 4 }), 'levels has 17 values, more than the 2^4 = 16 that 4 bits can name'],
    ['a weight that is NaN', () => quantHistogramSpec({ name: 'w', values: [0, NaN], levels: [0, 1], method: 'x', bits: 1 }), 'values[1] must be a finite number, got null'],
    ['a negative error', () => quantErrorSpec({ layers: [{ name: 'a', method: 'int8', relError: -0.1 }] }), 'layers[0].relError must be a number >= 0, got -0.1'],
    ['a (layer, method) twice', () => quantErrorSpec({ layers: [{ name: 'a', method: 'int8', relError: 0.1 }, { name: 'b', method: 'int8', relError: 0.1 }, { name: 'a', method: 'int8', relError: 0.2 }] }), 'layers[2] repeats layer "a" with method "int8" (first at layers[0])'],
    ['a negative absmax', () => quantOutliersSpec({ name: 'x', channelAbsMax: [1, -2] }), 'channelAbsMax[1] must be a number >= 0 (an absolute maximum), got -2'],
    ['k below 1', () => quantOutliersSpec({ name: 'x', channelAbsMax: [1, 2], k: 0.5 }), 'k must be a number >= 1 (how many times the median makes an outlier), got 0.5'],
    ['zero bytes', () => quantTradeoffSpec({ points: [{ series: 's', label: 'l', bitsPerWeight: 4, bytes: 0, metric: 1 }], metricName: 'perplexity', lowerIsBetter: true }), 'points[0].bytes must be a number > 0, got 0']
  ];
  for (const [what, build, message] of cases) {
    it(`${what}: ${message}`, () => {
      expect(build).toThrow(new SpecError(message));
    });
  }

  it('more channels than a browser draws comfortably are refused with the sizes', () => {
    expect(() => quantOutliersSpec({ name: 'x', channelAbsMax: new Float32Array(20_000) })).toThrow(new ViewSizeError('the outlier view has 20,000 channels, more than 16,384 a browser draws comfortably: show one layer at a time'));
  });
});

describe('quantization views: fallbacks', () => {
  const evil = '<img src=x onerror=alert(1)>';
  it('every SVG is well-formed with markup in names, and shows the names as text', () => {
    const bundles = [
      quantHistogramBundle(quantHistogramSpec({ name: evil, values: [0.1, -0.2, 0.3], levels: [-0.3, 0, 0.3], method: evil, bits: 2 })),
      quantErrorBundle(quantErrorSpec({ layers: [{ name: evil, method: 'nf4', relError: 0.02 }, { name: evil, method: 'int8', relError: 0.004, maxAbsError: 0.01 }] })),
      quantOutliersBundle(quantOutliersSpec({ name: evil, channelAbsMax: [0.1, 0.1, 2] })),
      quantTradeoffBundle(quantTradeoffSpec({ points: [{ series: evil, label: evil, bitsPerWeight: 4, bytes: 1e6, metric: 3 }], metricName: 'perplexity', lowerIsBetter: true }))
    ];
    for (const b of bundles) {
      const doc = new JSDOM(b['image/svg+xml'], { contentType: 'image/svg+xml' }).window.document;
      expect(doc.querySelector('parsererror')).toBeNull();
      expect(doc.querySelector('img')).toBeNull();
      expect(Array.from(doc.querySelectorAll('text')).some(t => t.textContent!.includes(evil))).toBe(true);
    }
  });

  it('the outlier text names the flagged channels and why they hurt per-tensor int8', () => {
    const sent: Record<string, string>[] = [];
    setDisplaySink(m => sent.push(m.data));
    showQuantOutliers({ name: 'h.3.mlp.c_fc input', channelAbsMax: [0.1, 0.12, 0.1, 2.54, 0.11] });
    expect(sent[0]['text/plain'].split('\n').slice(0, 3)).toEqual(['h.3.mlp.c_fc input: largest |x| per channel', '1 of 5 channels over 6 \u00d7 the median (0.110)', 'outlier channels: 3 (2.54)']);
    // the step is 2.54 / 127 = 0.02; the median 0.11 is 5.5 steps, so \u00b16 levels
    expect(sent[0]['text/plain']).toContain('gets only \u00b16 of the \u00b1127 levels');
  });
});

describe('trade-off labels', () => {
  it('points drawn within a few pixels of each other share one label; the others keep their own', () => {
    const labels = clusterLabels([
      { x: 100, y: 50, label: 'int8' },
      { x: 103, y: 51, label: 'int8-channel' },
      { x: 102, y: 49, label: 'int8-zeropoint' },
      { x: 40, y: 60, label: 'nf4' },
      { x: 200, y: 120, label: 'float32' }
    ]);
    expect(labels).toEqual([
      { x: 100, y: 50, text: 'int8, int8-channel, int8-zeropoint' },
      { x: 40, y: 60, text: 'nf4' },
      { x: 200, y: 120, text: 'float32' }
    ]);
  });
});
