import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { checkNeuronSize, VIEW_LIMITS, ViewSizeError } from '../../kernel-lib/src/contract/limits';
import { parseSpecData, validateAttentionTrainingSpec, validateTrainingSpec } from '../../kernel-lib/src/contract/spec';
import { attentionSpec } from '../../kernel-lib/src/viz/attention';
import { AttentionRecorder } from '../../kernel-lib/src/viz/attentionTraining';
import { crossAttentionSpec, headViewSpec, modelViewSpec } from '../../kernel-lib/src/viz/headView';
import { neuronViewSpec } from '../../kernel-lib/src/viz/neuronView';
import { addPoint, newTrainingSpec, trainingBundle } from '../../kernel-lib/src/viz/training';
import { positionsBundle } from '../../kernel-lib/src/viz/positions';
import { linesBundle } from '../../kernel-lib/src/viz/lines';
import { tokensBundle } from '../../kernel-lib/src/viz/tokens';
import { mimeTypeFor } from '../../kernel-lib/src/contract/spec';
import { onCpu } from './helpers';

const textOf = (n: number) => 'the cat sat on the mat. '.repeat(Math.ceil(n / 24)).slice(0, n);
const tok = CharTokenizer.fromText(textOf(24));

describe('kernel builders refuse an attention view too big for a browser, before the forward pass', () => {
  let long: GPT; // a context of 300 tokens, more than VIEW_LIMITS.tokens
  let wide: GPT; // 12 layers x 12 heads: 120 tokens are more than VIEW_LIMITS.weights
  beforeAll(async () => {
    await onCpu();
    long = new GPT({ vocabSize: tok.vocabSize, blockSize: 300, nLayer: 1, nHead: 1, nEmbd: 8, seed: 1 });
    wide = new GPT({ vocabSize: tok.vocabSize, blockSize: 128, nLayer: 12, nHead: 12, nEmbd: 24, seed: 1 });
  });
  afterAll(() => [long, wide].forEach(m => m.dispose()));

  const builders: [string, (model: GPT, text: string) => Promise<unknown>][] = [
    ['attention view', (m, t) => attentionSpec(m, tok, t)],
    ['head view', (m, t) => headViewSpec(m, tok, t)],
    ['model view', (m, t) => modelViewSpec(m, tok, t)],
    ['attention training view', (m, t) => new AttentionRecorder(tok, t).capture(m, 0)]
  ];
  for (const [view, build] of builders) {
    it(`${view}: 300 tokens are more than the ${VIEW_LIMITS.tokens} tokens of a sequence, refused without running the model`, async () => {
      const forward = vi.spyOn(long, 'forward');
      await expect(build(long, textOf(300))).rejects.toThrow(`the ${view} of 300 tokens has more than the 256 tokens a sequence may have for a browser draws comfortably: show a shorter text`);
      expect(forward).not.toHaveBeenCalled();
      forward.mockRestore();
    });

    it(`${view}: 12 layers x 12 heads x 120^2 weights are refused, naming the sizes, the limit and the longest text that fits`, async () => {
      const forward = vi.spyOn(wide, 'forward');
      await expect(build(wide, textOf(120))).rejects.toThrow(
        `the ${view} of 120 tokens would hold 2,073,600 weights (12 layers x 12 heads x 120^2), more than 2,000,000 a browser draws comfortably: show a shorter text (at most 117 tokens with 12 layers x 12 heads)`
      );
      expect(forward).not.toHaveBeenCalled();
      forward.mockRestore();
    });
  }

  it('the attention view of the longest text that fits (117 tokens at 12 x 12) is built', async () => {
    const spec = await attentionSpec(wide, tok, textOf(117));
    expect(spec.nLayers * spec.nHeads * spec.tokens.length ** 2).toBe(1_971_216);
  });

  it('neuron view: 300 tokens are refused; 2 x tokens x headSize numbers over the limit name both sizes', async () => {
    await expect(neuronViewSpec(long, tok, textOf(300))).rejects.toThrow('the neuron view of 300 tokens has more than the 256 tokens');
    expect(() => checkNeuronSize(100, 1000)).toThrow(
      'the neuron view of 100 tokens would hold 200,000 numbers (q and k: 2 x 100 tokens x 1,000 dimensions), more than 131,072 a browser draws comfortably: show a shorter text (at most 65 tokens)'
    );
    expect(() => checkNeuronSize(16, 4096)).not.toThrow();
  });

  it('cross-attention: too many source tokens or weights are refused as a ViewSizeError, sizes named', () => {
    const row = (n: number) => new Array<number>(n).fill(1 / n);
    const weights = (layers: number, heads: number, target: number, source: number) => new Array(layers).fill(new Array(heads).fill(new Array(target).fill(row(source))));
    const names = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`);
    expect(() => crossAttentionSpec({ sourceTokens: names(300), targetTokens: names(10), weights: weights(1, 1, 10, 300) })).toThrow(ViewSizeError);
    expect(() => crossAttentionSpec({ sourceTokens: names(300), targetTokens: names(10), weights: weights(1, 1, 10, 300) })).toThrow('the cross-attention view of 10 target x 300 source tokens has more than the 256 tokens');
    expect(() => crossAttentionSpec({ sourceTokens: names(200), targetTokens: names(200), weights: weights(8, 8, 200, 200) })).toThrow(
      'the cross-attention view of 200 target x 200 source tokens would hold 2,560,000 weights (8 layers x 8 heads x 200 x 200), more than 2,000,000 a browser draws comfortably: show a shorter target text (at most 156 tokens with this source)'
    );
  });
});

describe('attention over training keeps the frames a browser can hold, spread over the run', () => {
  let model: GPT;
  beforeAll(async () => {
    await onCpu();
    model = new GPT({ vocabSize: tok.vocabSize, blockSize: 200, nLayer: 1, nHead: 1, nEmbd: 8, seed: 1 });
  });
  afterAll(() => model.dispose());

  it('60 captures of 1 x 1 x 200^2 weights: the spec holds 50 frames (2,000,000 weights), the first and the last kept', async () => {
    const recorder = new AttentionRecorder(tok, textOf(200));
    for (let step = 0; step < 60; step++) await recorder.capture(model, step * 10);
    const spec = recorder.spec();
    expect(spec.frames).toHaveLength(50);
    expect(spec.steps).toHaveLength(50);
    expect(spec.steps[0]).toBe(0);
    expect(spec.steps.at(-1)).toBe(590);
    expect(spec.frame).toBe(49);
    expect(spec.title).toContain('60 checkpoints (50 of 60 shown), steps 0..590');
    expect(recorder.capturedSteps).toHaveLength(60);
    expect(() => validateAttentionTrainingSpec(spec)).not.toThrow();
  });
});

describe('the training view bounds its series and samples', () => {
  it(`a series past the ${VIEW_LIMITS.series}th is refused by addPoint, naming the count`, () => {
    const spec = newTrainingSpec('run', 10);
    for (let i = 0; i < VIEW_LIMITS.series; i++) addPoint(spec, `value ${i}`, 0, 1);
    addPoint(spec, 'value 0', 1, 2); // an existing series still takes points
    expect(() => addPoint(spec, 'one more', 0, 1)).toThrow('addPoint: the training view already has 32 series, the most a browser draws comfortably; "one more" would be one more: log fewer named values');
  });

  it(`the bundle carries the latest ${VIEW_LIMITS.samples} samples, each cut to ${VIEW_LIMITS.sampleChars} characters, and validates`, () => {
    const spec = newTrainingSpec('run', 1000);
    for (let step = 0; step < 250; step++) spec.samples.push({ step, text: step === 249 ? 'y'.repeat(5000) : `sample ${step}` });
    const sent = validateTrainingSpec(parseSpecData(trainingBundle(spec)[mimeTypeFor('training')]));
    expect(sent.samples).toHaveLength(200);
    expect(sent.samples[0].step).toBe(50);
    expect(sent.samples.at(-1)!.text).toHaveLength(4000);
    expect(sent.samples.at(-1)!.text.endsWith('y\u2026')).toBe(true);
    expect(spec.samples).toHaveLength(250); // the run's own record is untouched
  });
});

describe(`static pictures draw at most ${VIEW_LIMITS.marks} marks`, () => {
  const matrix = (rows: number, columns: number) => new Array<number[]>(rows).fill(new Array<number>(columns).fill(0.5));

  it('positions view: 512 x 256 cells are refused, naming each encoding; 256 x 256 are drawn', () => {
    expect(() => positionsBundle({ sinusoidal: matrix(512, 256) })).toThrow(
      'the positions view would draw 131,072 cells (sinusoidal: 512 x 256), more than 65,536 a browser draws comfortably: show fewer positions or dimensions, e.g. matrix.slice(0, 64)'
    );
    expect(positionsBundle({ sinusoidal: matrix(256, 256) })['image/svg+xml']).toContain('<svg');
  });

  it('lines view: 2 curves x 40,000 x values are refused; 2 x 32,768 are drawn', () => {
    const curve = (n: number) => new Array<number>(n).fill(1);
    expect(() => linesBundle({ a: curve(40_000), b: curve(40_000) })).toThrow('the lines view would draw 80,000 points (2 curves x 40000 x values), more than 65,536 a browser draws comfortably: use fewer x values');
    expect(linesBundle({ a: curve(32_768), b: curve(32_768) })['image/svg+xml']).toContain('<svg');
  });

  it('tokens view: a text of 70,000 characters is refused, naming the tokens of each tokenizer', () => {
    expect(() => tokensBundle({ characters: tok }, textOf(70_000))).toThrow('the tokens view would draw 70,000 tokens (characters: 70000), more than 65,536 a browser draws comfortably: show a shorter text');
  });
});
