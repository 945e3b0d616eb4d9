/**
 * Bind groups reused from step to step on webgpu (device/webgpuBindGroups.ts): after the first
 * steps a training step creates none, and training with the reuse matches training without it.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useDevice } from '../../kernel-lib/src/device/backend';
import { bindGroupCacheStats } from '../../kernel-lib/src/device/webgpuBindGroups';
import { smallGptLosses } from '../unit/helpers';
import { releaseWebgpuAfterAll } from './release';

releaseWebgpuAfterAll();

describe('webgpu bind groups', () => {
  it('are all reused once training is under way, and training gives the losses of the cpu backend', async () => {
    await useDevice('webgpu', { quiet: true });
    const device = (tf.backend() as unknown as { device: object }).device;
    const misses: number[] = [];
    const onWebgpu = await smallGptLosses(8, () => misses.push(bindGroupCacheStats(device)!.misses));
    // the first steps meet new shapes and buffers; from the fourth on nothing is new
    expect(misses[7]).toBe(misses[3]);
    expect(bindGroupCacheStats(device)!.hits).toBeGreaterThan(4 * 50);
    await useDevice('cpu', { quiet: true });
    const onCpu = await smallGptLosses(8);
    onWebgpu.forEach((loss, i) => expect(Math.abs(loss - onCpu[i]), `step ${i + 1}`).toBeLessThan(1e-3));
  });
});
