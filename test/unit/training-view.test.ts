/**
 * The training view on the kernel's side (viz/training.ts) and its spec (contract/training.ts):
 * named series on panels, the bundles a run sends, the SVG picture, and what the validator says.
 * No tfjs: specs are built by hand, as a trainer builds them.
 */
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import {
  LEARNING_RATE,
  LOSS_PANEL,
  mimeTypeFor,
  parseSpecData,
  SpecError,
  TOKENS_PER_SEC,
  TRAIN_LOSS,
  TrainingSpec,
  TrainingSpecV1,
  VAL_LOSS,
  validateTrainingSpec
} from '../../kernel-lib/src/contract';
import { LiveDisplay, setDisplaySink } from '../../kernel-lib/src/viz/display';
import { addPoint, dropAfter, lastValue, newTrainingSpec, seriesOf, thinSeries, trainingBundle, trainingSvg, trainingText, VIEW_POINTS } from '../../kernel-lib/src/viz/training';
import { svgOfImgForm } from './img-form';

const evil = '<img src=x onerror=alert(1)>';
const V2 = 'application/vnd.llm-lab.training.v2+json';

/** A run 40 steps into 100: the four standard series, a DPO-like reward margin, two samples. */
function run(): TrainingSpec {
  const spec = newTrainingSpec('DPO on the base model', 100);
  addPoint(spec, VAL_LOSS, 0, 3.1);
  for (let step = 1; step <= 40; step++) {
    addPoint(spec, TRAIN_LOSS, step, 3 - step / 40);
    addPoint(spec, LEARNING_RATE, step, 1e-3 * Math.min(1, step / 10));
    if (step % 10 === 0) {
      addPoint(spec, TOKENS_PER_SEC, step, 12000 + step);
      addPoint(spec, VAL_LOSS, step, 3.1 - step / 50);
      addPoint(spec, 'reward margin', step, step / 80);
      spec.samples.push({ step, text: `sample at ${step}` });
    }
  }
  Object.assign(spec, { step: 40, elapsedSec: 20, etaSec: 30, tokensPerSec: 12040, backend: 'wasm' });
  return spec;
}

function parseSvg(svg: string): Document {
  const doc = new new JSDOM('').window.DOMParser().parseFromString(svg, 'image/svg+xml');
  expect(doc.querySelector('parsererror')).toBeNull();
  return doc;
}

describe('building a training spec', () => {
  it('starts with no series; addPoint creates each on first use, on the standard panel of a standard name or a panel of its own', () => {
    const spec = newTrainingSpec('t', 100);
    expect(spec).toEqual({ kind: 'training', version: 2, title: 't', status: 'running', step: 0, totalSteps: 100, elapsedSec: 0, etaSec: null, tokensPerSec: null, backend: '', series: [], samples: [] });
    addPoint(spec, VAL_LOSS, 0, 4.2);
    addPoint(spec, TRAIN_LOSS, 1, 4.1);
    addPoint(spec, LEARNING_RATE, 1, 1e-3);
    addPoint(spec, TOKENS_PER_SEC, 1, 9000);
    addPoint(spec, 'reward margin', 1, 0.2);
    addPoint(spec, 'chosen reward', 1, 0.5, 'reward');
    addPoint(spec, TRAIN_LOSS, 2, 4.0);
    expect(spec.series.map(s => [s.name, s.panel])).toEqual([
      ['val loss', LOSS_PANEL],
      ['train loss', LOSS_PANEL],
      ['learning rate', 'learning rate'],
      ['tokens/s', 'tokens/s'],
      ['reward margin', 'reward margin'],
      ['chosen reward', 'reward']
    ]);
    expect(LOSS_PANEL).toBe('loss (nats/token)');
    expect(seriesOf(spec, TRAIN_LOSS)).toMatchObject({ step: [1, 2], value: [4.1, 4.0] });
    expect(lastValue(spec, TRAIN_LOSS)).toBe(4.0);
    expect(lastValue(spec, 'kl')).toBeUndefined();
    expect(validateTrainingSpec(spec)).toBe(spec);
  });

  it('addPoint refuses a series without a name, and a second panel for a series, naming both panels', () => {
    const spec = newTrainingSpec('t', 10);
    expect(() => addPoint(spec, '', 1, 1)).toThrow('addPoint: a series needs a name, got ""');
    addPoint(spec, 'kl', 1, 0.1, 'divergence');
    expect(() => addPoint(spec, 'kl', 2, 0.2, 'kl')).toThrow('addPoint: series "kl" is drawn on panel "divergence", not "kl"');
    addPoint(spec, 'kl', 2, 0.2); // no panel: the series' own
    expect(seriesOf(spec, 'kl')).toEqual({ name: 'kl', panel: 'divergence', step: [1, 2], value: [0.1, 0.2] });
  });

  it('dropAfter forgets every point and sample after the step, and keeps the series in their order', () => {
    const spec = run();
    dropAfter(spec, 25);
    expect(spec.series.map(s => s.name)).toEqual([VAL_LOSS, TRAIN_LOSS, LEARNING_RATE, TOKENS_PER_SEC, 'reward margin']);
    expect(seriesOf(spec, VAL_LOSS)!.step).toEqual([0, 10, 20]);
    expect(seriesOf(spec, TRAIN_LOSS)!.step).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(seriesOf(spec, TRAIN_LOSS)!.value).toHaveLength(25);
    expect(seriesOf(spec, 'reward margin')).toMatchObject({ step: [10, 20], value: [10 / 80, 20 / 80] });
    expect(spec.samples.map(s => s.step)).toEqual([10, 20]);
    expect(spec.step).toBe(25);
    dropAfter(spec, 5);
    expect(seriesOf(spec, TOKENS_PER_SEC)).toMatchObject({ step: [], value: [] });
  });
});

