/**
 * Batched generation against `generate` run one prompt at a time: prompts of different lengths,
 * greedy and sampled, any batch composition, stop ids, log-probs against sequenceLogProbs, virtual
 * tokens (prompt and prefix tuning), bad input, and no tensor left behind.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDevice } from '../../kernel-lib/src/device/backend';
import { generateBatch } from '../../kernel-lib/src/align/generateBatch';
import { generate } from '../../kernel-lib/src/generate';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { getPeftModel } from '../../kernel-lib/src/peft/peftModel';
import type { PeftConfig } from '../../kernel-lib/src/peft/config';
import { sequenceLogProbs } from '../../kernel-lib/src/train/sequenceLogProbs';
import { onCpu } from './helpers';

beforeAll(onCpu);
afterAll(onCpu);

const config = { vocabSize: 23, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, seed: 3 };
// lengths 3, 1, 5, 2: the batch starts from 1 shared token and reads the longer prompts on the way
const prompts = [[4, 8, 15], [16], [23 - 1, 1, 2, 3, 5], [9, 9]];

/** A small GPT with weights 10x larger than at init: less flat logits, so greedy answers vary. */
function sharpGPT(): GPT {
  const model = new GPT(config);
  for (const [name, p] of model.namedParameters()) if (!name.includes('ln_')) p.assign(tf.tidy(() => p.mul(10)));
  return model;
}

async function oneAtATime(model: GPT, options: { maxNewTokens: number; temperature: number; topK?: number }, seeds: number[]): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < prompts.length; i++) out.push(await generate(model, prompts[i], { ...options, seed: seeds[i] }));
  return out;
}

describe.each(['cpu', 'wasm'] as const)('generateBatch on %s', backend => {
  it('greedy: gives each prompt the tokens generate gives it alone (the wasm matrix products too)', async () => {
    await useDevice(backend, { quiet: true });
    const model = sharpGPT();
    const options = { maxNewTokens: 9, temperature: 0 };
    expect((await generateBatch(model, prompts, options)).tokens).toEqual(await oneAtATime(model, options, [0, 0, 0, 0]));
    model.dispose();
    await onCpu();
  });
});

