import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { Seq2Seq } from '../../kernel-lib/src/models/seq2seq';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { attentionSpec } from '../../kernel-lib/src/viz/attention';
import { AttentionRecorder, spreadFrames } from '../../kernel-lib/src/viz/attentionTraining';
import { setDisplaySink } from '../../kernel-lib/src/viz/display';
import { crossAttentionSpec, headViewBundle, headViewSpec, modelViewBundle, modelViewSpec } from '../../kernel-lib/src/viz/headView';
import { neuronRows } from '../../kernel-lib/src/contract/neuronMath';
import { neuronViewBundle, neuronViewSpec } from '../../kernel-lib/src/viz/neuronView';
import {
  parseSpecData,
  validateAttentionTrainingSpec,
  validateHeadViewSpec,
  validateModelViewSpec,
  validateNeuronViewSpec
} from '../../kernel-lib/src/contract/spec';
import { onCpu } from './helpers';

const evil = '<img src=x onerror=alert(1)>';
const sentence = 'the cat sat on the mat';
const tok = CharTokenizer.fromText(sentence + evil);
const config = { vocabSize: tok.vocabSize, blockSize: 32, nLayer: 2, nHead: 4, nEmbd: 16, seed: 3 };
let model: GPT;

beforeAll(async () => {
  await onCpu();
  model = new GPT(config);
});
afterAll(() => model.dispose());

/** Every row of weights[layer][head][query] sums to 1. */
function expectRowsSumToOne(weights: number[][][][]): void {
  for (const layer of weights) for (const head of layer) for (const row of head) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
}

describe('GPT.forward hiddenStates', () => {
  it('returns the input of every block and the last output (nLayer + 1), without changing the logits', () => {
    tf.tidy(() => {
      const ids = tf.tensor2d([tok.encode('the cat')], undefined, 'int32');
      const plain = model.forward(ids);
      const out = model.forward(ids, { hiddenStates: true });
      expect(plain.hiddenStates).toBeUndefined();
      expect(out.hiddenStates).toHaveLength(config.nLayer + 1);
      out.hiddenStates!.forEach(h => expect(h.shape).toEqual([1, 7, config.nEmbd]));
      expect(tf.max(tf.abs(out.logits.sub(plain.logits))).arraySync()).toBe(0);
      // block l maps hiddenStates[l] to hiddenStates[l + 1]
      const next = model.transformer.h.at(1).forward(out.hiddenStates![1]).output;
      expect(tf.max(tf.abs(next.sub(out.hiddenStates![2]))).arraySync()).toBeLessThan(1e-5);
    });
  });
});

describe('head view and model view builders', () => {
  it('hold every layer and head, rows sum to 1, and match the model', async () => {
    const spec = await headViewSpec(model, tok, sentence, { layer: 0, heads: [1, 3] });
    expect(validateHeadViewSpec(parseSpecData(headViewBundle(spec)['application/vnd.llm-lab.head-view.v1+json']))).toEqual(spec); // the bundle carries the spec whole
    expect(spec.weights).toHaveLength(2);
    expect(spec.weights[0]).toHaveLength(4);
    expect(spec.weights[0][0]).toHaveLength(sentence.length);
    expect(spec.weights[0][0][0]).toHaveLength(sentence.length);
    expect([spec.layer, spec.heads]).toEqual([0, [1, 3]]);
    expectRowsSumToOne(spec.weights);
    // causal: nothing after the query
    expect(spec.weights[1][2][3].slice(4).every(w => w === 0)).toBe(true);
    const reference = await attentionSpec(model, tok, sentence);
    expect(spec.weights).toEqual(reference.weights);

    const defaults = await headViewSpec(model, tok, sentence);
    expect([defaults.layer, defaults.heads]).toEqual([1, [0, 1, 2, 3]]);
    await expect(headViewSpec(model, tok, sentence, { heads: [4] })).rejects.toThrow('head view: head 4 does not exist (the model has heads 0..3)');
    await expect(headViewSpec(model, tok, sentence, { layer: 2 })).rejects.toThrow('layer 2 does not exist');
  });

  it('model view: valid bundle, escaped SVG fallback', async () => {
    const spec = await modelViewSpec(model, tok, evil);
    const bundle = modelViewBundle(spec);
    expect(Object.keys(bundle).sort()).toEqual(['application/vnd.llm-lab.model-view.v1+json', 'image/svg+xml', 'text/plain']);
    expect(validateModelViewSpec(JSON.parse(bundle['application/vnd.llm-lab.model-view.v1+json'])).tokens.join('')).toBe(evil.replace(/ /g, '\u2423'));
    expectRowsSumToOne(spec.weights);
    const head = headViewBundle(await headViewSpec(model, tok, evil));
    // character tokens: '<' is a token of its own, so it must appear escaped and never raw
    for (const svg of [bundle['image/svg+xml'], head['image/svg+xml']]) {
      expect(svg).toContain('&lt;');
      expect(svg).not.toMatch(/<[^a-z/]/);
    }
  });
});