describe('the bundles a run sends', () => {
  it('a live update carries the spec (v2) and the text only; the final one adds the SVG picture', () => {
    const spec = run();
    expect(mimeTypeFor('training')).toBe(V2);
    const live = trainingBundle(spec);
    expect(Object.keys(live).sort()).toEqual([V2, 'text/plain']);
    const final = trainingBundle(spec, { final: true });
    expect(Object.keys(final).sort()).toEqual([V2, 'image/svg+xml', 'text/plain']);
    expect(final['image/svg+xml'].startsWith('<svg')).toBe(true);
    expect(validateTrainingSpec(parseSpecData(final[V2]))).toEqual(JSON.parse(live[V2]));
  });

  it('a live display sends the updates without the picture on one display id, and the picture (SVG and its <img> form) with the final one', () => {
    const sent: { update: boolean; id?: string; mimes: string[]; data: Record<string, string> }[] = [];
    setDisplaySink((m, update) => sent.push({ update, id: m.transient.display_id, mimes: Object.keys(m.data).sort(), data: m.data }));
    try {
      const view = new LiveDisplay();
      const spec = run();
      view.show(trainingBundle(spec));
      view.show(trainingBundle(spec));
      view.show(trainingBundle({ ...spec, status: 'done' }, { final: true }));
    } finally {
      setDisplaySink(null);
    }
    expect(sent.map(m => [m.update, m.mimes])).toEqual([
      [false, [V2, 'text/plain']],
      [true, [V2, 'text/plain']],
      [true, [V2, 'image/svg+xml', 'text/html', 'text/plain']]
    ]);
    expect(new Set(sent.map(m => m.id)).size).toBe(1);
    const final = sent[2].data; // its HTML is the <img> of its own picture
    expect(svgOfImgForm(final['text/html'])).toBe(final['image/svg+xml']);
  });

  it('sends at most VIEW_POINTS points per series, first and last kept, however long the run', () => {
    const n = 5000;
    const spec = newTrainingSpec('long', n);
    for (let step = 1; step <= n; step++) addPoint(spec, TRAIN_LOSS, step, 1 / step);
    addPoint(spec, VAL_LOSS, n, 0.5);
    const thin = thinSeries(seriesOf(spec, TRAIN_LOSS)!);
    expect(thin.step).toHaveLength(VIEW_POINTS);
    expect([thin.step[0], thin.step.at(-1)]).toEqual([1, n]);
    thin.step.forEach((s, i) => expect(thin.value[i]).toBe(1 / s)); // pairs stay together
    expect(thin.name).toBe(TRAIN_LOSS);
    const sent = validateTrainingSpec(JSON.parse(trainingBundle(spec)[V2]));
    expect(sent.series.map(s => s.step.length)).toEqual([VIEW_POINTS, 1]);
    expect(seriesOf(spec, TRAIN_LOSS)!.step).toHaveLength(n); // the run keeps every point
  });

  it('text/plain is the status line: title, status, progress, then the latest value of each series but the learning rate and throughput', () => {
    expect(trainingText(run())).toBe(
      'DPO on the base model: running, step 40/100, elapsed 20s, ETA 30s, 12,040 tokens/s, val loss 2.300, train loss 2.000, reward margin 0.500, backend wasm'
    );
    expect(trainingText({ ...run(), status: 'error', message: 'the loss is NaN' })).toMatch(/^DPO on the base model: error, step 40\/100, elapsed 20s, 12,040 tokens\/s, .*\nthe loss is NaN$/);
  });
});

