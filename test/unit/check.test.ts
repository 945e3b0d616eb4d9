import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../../kernel-lib/src/check';
import { setDisplaySink } from '../../kernel-lib/src/viz/display';
import { onCpu } from './helpers';

beforeAll(onCpu);
afterEach(() => setDisplaySink(null));

function captureDisplays(): Record<string, string>[] {
  const shown: Record<string, string>[] = [];
  setDisplaySink(m => shown.push(m.data));
  return shown;
}

describe('exercise checks', () => {
  it('passes a correct attention and shows a table of the shapes tried', async () => {
    const shown = captureDisplays();
    const mine = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor) =>
      tf.softmax(tf.matMul(q, k, false, true).div(Math.sqrt(q.shape[3]!)).add(mask)).matMul(v);
    const result = await check.attention(mine);
    expect(result.passed).toBe(true);
    expect(result.cases).toHaveLength(3);
    expect(shown[0]['text/plain']).toMatch(/^PASS scaled dot-product attention/);
    expect(shown[0]['text/html']).toContain('Passed');
  });

  it('fails a wrong one with the largest error and the hint, and keeps going after an exception', async () => {
    const shown = captureDisplays();
    const unscaled = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor) => tf.softmax(tf.matMul(q, k, false, true).add(mask)).matMul(v);
    const r = await check.attention(unscaled);
    expect(r.passed).toBe(false);
    expect(shown[0]['text/plain']).toContain('hint: scores = q k^T');
    const throwing = () => {
      throw new Error('<img src=x onerror=alert(1)> oops');
    };
    const tensors = tf.memory().numTensors;
    const t = await check.gelu(throwing);
    expect(t.cases[0].problem).toBe('threw: <img src=x onerror=alert(1)> oops');
    expect(shown[1]['text/html']).not.toContain('<img');
    expect(shown[1]['text/html']).toContain('&lt;img');
    expect(tf.memory().numTensors).toBe(tensors);
    // the largest error, not a mean: off by 0.01 everywhere and by 0.5 in one place is off by 0.5
    const spiked = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor) => {
      const y = tf.softmax(tf.matMul(q, k, false, true).div(Math.sqrt(q.shape[3]!)).add(mask)).matMul(v);
      return y.add(0.01).add(tf.oneHot(tf.tensor1d([0], 'int32'), y.size).reshape(y.shape).mul(0.49));
    };
    const s = await check.attention(spiked);
    s.cases.forEach(c => expect(c.maxError).toBeCloseTo(0.5, 5));
    expect(shown[2]['text/plain'].match(/max error 5\.0e-1/g)).toHaveLength(s.cases.length);
  });

  it('names a result of the wrong shape, and a missing return', async () => {
    captureDisplays();
    const r = await check.layerNorm(x => x.mean(-1));
    expect(r.cases[0].problem).toBe('shape [2], expected [2,4]');
    const none = await check.gelu((() => undefined) as unknown as (x: tf.Tensor) => tf.Tensor);
    expect(none.cases[0].problem).toBe('returned nothing, not a tensor');
  });
});
