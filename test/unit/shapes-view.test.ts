import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { shapesBundle, shapesTable } from '../../kernel-lib/src/viz/shapes';
import { onCpu } from './helpers';

beforeAll(onCpu);

describe('shapes table', () => {
  it('ends in the logits shape a real forward gives, and counts every parameter once', () => {
    const model = new GPT({ vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8, seed: 1 });
    const rows = shapesTable(model, 3, 5);
    const ids = tf.zeros([3, 5], 'int32');
    const { logits, attentions } = model.forward(ids, { attentions: true });
    expect(rows.at(-1)!.shape).toEqual(logits.shape);
    expect(rows.find(r => r.step.includes('attention weights'))!.shape).toEqual(attentions![0].shape);
    expect(rows.reduce((s, r) => s + r.params, 0)).toBe(model.numParams());
    expect(shapesBundle(model, 3, 5)['text/plain']).toContain(`total parameters: ${model.numParams().toLocaleString('en-US')}`);
    expect(() => shapesTable(model, 1, 9)).toThrow('need batch >= 1 and 1 <= time <= blockSize (8), got batch 1, time 9');
    tf.dispose([ids, logits, ...attentions!]);
    model.dispose();
  });
});