describe('the SVG picture', () => {
  it('draws every panel with its title and one curve per series, and names the series of a shared panel', () => {
    const doc = parseSvg(trainingSvg(run()));
    const texts = Array.from(doc.querySelectorAll('text'), t => t.textContent);
    for (const panel of [LOSS_PANEL, LEARNING_RATE, TOKENS_PER_SEC, 'reward margin']) expect(texts.filter(t => t === panel)).toHaveLength(1);
    expect(texts).toEqual(expect.arrayContaining([TRAIN_LOSS, VAL_LOSS])); // the legend of the loss panel
    const curves = Array.from(doc.querySelectorAll('path'), p => p.getAttribute('stroke'));
    expect(curves).toHaveLength(5);
    expect(new Set(curves).size).toBe(5);
    expect(doc.querySelectorAll('circle')).toHaveLength(5); // the validation points
    expect(texts).toContain('latest sample (step 40):');
  });

  it("puts 'train X' and 'val X' on one panel X, its legend naming them 'train' and 'val'", () => {
    const spec = newTrainingSpec('classifier', 10);
    for (const step of [5, 10]) {
      addPoint(spec, 'train accuracy', step, 0.5);
      addPoint(spec, 'val accuracy', step, 0.4);
    }
    expect(spec.series.map(s => s.panel)).toEqual(['accuracy', 'accuracy']);
    const texts = Array.from(parseSvg(trainingSvg(spec)).querySelectorAll('text'), t => t.textContent);
    expect(texts.filter(t => t === 'accuracy')).toHaveLength(1);
    expect(texts).toEqual(expect.arrayContaining(['train', 'val']));
  });

  it('draws a loss below 0 (an RL objective\'s: minus a reward) inside its panel, with negative ticks', () => {
    const spec = newTrainingSpec('PPO', 20);
    for (const step of [5, 10, 15, 20]) addPoint(spec, VAL_LOSS, step, -0.2 - step / 40);
    const texts = Array.from(parseSvg(trainingSvg(spec)).querySelectorAll('text'), t => t.textContent ?? '');
    const ticks = texts.filter(t => t.trim() !== '').map(t => Number(t.replace('\u2212', '-'))).filter(Number.isFinite);
    expect(Math.min(...ticks)).toBeLessThanOrEqual(-0.7); // the lowest point, -0.7, is on the axis
  });

  it('cuts legend labels that would run into the title of a half-width panel', () => {
    const spec = newTrainingSpec('forgetting', 10);
    addPoint(spec, 'reward', 10, 1); // the first panel spans the width, the next two share a row
    for (const name of ['Moby Dick perplexity', 'State of the Union perplexity']) addPoint(spec, name, 10, 100, 'forgetting');
    addPoint(spec, 'kl', 10, 1);
    const doc = parseSvg(trainingSvg(spec));
    const texts = Array.from(doc.querySelectorAll('text'));
    const title = texts.filter(t => t.textContent === 'forgetting').at(-1)!; // the panel's, after the run's title
    const legend = texts.filter(t => t !== title && t.getAttribute('y') === title.getAttribute('y') && Number(t.getAttribute('x')) < 320); // its title line
    expect(legend.map(t => t.textContent)).toEqual(['State of\u2026', 'Moby Dic\u2026']);
    const titleEnd = Number(title.getAttribute('x')) + title.textContent!.length * 7;
    expect(legend.every(t => Number(t.getAttribute('x')) > titleEnd)).toBe(true);
  });

  it('escapes untrusted series names and sample text, and keeps control characters out of the XML', () => {
    const spec = run();
    addPoint(spec, evil, 40, 1);
    spec.samples.push({ step: 40, text: `${evil}\nbell \u0007 & "quotes"` });
    const svg = trainingBundle(spec, { final: true })['image/svg+xml'];
    expect(svg).not.toContain('<img');
    expect(svg).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const doc = parseSvg(svg);
    expect(doc.querySelector('img')).toBeNull();
    const texts = Array.from(doc.querySelectorAll('text'), t => t.textContent);
    expect(texts.filter(t => t === evil)).toHaveLength(2); // the sample's first line and the panel of that name
    expect(texts).toContain('bell \ufffd & "quotes"');
  });
});

