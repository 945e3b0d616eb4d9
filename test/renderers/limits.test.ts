import './setup';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTENTION_MIME_TYPE, ATTENTION_TRAINING_MIME_TYPE, HEAD_VIEW_MIME_TYPE, MODEL_VIEW_MIME_TYPE, NEURON_VIEW_MIME_TYPE, TRAINING_MIME_TYPE, TRAINING_V1_MIME_TYPE } from '../../extension/src/mime';
import { VIEW_LIMITS } from '../../kernel-lib/src/contract/limits';
import { validateNeuronViewSpec } from '../../kernel-lib/src/contract/spec';
import { render } from './render';

afterEach(() => {
  document.body.replaceChildren();
});

// Big specs are built lazily: every array has its real length, but all rows are one shared row,
// so a spec of millions of weights costs the test the memory of a few rows.
const tokensOf = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
const rowOf = (n: number, value: number) => new Array<number>(n).fill(value);
function sharedWeights(nLayers: number, nHeads: number, queries: number, keys = queries): number[][][][] {
  const grid = new Array<number[]>(queries).fill(rowOf(keys, 1 / keys));
  return new Array<number[][][]>(nLayers).fill(new Array<number[][]>(nHeads).fill(grid));
}

const attention = (n: number, nLayers: number, nHeads: number) => ({ kind: 'attention', version: 1, title: 'big', tokens: tokensOf(n), nLayers, nHeads, weights: sharedWeights(nLayers, nHeads, n), causal: false, layer: 0, head: 0 });
const headView = (n: number, nLayers: number, nHeads: number) => ({ kind: 'head-view', version: 1, title: 'big', tokens: tokensOf(n), nLayers, nHeads, weights: sharedWeights(nLayers, nHeads, n), causal: false, layer: 0, heads: [] });
const modelView = (n: number, nLayers: number, nHeads: number) => ({ kind: 'model-view', version: 1, title: 'big', tokens: tokensOf(n), nLayers, nHeads, weights: sharedWeights(nLayers, nHeads, n), causal: false });
const crossView = (target: number, source: number, nLayers: number, nHeads: number) => ({ ...headView(target, nLayers, nHeads), keyTokens: tokensOf(source), weights: sharedWeights(nLayers, nHeads, target, source) });
function attentionTraining(n: number, nLayers: number, nHeads: number, frames: number) {
  const steps = Array.from({ length: frames }, (_, i) => i);
  return { kind: 'attention-training', version: 1, title: 'big', tokens: tokensOf(n), nLayers, nHeads, causal: false, steps, frames: new Array(frames).fill(sharedWeights(nLayers, nHeads, n)), frame: 0, layer: 0, head: 0 };
}
function neuronView(n: number, headSize: number) {
  const vectors = new Array<number[]>(n).fill(rowOf(headSize, 0.5));
  return { kind: 'neuron-view', version: 1, title: 'big', tokens: tokensOf(n), layer: 0, head: 0, headSize, causal: false, q: vectors, k: vectors, query: 0 };
}
function training(series: number, points: number, samples = 1, sampleChars = 10) {
  const steps = Array.from({ length: points }, (_, i) => i);
  const values = rowOf(points, 1);
  return {
    kind: 'training',
    version: 2,
    title: 'big',
    status: 'running',
    step: points,
    totalSteps: points,
    elapsedSec: 1,
    etaSec: null,
    tokensPerSec: null,
    backend: 'cpu',
    // one panel: every series a curve of the same subplot
    series: Array.from({ length: series }, (_, i) => ({ name: `s${i}`, panel: 'loss', step: steps, value: values })),
    samples: Array.from({ length: samples }, (_, i) => ({ step: i, text: 'x'.repeat(sampleChars) }))
  };
}
function trainingV1(points: number) {
  const s = { step: Array.from({ length: points }, (_, i) => i), value: rowOf(points, 1) };
  const { series: _series, ...run } = training(0, 0);
  return { ...run, version: 1, trainLoss: s, valLoss: s, learningRate: s, throughput: s };
}

/** The error box's text, after checking it is the only thing drawn: no SVG, no plot. */
function sizeErrorOf(root: HTMLElement): string {
  expect(root.querySelectorAll('.llm-lab-error')).toHaveLength(1);
  expect(root.querySelector('svg, .js-plotly-plot')).toBeNull();
  // a size error is not a contract mismatch: no "rebuild both" hint
  expect(root.querySelector('.llm-lab-error-hint')).toBeNull();
  return root.textContent!;
}

