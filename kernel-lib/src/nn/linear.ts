import * as tf from '@tensorflow/tfjs';
import { Init } from './init';
import { Module } from './module';

/** y = x W + b, on the last axis. W is [in, out] (the GPT-2 "Conv1D" layout). */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(init: Init, readonly inFeatures: number, readonly outFeatures: number, options: { std?: number; bias?: boolean } = {}) {
    super();
    this.weight = this.addParameter('weight', init.randn([inFeatures, outFeatures], options.std ?? 0.02));
    this.bias = options.bias === false ? null : this.addParameter('bias', init.zeros([outFeatures]));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const lead = x.shape.slice(0, -1); // (B, T) for x of shape (B, T, in)
    const y = tf.matMul(x.reshape([-1, this.inFeatures]), this.weight); // (B*T, out)
    return (this.bias ? y.add(this.bias) : y).reshape([...lead, this.outFeatures]);
  }
}

/**
 * What a layer that stands where a Linear stood must offer (LoRA wraps a Linear, a quantized
 * layer replaces it): the sizes, and forward on the last axis.
 */
export interface LinearLike extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  forward(x: tf.Tensor): tf.Tensor;
}
