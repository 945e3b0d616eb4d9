import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { attentionBundle, attentionSpec } from '../../kernel-lib/src/viz/attention';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { parseSpecData, SpecError, validateAttentionSpec } from '../../kernel-lib/src/contract/spec';
import { onCpu } from './helpers';

beforeAll(onCpu);

const evil = '<img src=x onerror=alert(1)>';

describe('attention view bundle', () => {
  it('holds every layer and head, valid per the spec, with escaped token text in the SVG', async () => {
    const tok = CharTokenizer.fromText(evil + ' abc');
    const model = new GPT({ vocabSize: tok.vocabSize, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 8, seed: 2 });
    const spec = await attentionSpec(model, tok, evil);
    expect(validateAttentionSpec(parseSpecData(JSON.stringify(spec)))).toEqual(spec);
    // every layer and head: the model's own attention weights, rounded to the spec's places
    const ids = tf.tensor2d([tok.encode(evil)], [1, evil.length], 'int32');
    const { attentions } = model.forward(ids, { attentions: true });
    const expected = await Promise.all(attentions!.map(async a => ((await a.array()) as number[][][][])[0]));
    expect(spec.weights).toHaveLength(2);
    spec.weights.forEach((layer, l) => layer.forEach((head, h) => head.forEach((row, q) => row.forEach((w, k) => expect(Math.abs(w - expected[l][h][q][k]), `layer ${l} head ${h} query ${q} key ${k}`).toBeLessThanOrEqual(1e-4)))));
    tf.dispose([ids, ...attentions!]);
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
  it('names what is wrong', () => {
    expect(() => parseSpecData('{oops')).toThrow('spec is not valid JSON');
    expect(() => validateAttentionSpec({ kind: 'training', version: 1 })).toThrow(SpecError);
    expect(() => validateAttentionSpec({ kind: 'attention', version: 2, title: 'a' })).toThrow('version must be 1, got 2');
    expect(() => validateAttentionSpec({ kind: 'attention', version: 1, title: 'a', tokens: ['a', 'b'], nLayers: 1, nHeads: 1, weights: [[[[1, 0]]]], causal: true, layer: 0, head: 0 }))
      .toThrow('weights[0][0] must have length 2, got 1');
  });
});
