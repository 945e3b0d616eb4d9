/**
 * UnsortedSegmentSum for the cpu backend: the gradient of an embedding lookup (tf.gather).
 *
 * tfjs-backend-cpu builds it from whole-tensor operations, once per segment: for every row of the
 * table (every token of the vocabulary) it compares all ids, masks and sums the whole gradient.
 * With a vocabulary of 1,024 that is 1,024 passes over the gradient; it took most of a cpu training
 * step. This version makes one pass: row r of x is added into row ids[r] of the result.
 */
import * as tf from '@tensorflow/tfjs';

interface CpuBackend {
  data: { get(dataId: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

let installed = false;

export function installCpuSegmentSum(): void {
  const original = tf.getKernel('UnsortedSegmentSum', 'cpu');
  if (installed || !original) return;
  installed = true;
  tf.unregisterKernel('UnsortedSegmentSum', 'cpu');
  tf.registerKernel({
    ...original,
    kernelFunc: args => {
      const { inputs, backend, attrs } = args as unknown as { inputs: { x: tf.TensorInfo; segmentIds: tf.TensorInfo }; backend: CpuBackend; attrs: { numSegments: number } };
      const { x, segmentIds } = inputs;
      // the embedding case; anything else goes to tfjs's version
      if (x.dtype !== 'float32' || segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0]) return original.kernelFunc(args);
      const N = x.shape[0];
      const D = N === 0 ? 0 : tf.util.sizeFromShape(x.shape) / N;
      const values = backend.data.get(x.dataId).values;
      const ids = backend.data.get(segmentIds.dataId).values;
      const out = new Float32Array(attrs.numSegments * D);
      for (let r = 0; r < N; r++) {
        const id = ids[r];
        if (id < 0 || id >= attrs.numSegments) continue; // as tfjs: ids outside the range add nothing
        for (let d = 0, src = r * D, dst = id * D; d < D; d++) out[dst + d] += values[src + d];
      }
      return backend.makeTensorInfo([attrs.numSegments, ...x.shape.slice(1)], 'float32', out);
    }
  });
}
