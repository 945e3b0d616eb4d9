/**
 * Switching away from WebGPU without restarting the kernel: the variables come along; and when the
 * device is lost mid-training (simulated with device.destroy(), which Dawn reports as a loss), the
 * training stops with a message saying what to do, and useDevice('wasm') brings back the weights
 * of the last host copy so that training continues.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { useDevice } from '../../kernel-lib/src/device/backend';
import { webgpuLost } from '../../kernel-lib/src/device/deviceLoss';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { causalLM } from '../../kernel-lib/src/train/objective';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { maxAbsDiff } from '../unit/helpers';
import { releaseWebgpuAfterAll } from './release';

const config = { vocabSize: 23, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16, seed: 3 };
const tokens = Int32Array.from({ length: 2000 }, (_, i) => (i * 7 + (i >> 3)) % 23);
const ids = () => tf.tensor2d(Array.from(tokens.subarray(0, 32)), [2, 16], 'int32');

releaseWebgpuAfterAll();

describe('leaving WebGPU', () => {
  it('useDevice("cpu") moves a model trained on webgpu, weights and optimizer state', async () => {
    await useDevice('webgpu', { quiet: true });
    const model = new GPT(config);
    const trainer = new Trainer(causalLM(model, { train: tokens, val: tokens }, { batchSize: 4, seed: 1 }), { steps: 6, learningRate: 3e-3, live: false });
    for (let i = 0; i < 3; i++) await trainer.trainStep();
    const x = ids();
    const onGpu = await model.loss(x, x).data();
    tf.dispose(x);
    await useDevice('cpu', { quiet: true });
    const y = ids();
    expect(maxAbsDiff(await model.loss(y, y).data(), onGpu)).toBeLessThan(1e-5);
    expect((await trainer.trainStep())!.step).toBe(4); // the optimizer's moments came along too
    trainer.dispose();
    model.dispose();
    tf.dispose(y);
  });

  it('after a device loss: a clear message, then wasm with the last host copy, and training goes on', async () => {
    await useDevice('webgpu', { quiet: true });
    const model = new GPT(config);
    const trainer = new Trainer(causalLM(model, { train: tokens, val: tokens }, { batchSize: 4, seed: 1 }), { steps: 40, learningRate: 3e-3, live: false, hostCopyEvery: 5, evalEvery: 10 });
    // lose the device right after step 12 (the last host copy is then the one of step 10)
    const device = (tf.backend() as unknown as { device: { destroy(): void } }).device;
    const realStep = trainer.trainStep.bind(trainer);
    vi.spyOn(trainer, 'trainStep').mockImplementation(async () => {
      if (trainer.step === 12) device.destroy();
      return realStep();
    });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(trainer.train()).rejects.toThrow(/WebGPU device was lost at step 1[34].*useDevice\('wasm'\).*weights of step 10/);
    expect(webgpuLost()).not.toBeNull();
    expect(errors.mock.calls.flat().join(' ')).toContain('The WebGPU device was lost');
    errors.mockRestore();
    expect(trainer.step).toBe(10);
    expect(trainer.series('train loss').step.at(-1)).toBe(10);

    const logs = vi.spyOn(console, 'log').mockImplementation(() => {});
    await useDevice('wasm', { quiet: true });
    expect(logs.mock.calls.flat().join(' ')).toMatch(/moved \d+ variables from their last CPU copy/);
    logs.mockRestore();
    vi.mocked(trainer.trainStep).mockRestore();
    const summary = await trainer.train();
    expect(summary.status).toBe('done');
    expect(summary.step).toBe(40);
    expect(summary.trainLoss!).toBeLessThan(trainer.series('train loss').value[0]);
    await expect(useDevice('webgpu', { quiet: true })).rejects.toThrow('lost earlier in this kernel');
    trainer.dispose();
    model.dispose();
  });
});
