/**
 * WebGPU (Dawn) against the cpu backend, op by op, forward and backward (test/conformance).
 * In CI this runs on a software Vulkan adapter (scripts/lavapipe.sh), never skipped.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { releaseWebgpu, useDevice } from '../../kernel-lib/src/backend';
import { fused } from '../../kernel-lib/src/kernels/fused';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { describeConformance } from '../conformance/suite';

afterAll(async () => {
  await useDevice('cpu', { quiet: true });
  releaseWebgpu();
});

describeConformance('webgpu');

describe('webgpu fused kernels', () => {
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
});
