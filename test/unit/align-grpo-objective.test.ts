/**
 * The GRPO objective with the Trainer on a toy verifiable task (reward: the share of answer tokens
 * that are the token 7): the reference keeps every bit and gets no optimizer state, a rollout
 * serves numIterations steps, nothing leaks from step to step, the held-out reward rises, and bad
 * settings change nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { grpoObjective } from '../../kernel-lib/src/align/grpoObjective';
import { createReferenceModel } from '../../kernel-lib/src/align/reference';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { onCpu } from './helpers';

beforeAll(onCpu);

const config = { vocabSize: 12, blockSize: 12, nLayer: 1, nHead: 2, nEmbd: 16, seed: 1 };
const prompts = { train: [[1, 2], [3], [4, 5, 6], [2, 2], [8]], validation: [[9, 1], [10], [5, 5, 5]] };
let calls = 0;
const sevens = (ps: number[][], completions: number[][]) => {
  calls += 1;
  return completions.map(c => c.filter(id => id === 7).length / c.length);
};
const settings = { batchSize: 2, numGenerations: 4, maxCompletionLength: 4, beta: 0.04 };

async function weights(model: GPT): Promise<Float32Array[]> {
  return Promise.all(model.parameters().map(async p => (await p.data()) as Float32Array));
}

describe('grpoObjective', () => {
  it('trains the policy alone, logs reward, kl, clip fraction and answer length, and leaks nothing from step to step', async () => {
    const policy = new GPT(config);
    const reference = createReferenceModel(policy);
    const referenceBefore = await weights(reference);
    const trainer = new Trainer(grpoObjective(policy, reference, prompts, sevens, settings), { steps: 4, learningRate: 1e-2, live: false });
    const first = await trainer.trainStep();
    expect(Object.keys(first!.logged)).toEqual(['reward', 'kl', 'clip fraction', 'answer length']);
    expect(first!.logged.kl).toBeCloseTo(0, 6); // the policy is the reference at step 0
    expect(first!.logged['clip fraction']).toBe(0); // and its own old policy
    const tensors = tf.memory().numTensors;
    await trainer.trainStep();
    await trainer.trainStep();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(trainer.optimizer.stateSize().parameters).toEqual(policy.namedParameters().map(([name]) => name));
    expect(reference.countParameters().trainable).toBe(0);
    (await weights(reference)).forEach((w, i) => expect(w).toEqual(referenceBefore[i]));
    trainer.dispose();
    policy.dispose();
    reference.dispose();
  });

  it('a rollout serves numIterations steps: 4 steps, 2 rollouts', async () => {
    const policy = new GPT(config);
    const trainer = new Trainer(grpoObjective(policy, null, prompts, sevens, { ...settings, beta: 0, numIterations: 2 }), { steps: 4, learningRate: 1e-2, live: false });
    calls = 0;
    for (let i = 0; i < 4; i++) expect(await trainer.trainStep()).not.toBeNull();
    expect(calls).toBe(2);
    trainer.dispose();
    policy.dispose();
  });

  it('raises the held-out reward of greedy answers from 0 to above 0.9 in 25 steps', async () => {
    const policy = new GPT(config);
    const objective = grpoObjective(policy, null, prompts, sevens, { ...settings, beta: 0, batchSize: 4, seed: 3 });
    const before = (await objective.evaluate()).metrics.reward;
    const trainer = new Trainer(objective, { steps: 25, learningRate: 2e-2, live: false });
    for (let i = 0; i < 25; i++) await trainer.trainStep();
    const after = (await objective.evaluate()).metrics.reward;
    expect(before).toBe(0); // no greedy answer of the random model holds a 7
    expect(after).toBeGreaterThan(0.9); // 25 steps of 4 groups of 4 answers: nearly every greedy token is a 7
    trainer.dispose();
    policy.dispose();
  });

  it('rejects bad settings with the values, and leaves the reference unfrozen', () => {
    const policy = new GPT(config);
    const reference = createReferenceModel(policy);
    reference.unfreeze();
    expect(() => grpoObjective(policy, reference, prompts, sevens, { ...settings, numGenerations: 1 })).toThrow('GRPOConfig: numGenerations must be an integer >= 2 (a group of 1 has no baseline: its advantage is always 0), got 1');
    expect(() => grpoObjective(policy, reference, { ...prompts, train: [[1], [12]] }, sevens, settings)).toThrow('grpoObjective: train: prompt 1 has token 12 at position 0, outside the vocabulary [0, 12)');
    expect(() => grpoObjective(policy, reference, { ...prompts, validation: [Array(10).fill(1)] }, sevens, settings)).toThrow('grpoObjective: validation: prompt 0 has 10 tokens; with maxCompletionLength answers it fits 9 at most');
    expect(reference.countParameters().trainable).toBe(reference.numParams());
    expect(() => grpoObjective(policy, null, prompts, sevens, settings)).toThrow('grpoObjective: no reference model was given');
    policy.dispose();
    reference.dispose();
  });
});
