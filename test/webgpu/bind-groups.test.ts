/**
 * Bind groups reused from step to step on webgpu (kernels/webgpuBindGroups.ts): after the first
 * steps a training step creates none, and training with the reuse matches training without it.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { releaseWebgpu, useDevice } from '../../kernel-lib/src/backend';
import { bindGroupCacheStats } from '../../kernel-lib/src/kernels/webgpuBindGroups';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { Trainer } from '../../kernel-lib/src/train/trainer';

afterAll(async () => {
  await useDevice('cpu', { quiet: true });
  releaseWebgpu();
});

const tokens = Int32Array.from({ length: 4000 }, (_, i) => (i * 7 + (i >> 5)) % 23);

async function losses(steps: number, onStep?: (step: number) => void): Promise<number[]> {
  const model = new GPT({ vocabSize: 23, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, seed: 3 });
  const trainer = new Trainer(model, { train: tokens, val: tokens }, { steps: 1e6, batchSize: 4, learningRate: 1e-2, live: false, seed: 1 });
  const out: number[] = [];
  for (let s = 0; s < steps; s++) {
    out.push((await trainer.trainStep())!.loss);
    onStep?.(s);
  }
  trainer.dispose();
  model.dispose();
  return out;
}

describe('webgpu bind groups', () => {
  it('are all reused once training is under way, and training gives the losses of the cpu backend', async () => {
    await useDevice('webgpu', { quiet: true });
    const device = (tf.backend() as unknown as { device: object }).device;
    const misses: number[] = [];
    const onWebgpu = await losses(8, () => misses.push(bindGroupCacheStats(device)!.misses));
    // the first steps meet new shapes and buffers; from the fourth on nothing is new
    expect(misses[7]).toBe(misses[3]);
    expect(bindGroupCacheStats(device)!.hits).toBeGreaterThan(4 * 50);
    await useDevice('cpu', { quiet: true });
    const onCpu = await losses(8);
    onWebgpu.forEach((loss, i) => expect(Math.abs(loss - onCpu[i]), `step ${i + 1}`).toBeLessThan(1e-3));
  });
});
