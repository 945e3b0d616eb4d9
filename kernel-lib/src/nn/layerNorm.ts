import * as tf from '@tensorflow/tfjs';
import { fastPath, fusedLayerNorm } from '../device';
import { Params } from './params';

/** Normalize each vector on the last axis to mean 0, variance 1, then scale and shift. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  if (fastPath.layerNorm(x.shape[x.rank - 1])) return fusedLayerNorm(x, gamma, beta, eps); // one kernel (device/fused.ts)
  const mean = x.mean(-1, true);
  const centered = x.sub(mean);
  const variance = centered.square().mean(-1, true);
  return centered.mul(variance.add(eps).rsqrt()).mul(gamma).add(beta);
}

export class LayerNorm {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(params: Params, name: string, dim: number, readonly eps = 1e-5) {
    this.weight = params.ones(`${name}.weight`, [dim]);
    this.bias = params.zeros(`${name}.bias`, [dim]);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}
