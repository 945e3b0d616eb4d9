/**
 * KV cache: feeding tokens one at a time with the cache gives the same logits as a full forward
 * of the whole sequence, and generation with and without the cache picks the same tokens, also
 * when the text outgrows the context and the window slides. On cpu (the readable attention) and
 * wasm (the cached path always takes the readable attention; the full forward the fused one).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { useDevice } from '../../kernel-lib/src/device/backend';
import { generate } from '../../kernel-lib/src/generate';
import { GPT, KVCache } from '../../kernel-lib/src/models/gpt';
import { maxAbsDiff } from './helpers';

afterAll(() => useDevice('cpu', { quiet: true }));

const config = { vocabSize: 17, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16, seed: 4 };
const sequence = [3, 1, 4, 1, 5, 9, 2, 6];

describe.each(['cpu', 'wasm'] as const)('KV cache on %s', backend => {
  it('gives the logits of a full forward, token by token after a prompt', async () => {
    await useDevice(backend, { quiet: true });
    const model = new GPT(config);
    const full = tf.tidy(() => model.forward(tf.tensor2d(sequence, [1, 8], 'int32')).logits);
    const fullValues = await full.data();
    let cache: KVCache | null = null;
    // a prompt of 3 tokens, then one token at a time
    for (const [start, end] of [[0, 3], [3, 4], [4, 5], [5, 6], [6, 7], [7, 8]]) {
      const { logits, cache: next } = model.forwardCached(tf.tensor2d(sequence.slice(start, end), [1, end - start], 'int32'), cache);
      cache = next;
      const expected = fullValues.slice(start * 17, end * 17);
      expect(maxAbsDiff(await logits.data(), expected)).toBeLessThan(1e-5);
      expect(cache.length).toBe(end);
    }
    expect(() => model.forwardCached(tf.tensor2d([1], [1, 1], 'int32'), cache)).toThrow('8 cached + 1 new tokens do not fit in the context blockSize 8');
    tf.dispose(full);
    model.dispose();
  });

  it('generates the same tokens as without it, past the end of the context, and leaks nothing', async () => {
    await useDevice(backend, { quiet: true });
    const model = new GPT(config);
    const options = { maxNewTokens: 20, temperature: 0.9, seed: 7 };
    const plain = await generate(model, [3, 1, 4], { ...options, kvCache: false });
    const tensors = tf.memory().numTensors;
    const cached = await generate(model, [3, 1, 4], options);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(cached).toEqual(plain);
    model.dispose();
  });
});