describe('generateBatch', () => {
  it('greedy: gives each prompt the tokens generate gives it alone, prompts of lengths 3, 1, 5, 2, and leaks nothing', async () => {
    const model = sharpGPT();
    const options = { maxNewTokens: 9, temperature: 0 };
    const expected = await oneAtATime(model, options, [0, 0, 0, 0]);
    const before = tf.memory().numTensors;
    const out = await generateBatch(model, prompts, options);
    expect(tf.memory().numTensors).toBe(before);
    expect(out.tokens).toEqual(expected);
    expect(out.stopped).toEqual([false, false, false, false]);
    expect(out.logProbs).toBeUndefined();
    model.dispose();
  });

  it('sampling: sequence i draws with seed + i (or seeds[i]), so its tokens are generate\'s with that seed in any batch', async () => {
    const model = sharpGPT();
    const options = { maxNewTokens: 8, temperature: 1.5, topK: 10 };
    const expected = await oneAtATime(model, options, [7, 8, 9, 10]);
    const all = await generateBatch(model, prompts, { ...options, seed: 7 });
    expect(all.tokens).toEqual(expected);
    // another batch: two of the prompts, in the other order, with their seeds given
    const some = await generateBatch(model, [prompts[2], prompts[0]], { ...options, seeds: [9, 7] });
    expect(some.tokens).toEqual([expected[2], expected[0]]);
    // the draws are not all the same token: the seeds matter
    expect(new Set(expected.flat()).size).toBeGreaterThan(3);
    model.dispose();
  });

  it('stops each sequence at its first stop id (kept as its last token), the others run on', async () => {
    const model = sharpGPT();
    const options = { maxNewTokens: 9, temperature: 0 };
    const full = await oneAtATime(model, options, [0, 0, 0, 0]);
    const stop = full[0][2]; // the third token of prompt 0's answer
    const out = await generateBatch(model, prompts, { ...options, stopIds: [stop] });
    full.forEach((tokens, i) => {
      const at = tokens.indexOf(stop);
      expect(out.tokens[i]).toEqual(at >= 0 ? tokens.slice(0, at + 1) : tokens);
      expect(out.stopped[i]).toBe(at >= 0);
    });
    expect(out.tokens[0].length).toBeLessThanOrEqual(3);
    model.dispose();
  });

  it('log-probs of the new tokens equal sequenceLogProbs of prompt + answer (softmax before temperature)', async () => {
    const model = sharpGPT();
    const out = await generateBatch(model, prompts, { maxNewTokens: 6, temperature: 0.7, seed: 3, logProbs: true });
    for (let i = 0; i < prompts.length; i++) {
      const ids = [...prompts[i], ...out.tokens[i]];
      const mask = ids.map((_, t) => (t >= prompts[i].length ? 1 : 0));
      const expected = tf.tidy(() => sequenceLogProbs(model, tf.tensor2d([ids], [1, ids.length], 'int32'), tf.tensor2d([mask], [1, ids.length])).perToken);
      const perToken = Array.from(await expected.data()).slice(prompts[i].length - 1);
      expected.dispose();
      expect(out.logProbs![i].length).toBe(6);
      out.logProbs![i].forEach((lp, t) => expect(lp).toBeCloseTo(perToken[t], 5));
    }
    model.dispose();
  });

  it('prompt and prefix tuning: the virtual tokens come before every prompt, as in generate', async () => {
    for (const cfg of [{ peftType: 'PROMPT_TUNING', numVirtualTokens: 3 }, { peftType: 'PREFIX_TUNING', numVirtualTokens: 3 }] as PeftConfig[]) {
      const model = new GPT(config);
      getPeftModel(model, cfg);
      const options = { maxNewTokens: 6, temperature: 0 };
      const out = await generateBatch(model, prompts, options);
      expect(out.tokens, cfg.peftType).toEqual(await oneAtATime(model, options, [0, 0, 0, 0]));
      // the context is 13 tokens now: 5 + 9 - 1 positions do not fit
      await expect(generateBatch(model, prompts, { maxNewTokens: 10, temperature: 0 })).rejects.toThrow('generateBatch: prompt 2 has 5 tokens; with maxNewTokens 10 it needs 14 positions, more than the context 13');
      model.dispose();
    }
  });

  it('maxNewTokens 0 gives empty answers without a forward', async () => {
    const model = sharpGPT();
    const out = await generateBatch(model, prompts, { maxNewTokens: 0, logProbs: true });
    expect(out).toEqual({ tokens: [[], [], [], []], stopped: [false, false, false, false], logProbs: [[], [], [], []] });
    model.dispose();
  });

  it('rejects bad input with the values, and leaks nothing', async () => {
    const model = sharpGPT();
    const before = tf.memory().numTensors;
    const cases: [number[][], object, string][] = [
      [[], { maxNewTokens: 2 }, 'generateBatch: prompts is empty; give at least one prompt (token ids)'],
      [[[1], []], { maxNewTokens: 2 }, 'generateBatch: prompt 1 is empty; give at least one token'],
      [[[1, 23]], { maxNewTokens: 2 }, 'generateBatch: prompt 0 has token 23 at position 1, outside the vocabulary [0, 23)'],
      [[[1], Array(12).fill(2)], { maxNewTokens: 6 }, 'generateBatch: prompt 1 has 12 tokens; with maxNewTokens 6 it needs 17 positions, more than the context 16'],
      [[[1]], { maxNewTokens: 1.5 }, 'generateBatch: maxNewTokens must be an integer >= 0, got 1.5'],
      [[[1], [2]], { maxNewTokens: 2, seeds: [1] }, 'generateBatch: seeds must hold one integer per prompt (2), got [1]'],
      [[[1]], { maxNewTokens: 2, stopIds: [-1] }, 'generateBatch: stop id -1 is outside the vocabulary [0, 23)'],
      [[[1]], { maxNewTokens: 2, temperature: -1 }, 'temperature must be a number >= 0, got -1']
    ];
    for (const [p, o, message] of cases) await expect(generateBatch(model, p, o as { maxNewTokens: number })).rejects.toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
