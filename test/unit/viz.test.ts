import { beforeAll, describe, expect, it } from 'vitest';
import { attentionBundle, attentionSpec } from '../../kernel-lib/src/viz/attention';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { thinSeries, trainingBundle, VIEW_POINTS } from '../../kernel-lib/src/viz/training';
import { parseSpecData, SpecError, validateAttentionSpec, validateTrainingSpec } from '../../kernel-lib/src/viz/spec';
import { onCpu } from './helpers';

beforeAll(onCpu);

const evil = '<img src=x onerror=alert(1)>';

describe('attention view bundle', () => {
  it('holds every layer and head, valid per the spec, with escaped token text in the SVG', async () => {
    const tok = CharTokenizer.fromText(evil + ' abc');
    const model = new GPT({ vocabSize: tok.vocabSize, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 8, seed: 2 });
    const spec = await attentionSpec(model, tok, evil);
    expect(validateAttentionSpec(parseSpecData(JSON.stringify(spec)))).toBeTruthy();
    expect(spec.weights).toHaveLength(2);
    expect(spec.weights[1]).toHaveLength(2);
    expect(spec.weights[0][0]).toHaveLength(evil.length);
    expect(spec.tokens.join('')).toBe(evil.replace(/ /g, '\u2423'));
    const bundle = attentionBundle(spec);
    expect(Object.keys(bundle).sort()).toEqual(['application/vnd.llm-lab.attention.v1+json', 'image/svg+xml', 'text/plain']);
    expect(bundle['image/svg+xml']).not.toContain('<img');
    expect(bundle['image/svg+xml']).toContain('&lt;');
    await expect(attentionSpec(model, tok, 'a'.repeat(33))).rejects.toThrow('33 tokens, longer than the context blockSize 32');
    await expect(attentionSpec(model, tok, 'abc', { head: 2 })).rejects.toThrow('head 2 does not exist (the model has heads 0..1)');
    model.dispose();
  });
});

describe('spec validation', () => {
  const training = () => ({
    kind: 'training', version: 1, title: 't', status: 'running', step: 1, totalSteps: 2, elapsedSec: 1, etaSec: null, tokensPerSec: null,
    backend: 'cpu', trainLoss: { step: [1], value: [2] }, valLoss: { step: [], value: [] }, learningRate: { step: [1], value: [0.1] },
    throughput: { step: [], value: [] }, samples: [{ step: 1, text: evil }]
  });

  it('accepts a good training spec and its bundle escapes sample text in the SVG fallback', () => {
    const spec = validateTrainingSpec(training());
    const b = trainingBundle(spec);
    expect(b['image/svg+xml']).not.toContain('<img');
    expect(validateTrainingSpec(JSON.parse(b['application/vnd.llm-lab.training.v1+json'])).samples[0].text).toBe(evil);
  });

  it('sends at most VIEW_POINTS points per curve, first and last kept, however long the run', () => {
    const n = 5000;
    const long = { step: Array.from({ length: n }, (_, i) => i + 1), value: Array.from({ length: n }, (_, i) => 1 / (i + 1)) };
    const thin = thinSeries(long);
    expect(thin.step).toHaveLength(VIEW_POINTS);
    expect([thin.step[0], thin.step.at(-1)]).toEqual([1, n]);
    thin.step.forEach((s, i) => expect(thin.value[i]).toBe(1 / s)); // pairs stay together
    expect(thinSeries(training().trainLoss)).toEqual(training().trainLoss);
    const spec = validateTrainingSpec({ ...training(), step: n, totalSteps: n, trainLoss: long, learningRate: long });
    const sent = validateTrainingSpec(JSON.parse(trainingBundle(spec)['application/vnd.llm-lab.training.v1+json']));
    expect(sent.trainLoss.step).toHaveLength(VIEW_POINTS);
    expect(sent.step).toBe(n);
  });

  it('names what is wrong', () => {
    const bad = (patch: object) => () => validateTrainingSpec({ ...training(), ...patch });
    expect(bad({ kind: 'attention' })).toThrow(SpecError);
    expect(bad({ version: 2 })).toThrow('version must be 1, got 2');
    expect(bad({ step: -1 })).toThrow('step must be an integer >= 0, got -1');
    expect(bad({ trainLoss: { step: [1, 2], value: [1] } })).toThrow('trainLoss.value must have length 2, got 1');
    expect(bad({ status: 'exploded' })).toThrow('status must be running | done | interrupted | error, got "exploded"');
    expect(() => parseSpecData('{oops')).toThrow('spec is not valid JSON');
    expect(() => validateAttentionSpec({ kind: 'attention', version: 1, title: 'a', tokens: ['a', 'b'], nLayers: 1, nHeads: 1, weights: [[[[1, 0]]]], causal: true, layer: 0, head: 0 }))
      .toThrow('weights[0][0] must have length 2, got 1');
  });
});