describe('cross-attention spec from arrays', () => {
  const source = ['le', ' chat', ' dort'];
  const target = ['the', ' cat', ' sleeps', evil];
  const row = (i: number) => [0.7, 0.2, 0.1].map((_, k) => (k === i % 3 ? 0.8 : 0.1));
  const weights = [[target.map((_, t) => row(t)), target.map((_, t) => row(t + 1))]]; // [1 layer][2 heads][4 target][3 source]

  it('makes a head view with the source tokens as keys', () => {
    const spec = crossAttentionSpec({ sourceTokens: source, targetTokens: target, weights, title: 'Translation' });
    expect(spec.keyTokens).toEqual(['le', '\u2423chat', '\u2423dort']);
    expect(spec.tokens).toHaveLength(4);
    expect([spec.nLayers, spec.nHeads, spec.causal, spec.layer, spec.heads]).toEqual([1, 2, false, 0, [0, 1]]);
    expect(headViewBundle(spec)['image/svg+xml']).not.toContain('<img');
    expect(headViewBundle(spec)['image/svg+xml']).toContain('&lt;img');
  });

  it("fits a Seq2Seq model's cross-attention output, (layers, heads, target, source)", async () => {
    const s2s = new Seq2Seq({ vocabSize: 12, blockSize: 8, nLayer: 1, nDecoderLayer: 2, nHead: 2, nEmbd: 8, seed: 4 });
    const src = [3, 4, 5, 6, 7];
    const tgt = [1, 8, 9];
    const stacked = tf.tidy(() => {
      const { crossAttentions } = s2s.forward(tf.tensor2d([src], undefined, 'int32'), tf.tensor2d([tgt], undefined, 'int32'), { attentions: true });
      return tf.concat(crossAttentions!, 0);
    });
    const weights = (await stacked.array()) as number[][][][];
    stacked.dispose();
    const spec = crossAttentionSpec({ sourceTokens: src.map(String), targetTokens: ['<bos>', '8', '9'], weights });
    expect([spec.nLayers, spec.nHeads, spec.tokens.length, spec.keyTokens!.length]).toEqual([2, 2, 3, 5]);
    expectRowsSumToOne(spec.weights);
    s2s.dispose();
  });

  it('names a mis-shaped weights array', () => {
    const swapped = [[source.map(() => [0.25, 0.25, 0.25, 0.25]), source.map(() => [0.25, 0.25, 0.25, 0.25])]]; // [source][target]
    expect(() => crossAttentionSpec({ sourceTokens: source, targetTokens: target, weights: swapped })).toThrow(
      'crossAttentionSpec: weights[0][0] must have length 4, got 3 (weights must be [layer][head][target][source])'
    );
  });
});

