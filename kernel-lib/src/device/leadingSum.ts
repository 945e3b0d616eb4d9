/**
 * What the faster Sum kernels (wasm, cpu, webgpu) share: recognizing a sum over leading axes,
 * x (N, C) -> (C,), which is what a bias's gradient is (a sum over every token).
 */
import * as tf from '@tensorflow/tfjs';

export interface LeadingSum {
  /** rows summed, and values per row */
  N: number;
  C: number;
  /** the output's shape (keepDims or not) */
  shape: number[];
}

/** The sum's layout if it reduces exactly the leading axes of a float32 tensor, else null. */
export function leadingSum(x: tf.TensorInfo, attrs: { axis?: unknown; keepDims?: unknown }): LeadingSum | null {
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((a, b) => a - b);
  if (x.dtype !== 'float32' || !(axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i))) return null;
  const kept = x.shape.slice(axes.length);
  const C = tf.util.sizeFromShape(kept);
  return { N: tf.util.sizeFromShape(x.shape) / C, C, shape: attrs.keepDims ? [...axes.map(() => 1), ...kept] : kept };
}