describe('validating a training spec', () => {
  const good = (): Record<string, unknown> => JSON.parse(JSON.stringify(run()));
  const withSeries = (i: number, patch: object) => {
    const spec = good();
    const series = spec.series as object[];
    series[i] = { ...series[i], ...patch };
    return spec;
  };

  it('names what is wrong, with the values', () => {
    const bad = (spec: unknown) => () => validateTrainingSpec(spec);
    expect(bad({ ...good(), kind: 'attention' })).toThrow(SpecError);
    expect(bad({ ...good(), version: 3 })).toThrow('version must be 2 or 1, got 3');
    expect(bad({ ...good(), step: -1 })).toThrow('step must be an integer >= 0, got -1');
    expect(bad({ ...good(), status: 'exploded' })).toThrow('status must be running | done | interrupted | error, got "exploded"');
    expect(bad({ ...good(), series: undefined })).toThrow('series must be an array, got undefined');
    expect(bad(withSeries(4, { step: [10, 20, 30], value: [0.1, 0.2] }))).toThrow('series[4] ("reward margin"): value.length (2) must equal step.length (3)');
    expect(bad(withSeries(2, { name: undefined }))).toThrow('series[2].name must be a non-empty string, got undefined');
    expect(bad(withSeries(4, { name: TRAIN_LOSS }))).toThrow('series[1] and series[4] are both named "train loss": names must be unique');
    expect(bad(withSeries(3, { panel: '' }))).toThrow('series[3] ("tokens/s").panel must be a non-empty string, got ""');
    expect(bad(withSeries(0, { step: [0, null, 20, 30, 40] }))).toThrow('series[0] ("val loss").step[1] must be a finite number, got null');
    expect(bad(withSeries(0, { value: [3, 'x', 2, 2, 2] }))).toThrow('series[0] ("val loss").value[1] must be a finite number, got "x"');
  });

  it('accepts null values (a NaN the kernel sent as JSON)', () => {
    expect(validateTrainingSpec(withSeries(1, { value: [null, ...(seriesOf(run(), TRAIN_LOSS)!.value.slice(1))] })).series[1].value[0]).toBeNull();
  });

  it('reads a version 1 spec as version 2: its four series under the standard names, on their panels', () => {
    const series = (n: number) => ({ step: Array.from({ length: n }, (_, i) => i + 1), value: Array.from({ length: n }, (_, i) => 2 - i / 10) });
    const v1: TrainingSpecV1 = {
      kind: 'training', version: 1, title: 'saved run', status: 'done', step: 3, totalSteps: 3, elapsedSec: 1, etaSec: 0, tokensPerSec: 100, backend: 'cpu',
      trainLoss: series(3), valLoss: series(1), learningRate: series(3), throughput: { step: [], value: [] }, samples: [{ step: 3, text: 'hi' }]
    };
    const spec = validateTrainingSpec(JSON.parse(JSON.stringify(v1)));
    expect(spec.version).toBe(2);
    expect(spec.series).toEqual([
      { name: TRAIN_LOSS, panel: LOSS_PANEL, ...v1.trainLoss },
      { name: VAL_LOSS, panel: LOSS_PANEL, ...v1.valLoss },
      { name: LEARNING_RATE, panel: LEARNING_RATE, ...v1.learningRate },
      { name: TOKENS_PER_SEC, panel: TOKENS_PER_SEC, ...v1.throughput }
    ]);
    expect(spec).toMatchObject({ title: 'saved run', status: 'done', step: 3, backend: 'cpu', samples: v1.samples });
    expect(() => validateTrainingSpec({ ...v1, valLoss: { step: [1, 2], value: [1] } })).toThrow('valLoss.value must have length 2, got 1');
  });
});
