/**
 * Bottleneck adapters (Houlsby et al. 2019, "Parameter-Efficient Transfer Learning for NLP"): a
 * small network put into every block, twice, right after the projection that ends the attention
 * and after the one that ends the MLP, before the residual addition:
 *
 *   h = base(x)                          (B, T, C)   the frozen projection
 *   h + up(f(down(h)))                   (B, T, C)   down: C -> m, f: the nonlinearity, up: m -> C
 *
 * The bottleneck m is small (C / 16 or less), so 2 m C numbers per adapter train. `up` starts at
 * zero: the adapter starts as the identity and the model as the base.
 */
import * as tf from '@tensorflow/tfjs';
import { Init } from '../nn/init';
import { Linear, LinearLike } from '../nn/linear';
import { gelu } from '../nn/mlp';
import { Module } from '../nn/module';

export type AdapterNonLinearity = 'gelu' | 'relu';

export class BottleneckAdapter extends Module implements LinearLike {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly base: LinearLike;
  readonly down: Linear;
  readonly up: Linear;

  constructor(base: LinearLike, init: Init, readonly bottleneckSize: number, readonly nonLinearity: AdapterNonLinearity = 'gelu') {
    super();
    this.base = this.addModule('base_layer', base);
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.down = this.addModule('adapter_down', new Linear(init, base.outFeatures, bottleneckSize, { std: 0.02 }));
    this.up = this.addModule('adapter_up', new Linear(init, bottleneckSize, base.outFeatures, { std: 0 }));
  }

  /** x (..., in) -> (..., out): the base layer's output plus the adapter's correction of it. */
  forward(x: tf.Tensor): tf.Tensor {
    const h = this.base.forward(x);
    const squeezed = this.down.forward(h); // (..., m)
    const activated = this.nonLinearity === 'relu' ? tf.relu(squeezed) : gelu(squeezed);
    return h.add(this.up.forward(activated));
  }
}
