import * as tf from '@tensorflow/tfjs';
import { fastPath, fusedLayerNorm } from '../device';
import { Init } from './init';
import { Module } from './module';

/** Normalize each vector on the last axis to mean 0, variance 1, then scale and shift. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  if (fastPath.layerNorm(x.shape[x.rank - 1])) return fusedLayerNorm(x, gamma, beta, eps); // one kernel (device/fused.ts)
  const mean = x.mean(-1, true);
  const centered = x.sub(mean);
  const variance = centered.square().mean(-1, true);
  return centered.mul(variance.add(eps).rsqrt()).mul(gamma).add(beta);
}

export class LayerNorm extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(init: Init, dim: number, readonly eps = 1e-5) {
    super();
    this.weight = this.addParameter('weight', init.ones([dim]));
    this.bias = this.addParameter('bias', init.zeros([dim]));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}
