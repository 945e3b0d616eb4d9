/**
 * Rollouts as tensors: prompts of different lengths with answers of different lengths in one
 * right-padded batch give each answer token the log-prob (and value) it has in its row alone, and
 * the log-probs generateBatch reported while sampling.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateBatch } from '../../kernel-lib/src/align/generateBatch';
import { answerAligned, answerLogProbs, answerLogProbsAndValues, disposeRolloutBatch, rolloutBatch } from '../../kernel-lib/src/align/rollout';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { PolicyWithValue } from '../../kernel-lib/src/models/policyWithValue';
import { maxAbsDiff, onCpu } from './helpers';

beforeAll(onCpu);

const config = { vocabSize: 19, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, seed: 8 };
const prompts = [[3, 1, 4], [1], [5, 9, 2, 6, 5]];

/** Row b alone: the log-probs of its answer tokens and the values before them, in plain loops over one forward. */
async function alone(model: PolicyWithValue, prompt: number[], answer: number[]): Promise<{ logp: number[]; values: number[] }> {
  const ids = [...prompt, ...answer];
  const input = tf.tensor2d([ids], [1, ids.length], 'int32');
  const { logits, values } = model.forward(input);
  const z = ((await logits.array()) as number[][][])[0];
  const v = ((await values.array()) as number[][])[0];
  tf.dispose([input, logits, values]);
  const logp = answer.map((id, t) => {
    const row = z[prompt.length - 1 + t];
    const max = Math.max(...row);
    return row[id] - max - Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
  });
  return { logp, values: answer.map((_, t) => v[prompt.length - 1 + t]) };
}

describe('rollout batches', () => {
  it('give each answer token its log-prob and value from its row alone, and generateBatch\'s log-probs', async () => {
    const gpt = new GPT(config);
    const model = new PolicyWithValue(gpt);
    model.vHead.summary.bias.assign(tf.tensor1d([0.3]));
    const gen = await generateBatch(gpt, prompts, { maxNewTokens: 6, temperature: 1, seed: 2, stopIds: [0, 7], logProbs: true });
    const answers = gen.tokens;
    expect(answers.map(a => a.length)).toEqual([6, 2, 6]); // the second stopped at id 0: padding inside the answers too
    const before = tf.memory().numTensors;
    const batch = rolloutBatch(prompts, answers, 0);
    const T = Math.max(...answers.map(a => a.length));
    expect(batch.answerMask.shape).toEqual([3, T]);
    const { logp, values } = answerLogProbsAndValues(model, batch);
    const plain = answerLogProbs(gpt, batch);
    const logpRows = (await logp.array()) as number[][];
    const valueRows = (await values.array()) as number[][];
    expect(maxAbsDiff(await plain.data(), logpRows.flat())).toBeLessThan(1e-6);
    for (let b = 0; b < prompts.length; b++) {
      const pad = Array(T - answers[b].length).fill(0);
      const expected = await alone(model, prompts[b], answers[b]);
      expect(maxAbsDiff(logpRows[b], [...expected.logp, ...pad])).toBeLessThan(1e-5);
      expect(maxAbsDiff(valueRows[b], [...expected.values, ...pad])).toBeLessThan(1e-5);
      expect(maxAbsDiff(logpRows[b], [...gen.logProbs![b], ...pad])).toBeLessThan(1e-5);
    }
    tf.dispose([logp, values, plain]);
    disposeRolloutBatch(batch);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('answer log-probs and values are differentiable: the policy and the value head get gradients', () => {
    const gpt = new GPT(config);
    const model = new PolicyWithValue(gpt);
    const batch = rolloutBatch(prompts, [[2, 2], [7], [1, 2, 3]]);
    const { value, grads } = tf.variableGrads(() => {
      const { logp, values } = answerLogProbsAndValues(model, batch);
      return logp.sum().add(values.sum()) as tf.Scalar;
    }, model.trainableParameters().map(([, p]) => p));
    const norms = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.norm().dataSync()[0]]));
    expect(Object.values(norms).every(Number.isFinite)).toBe(true);
    expect(norms[model.vHead.summary.weight.name]).toBeGreaterThan(0);
    expect(norms[gpt.transformer.wte.weight.name]).toBeGreaterThan(0);
    tf.dispose([value, grads]);
    disposeRolloutBatch(batch);
    model.dispose();
  });

  it('rejects rows without answer tokens, mismatched lists and misshapen per-position numbers', () => {
    expect(() => rolloutBatch([[1], [2]], [[3]])).toThrow('rolloutBatch: need one answer per prompt, got 2 prompts and 1 answers');
    expect(() => rolloutBatch([[1], [2]], [[3], []])).toThrow('rolloutBatch: row 1 has 1 prompt and 0 answer tokens; each needs at least one');
    const batch = rolloutBatch([[1, 2]], [[3, 4]]);
    expect(() => answerAligned(tf.zeros([1, 2]), batch)).toThrow('answerAligned: x must have shape (B 1, at least 3), got [1,2]');
    disposeRolloutBatch(batch);
  });
});