describe('a spec over the limits gets an error box naming its sizes, and nothing is drawn', () => {
  const cases: [string, string, () => unknown, string][] = [
    ['attention: too many tokens', ATTENTION_MIME_TYPE, () => attention(600, 4, 4), 'the attention view of 600 tokens has more than the 256 tokens a sequence may have for a browser draws comfortably: show a shorter text'],
    [
      'attention: too many weights',
      ATTENTION_MIME_TYPE,
      () => attention(200, 8, 8),
      'the attention view of 200 tokens would hold 2,560,000 weights (8 layers x 8 heads x 200^2), more than 2,000,000 a browser draws comfortably: show a shorter text (at most 176 tokens with 8 layers x 8 heads)'
    ],
    ['head view: too many weights', HEAD_VIEW_MIME_TYPE, () => headView(150, 12, 12), 'the head view of 150 tokens would hold 3,240,000 weights (12 layers x 12 heads x 150^2), more than 2,000,000'],
    ['model view: too many tokens', MODEL_VIEW_MIME_TYPE, () => modelView(300, 1, 1), 'the model view of 300 tokens has more than the 256 tokens'],
    ['model view: too many weights', MODEL_VIEW_MIME_TYPE, () => modelView(128, 12, 12), 'the model view of 128 tokens would hold 2,359,296 weights (12 layers x 12 heads x 128^2), more than 2,000,000 a browser draws comfortably: show a shorter text (at most 117 tokens'],
    ['cross-attention: too many source tokens', HEAD_VIEW_MIME_TYPE, () => crossView(100, 300, 1, 1), 'the cross-attention view of 100 target x 300 source tokens has more than the 256 tokens'],
    [
      'cross-attention: too many weights',
      HEAD_VIEW_MIME_TYPE,
      () => crossView(200, 200, 8, 8),
      'the cross-attention view of 200 target x 200 source tokens would hold 2,560,000 weights (8 layers x 8 heads x 200 x 200), more than 2,000,000 a browser draws comfortably: show a shorter target text (at most 156 tokens with this source)'
    ],
    [
      'attention training: too many frames of weights',
      ATTENTION_TRAINING_MIME_TYPE,
      () => attentionTraining(40, 2, 4, 200),
      'the attention training view of 40 tokens would hold 2,560,000 weights (200 frames x 2 layers x 4 heads x 40^2), more than 2,000,000 a browser draws comfortably: keep fewer checkpoints (at most 156 of this size)'
    ],
    ['neuron view: too many tokens', NEURON_VIEW_MIME_TYPE, () => neuronView(300, 8), 'the neuron view of 300 tokens has more than the 256 tokens'],
    [
      'neuron view: too many numbers',
      NEURON_VIEW_MIME_TYPE,
      () => neuronView(100, 1000),
      'the neuron view of 100 tokens would hold 200,000 numbers (q and k: 2 x 100 tokens x 1,000 dimensions), more than 131,072 a browser draws comfortably: show a shorter text (at most 65 tokens)'
    ],
    ['training: too many series', TRAINING_MIME_TYPE, () => training(33, 2), 'the training view has 33 series, more than 32 a browser draws comfortably: log fewer named values'],
    ['training: too many points', TRAINING_MIME_TYPE, () => training(4, 60_000), 'the training view has 240,000 points (over all series), more than 200,000 a browser draws comfortably: thin each series (the kernel sends at most 600 points a series)'],
    ['training: too many samples', TRAINING_MIME_TYPE, () => training(1, 2, 201), 'the training view has 201 samples, more than 200'],
    ['training: a sample too long', TRAINING_MIME_TYPE, () => training(1, 2, 1, 5000), 'the training view has 5,000 characters in one sample, more than 4,000'],
    ['training version 1: too many points', TRAINING_V1_MIME_TYPE, () => trainingV1(60_000), 'the training view has 240,000 points (over all series), more than 200,000']
  ];
  for (const [what, mimeType, spec, message] of cases) {
    it(`${what}: ${message.slice(0, 60)}...`, async () => {
      const renderer = await render(mimeType, spec());
      expect(sizeErrorOf(renderer.node)).toContain(message);
    });
  }
});

