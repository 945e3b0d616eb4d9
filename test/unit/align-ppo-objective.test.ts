/**
 * The PPO objective with the Trainer on a toy task (reward: the share of answer tokens that are
 * the token 7): one rollout feeds numPpoEpochs x numMiniBatches steps, the first step of a rollout
 * sees the policy that wrote it (ratio 1), the reference keeps every bit and gets no optimizer
 * state while the value head gets some, nothing leaks from rollout to rollout, the held-out reward
 * rises, and bad settings change nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ppoObjective } from '../../kernel-lib/src/align/ppoObjective';
import { createReferenceModel } from '../../kernel-lib/src/align/reference';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { onCpu } from './helpers';

beforeAll(onCpu);

const config = { vocabSize: 12, blockSize: 12, nLayer: 1, nHead: 2, nEmbd: 16, seed: 1 };
const prompts = { train: [[1, 2], [3], [4, 5, 6], [2, 2], [8]], validation: [[9, 1], [10], [5, 5, 5], [11]] };
let calls = 0;
const sevens = (ps: number[][], completions: number[][]) => {
  calls += 1;
  return completions.map(c => c.filter(id => id === 7).length / c.length);
};
const settings = { batchSize: 4, numMiniBatches: 2, numPpoEpochs: 2, responseLength: 4, temperature: 1 };

async function weights(model: GPT): Promise<Float32Array[]> {
  return Promise.all(model.parameters().map(async p => (await p.data()) as Float32Array));
}

describe('ppoObjective', () => {
  it('one rollout feeds numPpoEpochs x numMiniBatches = 4 steps; the policy and v_head train, the reference does not; nothing leaks', async () => {
    const policy = new GPT(config);
    const reference = createReferenceModel(policy);
    const referenceBefore = await weights(reference);
    const objective = ppoObjective(policy, reference, prompts, sevens, settings);
    const trainer = new Trainer(objective, { steps: 8, learningRate: 1e-2, live: false });
    calls = 0;
    const first = (await trainer.trainStep())!;
    expect(Object.keys(first.logged)).toEqual(['score', 'kl', 'entropy', 'policy loss', 'value loss', 'clip fraction', 'approx kl']);
    expect(first.logged.kl).toBeCloseTo(0, 5); // the policy is the reference before its first step
    expect(first.logged['approx kl']).toBeCloseTo(0, 6); // and the policy that wrote the rollout
    expect(first.logged['clip fraction']).toBe(0);
    for (let i = 1; i < 4; i++) await trainer.trainStep();
    expect(calls).toBe(1);
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) await trainer.trainStep();
    expect(calls).toBe(2);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(trainer.optimizer.stateSize().parameters).toEqual([...policy.namedParameters().map(([name]) => name), 'v_head.summary.weight', 'v_head.summary.bias']);
    expect(reference.countParameters().trainable).toBe(0);
    (await weights(reference)).forEach((w, i) => expect(w).toEqual(referenceBefore[i]));
    trainer.dispose();
    objective.model.dispose(); // the policy's weights and the value head
    reference.dispose();
  });

  it('raises the held-out reward (sampled answers) from about 0.06 to above 0.8 in 48 steps, with the KL to the reference logged', async () => {
    const policy = new GPT(config);
    const reference = createReferenceModel(policy);
    const objective = ppoObjective(policy, reference, prompts, sevens, { ...settings, batchSize: 8, klCoef: 0.01, seed: 2 });
    const before = await objective.evaluate();
    const trainer = new Trainer(objective, { steps: 48, learningRate: 2e-2, live: false });
    for (let i = 0; i < 48; i++) await trainer.trainStep(); // 12 rollouts of 8 answers
    const after = await objective.evaluate();
    expect(before.metrics.reward).toBeLessThan(0.2);
    expect(before.metrics.kl).toBeCloseTo(0, 5);
    expect(after.metrics.reward).toBeGreaterThan(0.8);
    expect(after.metrics.kl).toBeGreaterThan(0.5); // it had to move far from the random start to write 7s
    expect(after.loss).toBe(-after.metrics.reward);
    trainer.dispose();
    objective.model.dispose();
    reference.dispose();
  });

  it('rejects bad settings with the values, and leaves the reference unfrozen', () => {
    const policy = new GPT(config);
    const reference = createReferenceModel(policy);
    reference.unfreeze();
    expect(() => ppoObjective(policy, reference, prompts, sevens, { ...settings, numMiniBatches: 3 })).toThrow('PPOConfig: batchSize (4) must be divisible by numMiniBatches (3)');
    expect(() => ppoObjective(policy, reference, { ...prompts, train: [[1], []] }, sevens, settings)).toThrow('ppoObjective: train prompt 1 must have 1 to 9 tokens (the context 12 less responseLength 4 - 1) in [0, 12), got []');
    expect(reference.countParameters().trainable).toBe(reference.numParams());
    expect(() => ppoObjective(policy, null, prompts, sevens, settings)).toThrow('ppoObjective: no reference model was given');
    policy.dispose();
    reference.dispose();
  });
});
