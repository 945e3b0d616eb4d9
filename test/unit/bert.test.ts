import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { useDevice } from '../../kernel-lib/src/device/backend';
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

describe('positions in the encoder', () => {
  // Without position information attention treats its input as a set: permuting the tokens
  // permutes the outputs. RoPE (the default) and learned positions both break that symmetry.
  const permuted = async (positions: 'rope' | 'learned' | 'none') => {
    const bert = new BERT({ ...config, positions: positions === 'none' ? 'rope' : positions });
    if (positions === 'none') for (const block of bert.encoder.h) (block.attn as { rope: boolean }).rope = false;
    const ids = [4, 9, 1, 7, 12];
    const order = [3, 0, 4, 1, 2];
    const out = (await bert.forward(tf.tensor2d([ids], [1, 5], 'int32')).array()) as number[][][];
    const outPermuted = (await bert.forward(tf.tensor2d([order.map(i => ids[i])], [1, 5], 'int32')).array()) as number[][][];
    bert.dispose();
    return maxAbsDiff(order.flatMap(i => out[0][i]), outPermuted[0].flat());
  };

  it('without positions, permuting the tokens only permutes the outputs; RoPE and learned positions see the order', async () => {
    await useDevice('cpu', { quiet: true });
    expect(await permuted('none')).toBeLessThan(2e-6);
    // at initialization q and k are small, so RoPE's turn changes the scores only a little (~1e-4)
    expect(await permuted('rope')).toBeGreaterThan(2e-5);
    expect(await permuted('learned')).toBeGreaterThan(1e-3);
  });

  it('RoPE needs no position embedding; learned positions add encoder.wpe; a bad choice is named', () => {
    const rope = new BERT(config);
    const learned = new BERT({ ...config, positions: 'learned' });
    expect(new Map(rope.namedParameters()).has('encoder.wpe.weight')).toBe(false);
    expect(new Map(learned.namedParameters()).has('encoder.wpe.weight')).toBe(true);
    expect(learned.numParams() - rope.numParams()).toBe(config.blockSize * config.nEmbd);
    expect(() => new BERT({ ...config, positions: 'sinus' as 'rope' })).toThrow('positions must be "rope" or "learned", got "sinus"');
    rope.dispose();
    learned.dispose();
  });
});
