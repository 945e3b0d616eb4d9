/**
 * QuantizedLinear and the dequantizing matrix product (device/quantMatMul.ts) on cpu and wasm:
 * forward = x · dequant(W) + b, the kernel against the readable path for every method and odd
 * sizes, gradients to x and none to the packed weight, and no tensor left behind.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { useDevice } from '../../kernel-lib/src/device/backend';
import { fused } from '../../kernel-lib/src/device/fused';
import { quantMatMulApplies, JS_QUANT_MAX_ROWS } from '../../kernel-lib/src/device/quantMatMul';
import { Init } from '../../kernel-lib/src/nn/init';
import { Linear } from '../../kernel-lib/src/nn/linear';
import { dequantize, QuantizedLinear } from '../../kernel-lib/src/quant';
import { describeQuantConformance, forwardAndGrad, linearOf, QUANT_CASES } from '../conformance/quant';
import { relativeError } from '../conformance/suite';

afterAll(() => useDevice('cpu', { quiet: true }));

/** The naive reference: x · dequant(W) + b and its gradient dy · dequant(W)^T, in plain loops. */
function naive(layer: QuantizedLinear, rows: number): { y: Float32Array; dx: Float32Array } {
  const [K, N] = [layer.inFeatures, layer.outFeatures];
  const W = dequantize(layer.weight);
  const b = layer.bias!.dataSync();
  const x = tf.tidy(() => tf.randomNormal([rows, K], 0, 1, 'float32', 3).dataSync());
  const y = new Float32Array(rows * N);
  const dx = new Float32Array(rows * K);
  for (let m = 0; m < rows; m++) {
    for (let n = 0; n < N; n++) {
      let s = b[n];
      const dy = (m * N + n) / (rows * N);
      for (let k = 0; k < K; k++) {
        s += x[m * K + k] * W[k * N + n];
        dx[m * K + k] += dy * W[k * N + n];
      }
      y[m * N + n] = s;
    }
  }
  return { y, dx };
}

describe('QuantizedLinear', () => {
  it('forward is x · dequant(W) + b, on the readable path and through the kernel (cpu)', async () => {
    await useDevice('cpu', { quiet: true });
    for (const c of QUANT_CASES) {
      const linear = linearOf(c.K, c.N);
      const layer = QuantizedLinear.fromLinear(linear, c.config);
      const reference = naive(layer, 3);
      for (const enabled of [false, true]) {
        fused.enabled = enabled;
        try {
          expect(quantMatMulApplies(3), c.name).toBe(enabled);
          const got = await forwardAndGrad(layer, 3);
          expect(relativeError(got.y, reference.y), `${c.name} forward, kernel ${enabled}`).toBeLessThan(1e-5);
          expect(relativeError(got.dx, reference.dx), `${c.name} dx, kernel ${enabled}`).toBeLessThan(1e-5);
        } finally {
          fused.enabled = true;
        }
      }
      linear.dispose();
      layer.dispose();
    }
  });

  it('holds no weight parameter: only the bias, frozen; the Linear it came from is left as it was', async () => {
    await useDevice('cpu', { quiet: true });
    const linear = linearOf(16, 8);
    const w = linear.weight.dataSync().slice();
    const layer = QuantizedLinear.fromLinear(linear, { method: 'nf4', groupSize: 16 });
    expect(layer.namedParameters().map(([n]) => n)).toEqual(['bias']);
    expect(layer.trainableParameters()).toEqual([]);
    expect(Array.from(layer.bias!.dataSync())).toEqual(Array.from(linear.bias!.dataSync()));
    expect(Array.from(linear.weight.dataSync())).toEqual(Array.from(w));
    expect(layer.storageBytes()).toBe(64 + 8 + 4 + 4); // 128 codes in 64 bytes; 8 block scales in 8 bits, 1 float32 scale for them, the offset
    expect([layer.inFeatures, layer.outFeatures]).toEqual([16, 8]);
    linear.dispose();
    layer.dispose();
  });

  it('passes gradients to x under a trainable layer above it (LoRA-style), none to its own weight', async () => {
    await useDevice('cpu', { quiet: true });
    const linear = linearOf(16, 8);
    const base = QuantizedLinear.fromLinear(linear, { method: 'int4', groupSize: 16 });
    const a = tf.variable(tf.randomNormal([4, 16], 0, 1, 'float32', 1)); // trains; feeds x
    const { grads } = tf.variableGrads(() => base.forward(a.matMul(tf.ones([16, 16]))).square().sum());
    expect(Object.keys(grads)).toEqual([a.name]);
    expect(Math.max(...Array.from(grads[a.name].abs().dataSync()))).toBeGreaterThan(0);
    tf.dispose(grads);
    a.dispose();
    linear.dispose();
    base.dispose();
  });

  it('leaves no tensor behind: forward, backward, dispose (cpu and wasm, kernel and readable path)', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await useDevice(backend, { quiet: true });
      const before = tf.memory().numTensors;
      const linear = linearOf(13, 7);
      const layer = QuantizedLinear.fromLinear(linear, { method: 'int8-zeropoint' });
      linear.dispose();
      for (const rows of [2, JS_QUANT_MAX_ROWS + 1]) await forwardAndGrad(layer, rows);
      layer.dispose();
      expect(tf.memory().numTensors, backend).toBe(before);
    }
  });
});

describeQuantConformance('cpu');
describeQuantConformance('wasm');

describe('the one rule for the dequantizing kernel', () => {
  it(`cpu and wasm: products of more than ${JS_QUANT_MAX_ROWS} rows take the readable path, fewer take the kernel`, async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await useDevice(backend, { quiet: true });
      expect(quantMatMulApplies(JS_QUANT_MAX_ROWS), backend).toBe(true);
      expect(quantMatMulApplies(JS_QUANT_MAX_ROWS + 1)).toBe(false);
      const linear = linearOf(16, 8);
      const layer = QuantizedLinear.fromLinear(linear, { method: 'nf4', groupSize: 16 });
      const x = tf.ones([JS_QUANT_MAX_ROWS + 1, 16]);
      const profile = await tf.profile(() => layer.forward(x));
      expect(profile.kernelNames, backend).not.toContain('LlmLabQuantMatMul');
      expect(profile.kernelNames).toContain('BatchMatMul');
      tf.dispose(x);
      linear.dispose();
      layer.dispose();
    }
  });
});
