/**
 * WebGPU (Dawn) against the cpu backend, op by op, forward and backward (test/conformance).
 * In CI this runs on a software Vulkan adapter (scripts/lavapipe.sh), never skipped.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { probeAdapter, useDevice } from '../../kernel-lib/src/device/backend';
import { fused } from '../../kernel-lib/src/device/fused';
import { forceSoftwareShapes, onSoftwareAdapter } from '../../kernel-lib/src/device/webgpuPrograms';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { AdamW } from '../../kernel-lib/src/train/adamw';
import { describeConformance } from '../conformance/suite';
import { maxAbsDiff } from '../unit/helpers';
import { releaseWebgpuAfterAll } from './release';

releaseWebgpuAfterAll();

// Both shapes of the WGSL programs (device/webgpuPrograms.ts), whatever the adapter is: a
// GPU's (workgroups share rows; tfjs's matrix products) and a software adapter's (a thread per
// row; device/webgpuMatMul.ts).
const shapes = (software: boolean) => ({ name: `${software ? 'software-adapter' : 'GPU'} program shapes`, before: () => forceSoftwareShapes(software), after: () => forceSoftwareShapes(null) });
describeConformance('webgpu', 1e-4, shapes(false));
describeConformance('webgpu', 1e-4, shapes(true));

describe('webgpu fused kernels', () => {
  it("take the software adapter's program shapes on a software adapter, a GPU's on a GPU", async () => {
    const adapter = await probeAdapter();
    await useDevice('webgpu', { quiet: true });
    expect(onSoftwareAdapter()).toBe(adapter!.isSoftware);
  });

  it('are the ones that run on webgpu, with far fewer dispatches than the readable path', async () => {
    await useDevice('webgpu', { quiet: true });
    const model = new GPT({ vocabSize: 23, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, seed: 3 });
    const ids = tf.tensor2d(Array.from({ length: 32 }, (_, i) => i % 23), [2, 16], 'int32');
    // (tfjs hands back the same profile object each time: copy what we need)
    const step = async () => {
      const { kernelNames, kernels } = await tf.profile(() => tf.variableGrads(() => model.loss(ids, ids)).value);
      return { kernelNames: [...kernelNames], kernels: kernels.length };
    };
    const withFused = await step();
    fused.enabled = false;
    const readable = await step();
    fused.enabled = true;
    for (const k of ['LlmLabAttention', 'LlmLabAttentionGrad', 'LlmLabGelu', 'LlmLabGeluGrad', 'LlmLabLayerNorm', 'LlmLabLayerNormGrad', 'LlmLabCrossEntropy', 'LlmLabCrossEntropyGrad']) {
      expect(withFused.kernelNames, k).toContain(k);
    }
    expect(withFused.kernels).toBeLessThan(readable.kernels / 2);
    tf.dispose(ids);
    model.dispose();
  });

  it('AdamW updates weights and moments in place (no tfjs kernel), unless another tensor shares the weight', async () => {
    await useDevice('webgpu', { quiet: true });
    const init = tf.tensor1d([0.5, -1, 2]);
    const w = tf.variable(init); // shares init's buffer until init is disposed
    init.dispose();
    const optimizer = new AdamW(new Map([['w', w]]), { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0 });
    const g = tf.tensor1d([1, -2, 0.5]);
    const before = Array.from(await w.data()); // a copy read back: it must not be served after the update
    const { kernels } = await tf.profile(() => optimizer.step({ [w.name]: g }, 0.1));
    expect(kernels.map(k => k.name)).toEqual(['ZerosLike', 'ZerosLike']); // m and v, made at the first gradient; the update itself runs no tfjs kernel
    // Adam's first step moves every weight by lr against the gradient's sign
    expect(maxAbsDiff(await w.data(), before.map((x, i) => x - 0.1 * Math.sign([1, -2, 0.5][i])))).toBeLessThan(1e-5);
    const shared = w.clone(); // the same GPU buffer as w: writing it in place would change `shared` too
    const kept = Array.from(await shared.data());
    const second = await tf.profile(() => optimizer.step({ [w.name]: g }, 0.1));
    expect(second.kernels.map(k => k.name)).toContain('LlmLabAdamW');
    expect(Array.from(await shared.data())).toEqual(kept);
    expect(maxAbsDiff(await w.data(), kept)).toBeGreaterThan(0.05);
    tf.dispose([w, g, shared]);
    optimizer.dispose();
  });
});
