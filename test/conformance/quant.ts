/** The quantized products the conformance tests run on every backend: each method at odd sizes. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useDevice, type BackendName } from '../../kernel-lib/src/device/backend';
import { fused } from '../../kernel-lib/src/device/fused';
import { JS_QUANT_MAX_ROWS, quantMatMulApplies } from '../../kernel-lib/src/device/quantMatMul';
import { Init } from '../../kernel-lib/src/nn/init';
import { Linear } from '../../kernel-lib/src/nn/linear';
import { QuantConfig, QuantizedLinear } from '../../kernel-lib/src/quant';
import { maxAbsDiff } from '../unit/helpers';
import { relativeError } from './suite';

/** Each method at an odd size (K, N not multiples of 4 or 8; groups crossing channel boundaries). */
export const QUANT_CASES: { name: string; K: number; N: number; config: QuantConfig }[] = [
  { name: 'int8 per tensor', K: 13, N: 7, config: { method: 'int8' } },
  { name: 'int8 per channel', K: 13, N: 7, config: { method: 'int8-channel' } },
  { name: 'int8 zero-point', K: 13, N: 7, config: { method: 'int8-zeropoint' } },
  { name: 'int4, groups of 7 across channels', K: 9, N: 7, config: { method: 'int4', groupSize: 7 } },
  { name: 'nf4, odd count of codes (last byte half used)', K: 5, N: 3, config: { method: 'nf4', groupSize: 5 } },
  { name: 'nf4, blocks of 64 with double quantization', K: 160, N: 48, config: { method: 'nf4' } }
];

/** A Linear [K, N] with weights of std 0.5 and a random bias. */
export function linearOf(K: number, N: number, seed = 7): Linear {
  const linear = new Linear(new Init(seed), K, N, { std: 0.5 });
  tf.tidy(() => linear.bias!.assign(tf.randomNormal([N], 0, 0.1, 'float32', seed)));
  return linear;
}

/** y = layer(x) and dx for the loss sum(y * ramp), ramp growing along y's entries; x (rows, K) random, the same each call. */
export async function forwardAndGrad(layer: QuantizedLinear, rows: number): Promise<{ y: Float32Array; dx: Float32Array }> {
  const [y, dx] = tf.tidy(() => {
    const x = tf.randomNormal([rows, layer.inFeatures], 0, 1, 'float32', 3);
    const weights = tf.range(0, rows * layer.outFeatures).reshape([rows, layer.outFeatures]).div(rows * layer.outFeatures);
    const { grads } = tf.valueAndGrads((input: tf.Tensor) => layer.forward(input).mul(weights).sum())([x]);
    return [layer.forward(x), grads[0]];
  });
  const out = { y: (await y.data()) as Float32Array, dx: (await dx.data()) as Float32Array }; // (webgpu reads back asynchronously only)
  tf.dispose([y, dx]);
  return out;
}

/**
 * Every case on `backend` with the dequantizing kernel against the readable path on the cpu
 * (x · dequant(W) + b in tfjs's own kernels): forward and the gradient to x, at a number of rows
 * the kernel takes (webgpu: 6, not a multiple of the 4 rows a thread takes).
 */
export function describeQuantConformance(backend: BackendName): void {
  describe(`${backend}: the dequantizing kernel matches the readable path`, () => {
    for (const c of QUANT_CASES) {
      it(`${backend}: ${c.name} (K ${c.K}, N ${c.N}), forward and gradient`, async () => {
        await useDevice('cpu', { quiet: true });
        const rows = backend === 'webgpu' ? 6 : JS_QUANT_MAX_ROWS - 1;
        const linear = linearOf(c.K, c.N);
        const layer = QuantizedLinear.fromLinear(linear, c.config);
        fused.enabled = false;
        let reference: { y: Float32Array; dx: Float32Array };
        try {
          reference = await forwardAndGrad(layer, rows);
        } finally {
          fused.enabled = true;
        }
        await useDevice(backend, { quiet: true });
        expect(quantMatMulApplies(rows)).toBe(true);
        const profile = await tf.profile(() => forwardAndGrad(layer, rows));
        expect(profile.kernelNames).toContain('LlmLabQuantMatMul');
        expect(profile.kernelNames).toContain('LlmLabQuantMatMulT');
        const got = await forwardAndGrad(layer, rows);
        expect(relativeError(got.y, reference.y), 'forward').toBeLessThan(1e-5);
        expect(relativeError(got.dx, reference.dx), 'dx').toBeLessThan(1e-5);
        expect(maxAbsDiff(got.y, reference.y)).toBeLessThan(1e-4);
        linear.dispose();
        layer.dispose();
      });
    }
  });
}
