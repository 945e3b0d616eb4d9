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
 *
 * It is given the model's parameters, and keeps m and v only for those that receive a gradient:
 * a frozen parameter (model.freeze) never gets any, so it costs no optimizer memory.
 */
export class AdamW {
  private readonly params: [string, tf.Variable][];
  private readonly state = new Map<tf.Variable, { m: tf.Variable; v: tf.Variable }>();
  /** Number of updates done so far (Adam's bias correction needs it). */
  t = 0;

  constructor(params: Iterable<[string, tf.Variable]>, readonly config: AdamWConfig) {
    this.params = [...params];
  }

  /** m and v of p, made (zeros) at its first gradient. */
  private moments(p: tf.Variable): { m: tf.Variable; v: tf.Variable } {
    let s = this.state.get(p);
    if (!s) {
      s = { m: zerosVariable(p), v: zerosVariable(p) };
      this.state.set(p, s);
    }
    return s;
  }

  /** The parameters that have optimizer state, by name, and the numbers it holds (m and v). */
  stateSize(): { parameters: string[]; numbers: number } {
    const named = this.params.filter(([, p]) => this.state.has(p));
    return { parameters: named.map(([name]) => name), numbers: named.reduce((n, [, p]) => n + 2 * p.size, 0) };
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
      for (const [, p] of this.params) {
        const gradient = grads[p.name]; // tfjs keys gradients by variable name
        if (!gradient) continue; // frozen or unused parameter
        const { m, v } = this.moments(p);
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
    for (const { m, v } of this.state.values()) tf.dispose([m, v]);
    this.state.clear();
  }
}
