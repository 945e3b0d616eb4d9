import * as tf from '@tensorflow/tfjs';
import { fastPath, fusedGelu } from '../device';
import { Dropout, DropoutConfig } from './dropout';
import { Init } from './init';
import { Linear, LinearLike } from './linear';
import { Module } from './module';

/** GELU, tanh approximation (as in GPT-2): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (fastPath.gelu()) return fusedGelu(x); // the same formula in one kernel (device/fused.ts)
  const cube = x.mul(x).mul(x); // x^3 (tf.pow is 5x slower on wasm)
  const inner = x.add(cube.mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  return x.mul(0.5).mul(inner.tanh().add(1));
}

/** Position-wise feed-forward: expand to 4 x d_model, GELU, project back (then dropout, in training mode). */
export class MLP extends Module {
  readonly cFc: LinearLike;
  readonly cProj: LinearLike;
  readonly dropout: Dropout;

  constructor(init: Init, dModel: number, residualStd: number, dropout?: DropoutConfig) {
    super();
    this.cFc = this.addModule('c_fc', new Linear(init, dModel, 4 * dModel));
    this.cProj = this.addModule('c_proj', new Linear(init, 4 * dModel, dModel, { std: residualStd }));
    this.dropout = this.addModule('dropout', new Dropout(dropout));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.dropout.forward(this.cProj.forward(gelu(this.cFc.forward(x)))); // (B, T, C) -> (B, T, 4C) -> (B, T, C)
  }
}

/**
 * SwiGLU feed-forward (LLaMA, PaLM): two projections up, one passed through SiLU (x sigmoid(x))
 * and used as a gate on the other, then one projection down:  down(silu(gate(x)) * up(x)).
 * `hidden` is usually 8/3 x d_model, so that it has as many weights as a 4x GELU MLP.
 */
export class SwiGLU extends Module {
  readonly gate: LinearLike;
  readonly up: LinearLike;
  readonly down: LinearLike;

  constructor(init: Init, dModel: number, hidden: number, residualStd: number) {
    super();
    this.gate = this.addModule('gate_proj', new Linear(init, dModel, hidden, { bias: false }));
    this.up = this.addModule('up_proj', new Linear(init, dModel, hidden, { bias: false }));
    this.down = this.addModule('down_proj', new Linear(init, hidden, dModel, { bias: false, std: residualStd }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const g = this.gate.forward(x);
    return this.down.forward(g.mul(tf.sigmoid(g)).mul(this.up.forward(x)));
  }
}

