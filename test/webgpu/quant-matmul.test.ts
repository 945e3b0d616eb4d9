/**
 * The dequantizing matrix product in WGSL (device/quantMatMulWebgpu.ts) against the readable path
 * on the cpu: int8 (per tensor, per channel, zero-point), int4, nf4, odd sizes; and a quantized
 * GPT's logits on webgpu equal to the cpu's.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useDevice } from '../../kernel-lib/src/device/backend';
import { quantMatMulApplies } from '../../kernel-lib/src/device/quantMatMul';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { QuantizedLinear, quantizeModel } from '../../kernel-lib/src/quant';
import { describeQuantConformance } from '../conformance/quant';
import { relativeError } from '../conformance/suite';
import { releaseWebgpuAfterAll } from './release';

releaseWebgpuAfterAll();

describeQuantConformance('webgpu');

describe('a quantized GPT on webgpu', () => {
  it('gives the logits of the same quantized GPT on the cpu, through the WGSL kernel', async () => {
    const ids = [[1, 5, 9, 2, 7, 3, 8, 4]];
    const logitsOn = async (backend: 'cpu' | 'webgpu') => {
      await useDevice(backend, { quiet: true });
      const model = new GPT({ vocabSize: 23, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 32, seed: 3 });
      quantizeModel(model, { method: 'nf4', groupSize: 32 });
      const input = tf.tensor2d(ids, [1, 8], 'int32');
      const profile = await tf.profile(() => model.forward(input).logits);
      const out = tf.tidy(() => model.forward(input).logits);
      const logits = (await out.data()) as Float32Array;
      out.dispose();
      input.dispose();
      for (const [, m] of model.namedModules()) if (m instanceof QuantizedLinear) m.dispose();
      model.dispose();
      return { logits, kernels: profile.kernelNames };
    };
    const cpu = await logitsOn('cpu');
    const gpu = await logitsOn('webgpu');
    expect(quantMatMulApplies(8)).toBe(true);
    expect(gpu.kernels).toContain('LlmLabQuantMatMul');
    expect(relativeError(gpu.logits, cpu.logits)).toBeLessThan(1e-4);
  });
});
