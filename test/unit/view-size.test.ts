import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { AttentionRecorder } from '../../kernel-lib/src/viz/attentionTraining';
import { roundRow } from '../../kernel-lib/src/contract/format';
import { modelViewBundle, modelViewSpec } from '../../kernel-lib/src/viz/headView';
import { parseSpecData, validateAttentionTrainingSpec } from '../../kernel-lib/src/contract/spec';
import { onCpu } from './helpers';

describe('roundRow', () => {
  it('rounds to 4 places and keeps the row sum: masked zeros stay 0, nulls pass through', () => {
    const row = [0.123456789, 0.234567891, 0.345678912, 0.296296408, 0, 0];
    const rounded = roundRow(row);
    rounded.forEach((w, k) => {
      expect(Math.abs(w - row[k])).toBeLessThan(1e-4);
      expect(String(w).replace(/^0\./, '').length).toBeLessThanOrEqual(4);
    });
    expect(rounded.slice(4)).toEqual([0, 0]);
    expect(rounded.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // many small weights: plain rounding would drift by up to n * 0.00005, largest remainder does not
    const flat = Array.from({ length: 300 }, () => 1 / 300);
    expect(roundRow(flat).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(roundRow([0.5, null as unknown as number, 0.5])).toEqual([0.5, null, 0.5]);
  });
});

describe('attention views stay compact', () => {
  // about 40 tokens through a small GPT, as in notebook 03
  const sentence = 'Call me Ishmael. Some years ago, never m';
  const tok = CharTokenizer.fromText(sentence);
  const config = { vocabSize: tok.vocabSize, blockSize: 64, nLayer: 2, nHead: 4, nEmbd: 16 };
  const models: GPT[] = [];

  beforeAll(async () => {
    await onCpu();
    for (const seed of [1, 2, 3, 4]) models.push(new GPT({ ...config, seed })); // four checkpoints of a run
  });
  afterAll(() => models.forEach(m => m.dispose()));

  it('attention over training: the spec per frame and the SVG fallback fit their budgets', async () => {
    const recorder = new AttentionRecorder(tok, sentence);
    for (const [i, model] of models.entries()) await recorder.capture(model, 100 * i);
    const bundle = recorder.bundle();
    const json = bundle['application/vnd.llm-lab.attention-training.v1+json'];
    const spec = validateAttentionTrainingSpec(parseSpecData(json));
    for (const frame of spec.frames) for (const head of frame.flat()) for (const row of head) expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-3);
    // 58 kB per frame and 59 kB of SVG (6 squares) now; 71 kB and 405 kB before rounding and compact SVG
    expect(json.length / spec.frames.length).toBeLessThan(62_000);
    expect(bundle['image/svg+xml'].length).toBeLessThan(70_000);
  });

  it('model view: the spec and the SVG fallback fit their budgets', async () => {
    const bundle = modelViewBundle(await modelViewSpec(models[3], tok, sentence));
    // 59 kB of spec and 118 kB of SVG now (untrained: nearly every cell is drawn); 71 kB and 812 kB before
    expect(bundle['application/vnd.llm-lab.model-view.v1+json'].length).toBeLessThan(62_000);
    expect(bundle['image/svg+xml'].length).toBeLessThan(130_000);
  });
});