describe('AttentionRecorder', () => {
  it('keeps one frame per captured step, in step order, each the model of that moment', async () => {
    const later = new GPT({ ...config, seed: 11 }); // stands in for the same model after training
    const recorder = new AttentionRecorder(tok, 'the cat', { head: 2 });
    expect(() => recorder.spec()).toThrow('no frame yet');
    await recorder.capture(model, 0);
    await recorder.capture(later, 50);
    await expect(recorder.capture(model, 49)).rejects.toThrow('steps must increase, got step 49 after step 50');
    // the same step again replaces that frame (a trainer evaluates at step 0 after a capture by hand)
    await recorder.capture(model, 50);
    expect(recorder.capturedSteps).toEqual([0, 50]);
    expect(recorder.spec().frames[1]).toEqual(recorder.spec().frames[0]);
    await recorder.capture(later, 50);
    const spec = validateAttentionTrainingSpec(JSON.parse(recorder.bundle()['application/vnd.llm-lab.attention-training.v1+json']));
    expect(spec.steps).toEqual([0, 50]);
    expect([spec.frame, spec.layer, spec.head]).toEqual([1, 1, 2]);
    const weightsOf = async (m: GPT) => (await attentionSpec(m, tok, 'the cat')).weights.map(l => l.map(h => h.map(r => r.map(w => Number(w.toPrecision(5))))));
    expect(spec.frames).toEqual([await weightsOf(model), await weightsOf(later)]);
    expect(spec.frames[1]).not.toEqual(spec.frames[0]); // the two models differ, so a frame of the wrong one would show
    spec.frames.forEach(expectRowsSumToOne);
    later.dispose();
  });

  it('a shown view follows later captures on the same display', async () => {
    const messages: { update: boolean; id?: string; steps: number[] }[] = [];
    setDisplaySink((m, update) =>
      messages.push({ update, id: m.transient.display_id, steps: JSON.parse(m.data['application/vnd.llm-lab.attention-training.v1+json']).steps })
    );
    try {
      const recorder = new AttentionRecorder(tok, 'the mat');
      await recorder.capture(model, 0);
      recorder.show();
      await recorder.capture(model, 10);
      expect(messages.map(m => [m.update, m.steps])).toEqual([
        [false, [0]],
        [true, [0, 10]]
      ]);
      expect(messages[0].id).toBe(messages[1].id);
    } finally {
      setDisplaySink(null);
    }
  });

  it('the static SVG spreads at most 6 frames over the run, first and last kept', () => {
    expect(spreadFrames(3, 6)).toEqual([0, 1, 2]);
    expect(spreadFrames(11, 6)).toEqual([0, 2, 4, 6, 8, 10]);
  });
});

describe('neuron view', () => {
  it("q.k products, summed, scaled and softmaxed, give the model's attention weights", async () => {
    const { attentions } = model.forward(tf.tensor2d([tok.encode(sentence)], undefined, 'int32'), { attentions: true });
    const reference = (await Promise.all(attentions!.map(a => a.array()))) as number[][][][][];
    tf.dispose(attentions);
    for (const [layer, head] of [[0, 0], [0, 3], [1, 1], [1, 2]]) {
      const spec = await neuronViewSpec(model, tok, sentence, { layer, head, token: 5 });
      expect(validateNeuronViewSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec); // valid, and plain JSON (no NaN, no undefined)
      expect(spec.q).toHaveLength(sentence.length);
      expect(spec.k[0]).toHaveLength(4);
      expect(spec.headSize).toBe(4);
      for (let query = 0; query < sentence.length; query++) {
        const rows = neuronRows(spec, query);
        rows.forEach(r => expect(r.score).toBeCloseTo(r.products.reduce((a, b) => a + b, 0), 10));
        rows.forEach(r => expect(r.scaled).toBeCloseTo(r.score / 2, 10));
        const weights = rows.map(r => r.weight);
        const expected = reference[layer][0][head][query];
        weights.forEach((w, k) => expect(Math.abs(w - expected[k])).toBeLessThan(1e-4));
      }
    }
  });

  it('the bundle is valid and escaped; a bad token index is named', async () => {
    const spec = await neuronViewSpec(model, tok, evil);
    expect(spec.query).toBe(evil.length - 1);
    const bundle = neuronViewBundle(spec);
    expect(bundle['image/svg+xml']).toContain('&lt;');
    expect(bundle['image/svg+xml']).not.toMatch(/<[^a-z/]/);
    expect(bundle['text/plain']).toContain('Neuron view: layer 1, head 0');
    await expect(neuronViewSpec(model, tok, 'the', { token: 3 })).rejects.toThrow('neuron view: token 3 does not exist (the text has tokens 0..2)');
  });

  it('leaves no tensors behind', async () => {
    await neuronViewSpec(model, tok, sentence);
    const before = tf.memory().numTensors;
    await neuronViewSpec(model, tok, sentence, { layer: 0 });
    await headViewSpec(model, tok, sentence);
    expect(tf.memory().numTensors).toBe(before);
  });
});
