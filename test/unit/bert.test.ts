import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { useDevice } from '../../kernel-lib/src/backend';
import { BERT } from '../../kernel-lib/src/models/bert';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { maxAbsDiff } from './helpers';

afterAll(() => useDevice('cpu', { quiet: true }));

const config = { vocabSize: 20, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16, seed: 2 };

describe('BERT (encoder, masked LM)', () => {
  it('reads in both directions: a later token changes the first position (the GPT does not)', async () => {
    await useDevice('cpu', { quiet: true });
    const a = tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], 'int32');
    const b = tf.tensor2d([[1, 2, 3, 4, 5, 7]], [1, 6], 'int32');
    const first = (t: tf.Tensor) => t.slice([0, 0, 0], [1, 1, 20]).data();
    const bert = new BERT(config);
    expect(maxAbsDiff(await first(bert.forward(a)), await first(bert.forward(b)))).toBeGreaterThan(1e-4);
    const gpt = new GPT(config);
    expect(maxAbsDiff(await first(gpt.forward(a).logits), await first(gpt.forward(b).logits))).toBe(0);
    bert.dispose();
    gpt.dispose();
  });

  it('its loss is the cross-entropy at the labelled positions only', async () => {
    await useDevice('cpu', { quiet: true });
    const bert = new BERT(config);
    const input = tf.tensor2d([[1, 0, 3, 4, 0, 6, 7, 8]], [1, 8], 'int32');
    const labels = Int32Array.from([-1, 2, -1, -1, 5, -1, -1, -1]);
    const loss = (await bert.mlmLoss(input, labels).data())[0];
    const logits = (await bert.forward(input).array()) as number[][][];
    const ce = (row: number[], target: number) => Math.log(row.reduce((s, z) => s + Math.exp(z), 0)) - row[target];
    expect(loss).toBeCloseTo((ce(logits[0][1], 2) + ce(logits[0][4], 5)) / 2, 5);
    expect(() => bert.mlmLoss(input, new Int32Array(8).fill(-1))).toThrow('no position has a label');
    bert.dispose();
  });
});