describe('validation reads the sizes before any item: a huge spec is rejected from array lengths alone', () => {
  /** `spec` with `field` replaced by a getter that throws: reading it would show a different error. */
  const untouched = (spec: object, field: string) =>
    Object.defineProperty({ ...spec }, field, {
      enumerable: true,
      get: () => {
        throw new Error(`${field} was read`);
      }
    });
  // tokens are holes: checking one of them would fail with "tokens[0] must be a string"
  const holes = (n: number) => new Array<string>(n);
  const cases: [string, string, object, string][] = [
    ['attention', ATTENTION_MIME_TYPE, untouched({ ...attention(1, 4, 4), tokens: holes(100_000) }, 'weights'), 'the attention view of 100,000 tokens'],
    ['head view', HEAD_VIEW_MIME_TYPE, untouched({ ...headView(1, 4, 4), tokens: holes(100_000) }, 'weights'), 'the head view of 100,000 tokens'],
    ['model view', MODEL_VIEW_MIME_TYPE, untouched({ ...modelView(1, 4, 4), tokens: holes(100_000) }, 'weights'), 'the model view of 100,000 tokens'],
    ['attention training', ATTENTION_TRAINING_MIME_TYPE, untouched({ ...attentionTraining(1, 4, 4, 1), tokens: holes(200), steps: new Array(1000) }, 'frames'), 'the attention training view of 200 tokens would hold 640,000,000 weights'],
    ['neuron view', NEURON_VIEW_MIME_TYPE, untouched({ ...neuronView(1, 1), tokens: holes(200), headSize: 100_000 }, 'q'), 'the neuron view of 200 tokens would hold 40,000,000 numbers'],
    ['training', TRAINING_MIME_TYPE, { ...training(0, 0), series: [{ step: new Array(1_000_000) }] }, 'the training view has 1,000,000 points']
  ];
  for (const [what, mimeType, spec, message] of cases) {
    it(`${what}: the size error comes first, no weight, token or point was read`, async () => {
      const renderer = await render(mimeType, spec);
      expect(sizeErrorOf(renderer.node)).toContain(message);
    });
  }
});

describe('a spec right at the limits still renders', () => {
  const drawn = (root: HTMLElement) => {
    expect(root.querySelector('.llm-lab-error')).toBeNull();
    return root;
  };

  it(`attention: ${VIEW_LIMITS.weights.toLocaleString('en-US')} weights (20 layers x 40 heads x 50^2) draw the heatmap`, async () => {
    const root = drawn((await render(ATTENTION_MIME_TYPE, attention(50, 20, 40))).node);
    expect(root.querySelector('svg.llm-lab-attention-heatmap')).not.toBeNull();
  });

  it(`head view: ${VIEW_LIMITS.weights.toLocaleString('en-US')} weights (32 layers x 1 head x 250^2) draw the token columns`, async () => {
    const root = drawn((await render(HEAD_VIEW_MIME_TYPE, headView(250, 32, 1))).node);
    expect(root.querySelector('svg.llm-lab-hv-svg')).not.toBeNull();
  });

  it(`cross-attention: ${VIEW_LIMITS.weights.toLocaleString('en-US')} weights (8 layers x 8 heads x 125 x 250) draw`, async () => {
    const root = drawn((await render(HEAD_VIEW_MIME_TYPE, crossView(125, 250, 8, 8))).node);
    expect(root.querySelector('svg.llm-lab-hv-svg')).not.toBeNull();
  });

  it(`model view: ${VIEW_LIMITS.weights.toLocaleString('en-US')} weights (10 layers x 20 heads x 100^2) draw every thumbnail`, async () => {
    const root = drawn((await render(MODEL_VIEW_MIME_TYPE, modelView(100, 10, 20))).node);
    expect(root.querySelector('svg')).not.toBeNull();
  });

  it(`attention training: ${VIEW_LIMITS.weights.toLocaleString('en-US')} weights (5,000 frames x 2 layers x 2 heads x 10^2) draw`, async () => {
    const root = drawn((await render(ATTENTION_TRAINING_MIME_TYPE, attentionTraining(10, 2, 2, 5000))).node);
    expect(root.querySelector('svg')).not.toBeNull();
  });

  it(`neuron view: ${VIEW_LIMITS.tokens} tokens draw a row per key; ${VIEW_LIMITS.neuronNumbers.toLocaleString('en-US')} numbers (2 x 16 tokens x 4,096) pass validation`, async () => {
    const root = drawn((await render(NEURON_VIEW_MIME_TYPE, neuronView(VIEW_LIMITS.tokens, 1))).node);
    expect(root.querySelectorAll('g.llm-lab-nv-row')).toHaveLength(VIEW_LIMITS.tokens);
    expect(() => validateNeuronViewSpec(neuronView(16, 4096))).not.toThrow();
  });

  it(`training: ${VIEW_LIMITS.series} series, ${VIEW_LIMITS.samples} samples of ${VIEW_LIMITS.sampleChars.toLocaleString('en-US')} characters draw the plot`, async () => {
    const root = drawn((await render(TRAINING_MIME_TYPE, training(VIEW_LIMITS.series, 10, VIEW_LIMITS.samples, VIEW_LIMITS.sampleChars))).node);
    expect(root.querySelector('.js-plotly-plot')).not.toBeNull();
  });

  it(`training: ${VIEW_LIMITS.points.toLocaleString('en-US')} points (4 series x 50,000) draw the plot`, async () => {
    const root = drawn((await render(TRAINING_MIME_TYPE, training(4, 50_000))).node);
    expect(root.querySelector('.js-plotly-plot')).not.toBeNull();
  });
});
