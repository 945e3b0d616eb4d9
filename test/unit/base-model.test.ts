/** The committed course base model loads, matches its recipe, and predicts held-out text. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadBaseModel } from '../../kernel-lib/src/checkpoint/base';
import { stateOfTheUnionAddresses } from '../../kernel-lib/src/data/corpus';
import { onCpu } from './helpers';

describe('the course base model (kernel-lib/checkpoints/base)', () => {
  it('loads with its BPE tokenizer and recipe, and knows English far better than chance', async () => {
    await onCpu();
    const { model, tokenizer, recipe } = loadBaseModel();
    expect(model.config).toMatchObject({ vocabSize: 1024, blockSize: 128, nLayer: 4, nHead: 4, nEmbd: 160 });
    expect(tokenizer.vocabSize).toBe(1024);
    expect(recipe).toMatchObject({ seed: 1234, steps: 1200 });
    expect(recipe.valPerplexity).toBeLessThan(40);
    const text = stateOfTheUnionAddresses({ from: 2021 })[0].text;
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    // next-token loss on 128 tokens of an address: far below ln(1024) = 6.93 (knowing nothing)
    const ids = tokenizer.encode(text).slice(1000, 1129);
    const x = tf.tensor2d([ids.slice(0, 128)], [1, 128], 'int32');
    const y = tf.tensor2d([ids.slice(1, 129)], [1, 128], 'int32');
    const loss = (await model.loss(x, y).data())[0];
    expect(loss).toBeLessThan(4.5);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('a folder without a model says how to make one', () => {
    expect(() => loadBaseModel('/nonexistent')).toThrow('no base model in /nonexistent; train it with `npm run pretrain:base`');
  });
});
