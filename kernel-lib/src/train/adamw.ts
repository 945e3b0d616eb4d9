import * as tf from '@tensorflow/tfjs';
import { fastPath, fusedAdamWUpdate } from '../device';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay, applied to matrices only (not to biases and LayerNorm gains). */
  weightDecay: number;
}

/** A non-trainable variable of zeros shaped like p (the starting tensor is not kept). */
function zerosVariable(p: tf.Tensor): tf.Variable {
  const zeros = tf.zerosLike(p);
  const v = tf.variable(zeros, false);
  zeros.dispose();
  return v;
}

/**
 * AdamW (Loshchilov & Hutter): Adam's per-weight step sizes from running averages of the
 * gradient (m) and its square (v), plus weight decay applied directly to the weights.
 */
export class AdamW {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  /** Number of updates done so far (Adam's bias correction needs it). */
  t = 0;

  constructor(private readonly params: Map<string, tf.Variable>, readonly config: AdamWConfig) {
    for (const [name, p] of params) {
      this.m.set(name, zerosVariable(p));
      this.v.set(name, zerosVariable(p));
    }
  }

  /**
   * Apply one update; `grads` as tf.variableGrads returns them (keyed by variable name), each
   * multiplied by `gradScale` first (what gradient clipping asks for: see train/clip.ts).
   */
  step(grads: tf.NamedTensorMap, lr: number, gradScale = 1): void {
    const { beta1, beta2, eps, weightDecay } = this.config;
    this.t += 1;
    const c1 = 1 - beta1 ** this.t; // bias corrections: m and v start at 0
    const c2 = 1 - beta2 ** this.t;
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const gradient = grads[p.name]; // tfjs keys gradients by variable name
        if (!gradient) continue; // frozen or unused parameter
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        if (fastPath.adamw()) {
          // the same update in one kernel (device/index.ts)
          fusedAdamWUpdate(p, gradient, m, v, { lr, beta1, beta2, c1, c2, eps, weightDecay: p.rank >= 2 ? weightDecay : 0, gradScale });
          continue;
        }
        const g = gradScale === 1 ? gradient : gradient.mul(gradScale);
        m.assign(m.mul(beta1).add(g.mul(1 - beta1)));
        v.assign(v.mul(beta2).add(g.square().mul(1 - beta2)));
        let update = m.div(c1).div(v.div(c2).sqrt().add(eps));
        if (weightDecay > 0 && p.rank >= 2) update = update.add(p.mul(weightDecay));
        p.assign(p.sub(update.mul(lr)));
      }
    });
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
