import * as tf from '@tensorflow/tfjs';
import { Init } from './init';
import { Module } from './module';

/**
 * RMSNorm (used by LLaMA and most recent models): divide each vector by its root mean square, then
 * scale. Unlike LayerNorm it does not subtract the mean and has no shift: cheaper, and in practice
 * as good.   y = x / sqrt(mean(x^2) + eps) * gamma
 */
export function rmsNorm(x: tf.Tensor, gamma: tf.Tensor, eps = 1e-6): tf.Tensor {
  return x.mul(x.square().mean(-1, true).add(eps).rsqrt()).mul(gamma);
}

export class RMSNorm extends Module {
  readonly weight: tf.Variable;

  constructor(init: Init, dim: number, readonly eps = 1e-6) {
    super();
    this.weight = this.addParameter('weight', init.ones([dim]));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }
}
