/**
 * IA3 (Liu et al. 2022, "Few-Shot Parameter-Efficient Fine-Tuning is Better and Cheaper than
 * In-Context Learning"): "Infused Adapter by Inhibiting and Amplifying Inner Activations". Three
 * learned vectors per block rescale what the block computes, number by number:
 *
 *   keys    k · l_k      values  v · l_v      (the attention's c_attn output, q left as it is)
 *   MLP     GELU(x W_fc) · l_ff               (the input of the MLP's c_proj)
 *
 * The vectors start at 1 (the base model), and only 2 C + 4 C numbers per block train: the
 * fewest of all the course's methods.
 */
import * as tf from '@tensorflow/tfjs';
import { Init } from '../nn/init';
import { LinearLike } from '../nn/linear';
import { Module } from '../nn/module';

/** Which numbers an IA3 vector scales: a layer's input (the MLP's hidden activation) or part of its output. */
export type IA3Scaling = { scale: 'input' } | { scale: 'output'; skip: number };

export class IA3Linear extends Module implements LinearLike {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly base: LinearLike;
  /** The learned scales: (in) for the input, (out - skip) for the output's last numbers. */
  readonly vector: tf.Variable;

  constructor(base: LinearLike, init: Init, readonly scaling: IA3Scaling) {
    super();
    this.base = this.addModule('base_layer', base);
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    const size = scaling.scale === 'input' ? base.inFeatures : base.outFeatures - scaling.skip;
    if (!(size >= 1)) throw new Error(`IA3: nothing to scale: the layer has ${base.outFeatures} outputs and ${scaling.scale === 'output' ? scaling.skip : 0} are left unscaled`);
    this.vector = this.addParameter('ia3_l', init.ones([size]));
  }

  /** x (..., in) -> (..., out), with the input or the output's last (out - skip) numbers scaled. */
  forward(x: tf.Tensor): tf.Tensor {
    if (this.scaling.scale === 'input') return this.base.forward(x.mul(this.vector));
    const y = this.base.forward(x);
    if (this.scaling.skip === 0) return y.mul(this.vector);
    const ones = tf.ones([this.scaling.skip]); // q: unscaled
    return y.mul(tf.concat([ones, this.vector]));
  }
}
