/**
 * The wasm backend with LLM Lab's fused kernels (kernel-lib/src/device/fused.ts) against the cpu
 * backend running the readable code: every op, forward and backward; the fused kernels really
 * run; nothing leaks; and a few training steps give the same losses.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { useDevice } from '../../kernel-lib/src/device/backend';
import { fused } from '../../kernel-lib/src/device/fused';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { crossEntropy } from '../../kernel-lib/src/nn/loss';
import { causalLM } from '../../kernel-lib/src/train/objective';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { describeConformance, onReference } from '../conformance/suite';
import { maxAbsDiff, PATTERN_TOKENS, SMALL_GPT, smallGptLosses } from './helpers';

afterAll(() => useDevice('cpu', { quiet: true }));

describeConformance('wasm');

const config = SMALL_GPT;
const tokens = PATTERN_TOKENS;

async function trainLosses(backend: 'cpu' | 'wasm', steps: number): Promise<number[]> {
  await useDevice(backend, { quiet: true });
  return smallGptLosses(steps);
}

describe('wasm fused kernels', () => {
  it('are the ones that run on wasm', async () => {
    await useDevice('wasm', { quiet: true });
    expect(fused.active).toBe(true);
    const model = new GPT(config);
    const ids = tf.tensor2d(Array.from(tokens.subarray(0, 32)), [2, 16], 'int32');
    const profile = await tf.profile(() => tf.variableGrads(() => model.loss(ids, ids)).value);
    for (const k of ['LlmLabAttention', 'LlmLabAttentionGrad', 'LlmLabGelu', 'LlmLabGeluGrad', 'LlmLabLayerNorm', 'LlmLabLayerNormGrad', 'LlmLabCrossEntropy', 'LlmLabCrossEntropyGrad', 'UnsortedSegmentSum']) {
      expect(profile.kernelNames, k).toContain(k);
    }
    expect(profile.kernelNames).not.toContain('Softmax');
    tf.dispose(ids);
    model.dispose();
  });

  it('can be switched off, and then the readable path runs', async () => {
    await useDevice('wasm', { quiet: true });
    fused.enabled = false;
    try {
      const model = new GPT(config);
      const ids = tf.tensor2d(Array.from(tokens.subarray(0, 32)), [2, 16], 'int32');
      const profile = await tf.profile(() => model.loss(ids, ids));
      expect(profile.kernelNames).toContain('Softmax');
      expect(profile.kernelNames).not.toContain('LlmLabAttention');
      tf.dispose(ids);
      model.dispose();
    } finally {
      fused.enabled = true;
    }
  });

  it('leak no tensors and no wasm buffers across training steps', async () => {
    await useDevice('wasm', { quiet: true });
    const model = new GPT(config);
    const trainer = new Trainer(causalLM(model, { train: tokens, val: tokens }, { batchSize: 4 }), { steps: 10, learningRate: 3e-3, live: false });
    await trainer.trainStep();
    const tensors = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    for (let i = 0; i < 3; i++) await trainer.trainStep();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    trainer.dispose();
    model.dispose();
  });

  it('gather names an id outside the table, and frees its output', async () => {
    await useDevice('wasm', { quiet: true });
    const table = tf.zeros([5, 4]);
    const ids = tf.tensor1d([1, 7, 2], 'int32');
    const buffers = tf.engine().backend.numDataIds();
    expect(() => tf.gather(table, ids)).toThrow('index 7 (at position 1) is outside [0, 4]');
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    tf.dispose([table, ids]);
  });

  it('cross-entropy names a target beyond the vocabulary, on wasm and cpu; a negative one marks a row without loss', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await useDevice(backend, { quiet: true });
      expect(fused.active).toBe(true);
      const logits = tf.tensor2d([[0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]]);
      const bad = tf.tensor1d([0, 3, 9], 'int32');
      expect(() => crossEntropy(logits, bad), backend).toThrow('target 9 (row 2) is outside the vocabulary [0, 3]');
      // rows 0 and 1 without a target: the loss is row 2's alone, ln(e + 3) - 1
      const masked = tf.tensor1d([-1, -1, 0], 'int32');
      const loss = crossEntropy(logits, masked);
      expect((await loss.data())[0]).toBeCloseTo(Math.log(Math.E + 3) - 1, 6);
      tf.dispose([logits, bad, masked, loss]);
    }
  });

  it('sum over leading axes (keepDims or not) matches the reference, on wasm and on cpu', async () => {
    const sums = async () => {
      const x = tf.tensor3d(Float32Array.from({ length: 2 * 3 * 5 }, (_, i) => Math.sin(i)), [2, 3, 5]);
      const outs = [x.sum(0), x.sum([0, 1]), x.sum([0, 1], true), x.sum(1), x.sum()];
      const values = await Promise.all(outs.map(async t => ({ shape: t.shape, data: Array.from(await t.data()) })));
      tf.dispose([x, ...outs]);
      return values;
    };
    const reference = await onReference(sums);
    for (const backend of ['wasm', 'cpu'] as const) {
      await useDevice(backend, { quiet: true });
      const actual = await sums();
      actual.forEach((a, i) => {
        expect(a.shape).toEqual(reference[i].shape);
        expect(maxAbsDiff(a.data, reference[i].data)).toBeLessThan(1e-5);
      });
    }
  });

  it('train to the same losses as the cpu reference over 8 steps', async () => {
    const cpu = await onReference(() => trainLosses('cpu', 8));
    const wasm = await trainLosses('wasm', 8);
    expect(maxAbsDiff(wasm, cpu)).toBeLessThan(1e-4);
    expect(wasm[7]).toBeLessThan(wasm[0]);
  });
});
