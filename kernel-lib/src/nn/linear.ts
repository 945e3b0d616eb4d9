import * as tf from '@tensorflow/tfjs';
import { Params } from './params';

/** y = x W + b, on the last axis. W is [in, out] (the GPT-2 "Conv1D" layout). */
export class Linear {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(params: Params, name: string, inFeatures: number, outFeatures: number, options: { std?: number; bias?: boolean } = {}) {
    this.weight = params.randn(`${name}.weight`, [inFeatures, outFeatures], options.std ?? 0.02);
    this.bias = options.bias === false ? null : params.zeros(`${name}.bias`, [outFeatures]);
  }

  forward(x: tf.Tensor): tf.Tensor {
    const [inF, outF] = this.weight.shape;
    const lead = x.shape.slice(0, -1); // (B, T) for x of shape (B, T, in)
    const y = tf.matMul(x.reshape([-1, inF]), this.weight); // (B*T, out)
    return (this.bias ? y.add(this.bias) : y).reshape([...lead, outF]);
  }
}
