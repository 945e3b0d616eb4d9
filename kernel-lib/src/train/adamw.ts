import * as tf from '@tensorflow/tfjs';
import { adamwInPlace, fastPath, fusedAdamWUpdate, updatesInPlace } from '../device';
import type { ParamSettings } from './paramGroups';

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
 * Parameters in a group (train/paramGroups.ts) take the group's learning rate (as a multiple of
 * the step's) and weight decay.
 */
export class AdamW {
  private readonly params: [string, tf.Variable][];
  private readonly state = new Map<tf.Variable, { m: tf.Variable; v: tf.Variable }>();
  /** Number of updates done so far (Adam's bias correction needs it). */
  t = 0;
  /**
   * What undo() puts back: the tensors the last step() replaced, the parameters whose p, m and v it
   * wrote in place after copying them (into `before`), and the moments it created.
   */
  private undoRecord: { saved: [tf.Variable, tf.Tensor][]; copied: tf.Variable[]; created: tf.Variable[] } | null = null;
  /**
   * Where an undoable update on webgpu copies p, m and v before writing them in place: three
   * tensors shaped like p per parameter, made once and written again every step (3x the
   * parameters' memory, kept only while undoable steps run in place).
   */
  private readonly before = new Map<tf.Variable, [tf.Tensor, tf.Tensor, tf.Tensor]>();

  constructor(
    params: Iterable<[string, tf.Variable]>,
    readonly config: AdamWConfig,
    private readonly groups: ReadonlyMap<tf.Variable, ParamSettings> = new Map()
  ) {
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

  /** The copies of p, m and v an in-place update of p makes (see `before`). */
  private beforeOf(p: tf.Variable): [tf.Tensor, tf.Tensor, tf.Tensor] {
    let copies = this.before.get(p);
    if (!copies) {
      copies = [tf.keep(tf.zerosLike(p)), tf.keep(tf.zerosLike(p)), tf.keep(tf.zerosLike(p))];
      this.before.set(p, copies);
    }
    return copies;
  }

  /** m and v of p, if it has them yet (what a checkpoint or a test reads). */
  momentsOf(p: tf.Variable): { m: tf.Variable; v: tf.Variable } | undefined {
    return this.state.get(p);
  }

  /** The parameters that have optimizer state, by name, and the numbers it holds (m and v). */
  stateSize(): { parameters: string[]; numbers: number } {
    const named = this.params.filter(([, p]) => this.state.has(p));
    return { parameters: named.map(([name]) => name), numbers: named.reduce((n, [, p]) => n + 2 * p.size, 0) };
  }

  /**
   * Apply one update; `grads` as tf.variableGrads returns them (keyed by variable name), each
   * multiplied by `gradScale` first (what gradient clipping asks for: see train/clip.ts).
   * With `undoable`, undo() can take it back: the tensors it replaces are kept rather than
   * freed (where an update assigns new tensors, cpu and wasm, that copies nothing); where it writes
   * them in place (webgpu), it copies them first, in the same dispatch.
   */
  step(grads: tf.NamedTensorMap, lr: number, gradScale = 1, options: { undoable?: boolean } = {}): void {
    const { beta1, beta2, eps, weightDecay } = this.config;
    this.forgetUndo();
    if (!options.undoable || !updatesInPlace()) this.dropBefore(); // (also after a move off webgpu)
    const record = options.undoable ? { saved: [] as [tf.Variable, tf.Tensor][], copied: [] as tf.Variable[], created: [] as tf.Variable[] } : null;
    this.t += 1;
    const c1 = 1 - beta1 ** this.t; // bias corrections: m and v start at 0
    const c2 = 1 - beta2 ** this.t;
    tf.tidy(() => {
      for (const [, p] of this.params) {
        const gradient = grads[p.name]; // tfjs keys gradients by variable name
        if (!gradient) continue; // frozen or unused parameter
        if (record && !this.state.has(p)) record.created.push(p);
        const { m, v } = this.moments(p);
        const group = this.groups.get(p);
        const lrP = group ? lr * group.lrScale : lr;
        const decay = p.rank >= 2 ? (group?.weightDecay ?? weightDecay) : 0; // matrices only
        const settings = { lr: lrP, beta1, beta2, c1, c2, eps, weightDecay: decay, gradScale };
        if (record && updatesInPlace() && adamwInPlace(p, gradient, m, v, settings, this.beforeOf(p))) {
          record.copied.push(p);
          continue;
        }
        if (record) for (const t of [p, m, v]) record.saved.push([t, tf.keep(t.clone())]);
        if (fastPath.adamw()) {
          // the same update in one kernel (device/index.ts)
          fusedAdamWUpdate(p, gradient, m, v, settings);
          continue;
        }
        const g = gradScale === 1 ? gradient : gradient.mul(gradScale);
        m.assign(m.mul(beta1).add(g.mul(1 - beta1)));
        v.assign(v.mul(beta2).add(g.square().mul(1 - beta2)));
        let update = m.div(c1).div(v.div(c2).sqrt().add(eps));
        if (decay > 0) update = update.add(p.mul(decay));
        p.assign(p.sub(update.mul(lrP)));
      }
    });
    this.undoRecord = record;
  }

  /**
   * Take back the last step(): the parameters and moments it changed get their values from before
   * it, and the moments it made are dropped. False when there is nothing to undo.
   */
  undo(): boolean {
    const record = this.undoRecord;
    if (!record) return false;
    for (const [t, before] of record.saved) t.assign(before);
    for (const p of record.copied) {
      // p, m and v take over the copies' buffers, each as their only user, so the next update
      // runs in place again (new copies are made then)
      const { m, v } = this.state.get(p)!;
      const copies = this.before.get(p)!;
      [p, m, v].forEach((t, i) => t.assign(copies[i]));
      tf.dispose(copies);
      this.before.delete(p);
    }
    for (const p of record.created) {
      const s = this.state.get(p)!;
      tf.dispose([s.m, s.v]);
      this.state.delete(p);
    }
    this.t -= 1;
    this.forgetUndo();
    return true;
  }

  /** Drop what the last step kept for undo(). */
  forgetUndo(): void {
    if (this.undoRecord) tf.dispose(this.undoRecord.saved.map(([, before]) => before));
    this.undoRecord = null;
  }

  /** Free the copies in-place updates make for undo(). */
  private dropBefore(): void {
    for (const copies of this.before.values()) tf.dispose(copies);
    this.before.clear();
  }

  dispose(): void {
    this.forgetUndo();
    this.dropBefore();
    for (const { m, v } of this.state.values()) tf.dispose([m, v]);
    this.state.clear();
  }
}
