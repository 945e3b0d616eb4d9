import * as tf from '@tensorflow/tfjs';
import { fastPath, fusedGelu } from '../device';
import { Linear } from './linear';
import { Params } from './params';

/** GELU, tanh approximation (as in GPT-2): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (fastPath.gelu()) return fusedGelu(x); // the same formula in one kernel (device/fused.ts)
  const cube = x.mul(x).mul(x); // x^3 (tf.pow is 5x slower on wasm)
  const inner = x.add(cube.mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  return x.mul(0.5).mul(inner.tanh().add(1));
}

/** Position-wise feed-forward: expand to 4 x d_model, GELU, project back. */
export class MLP {
  readonly cFc: Linear;
  readonly cProj: Linear;

  constructor(params: Params, name: string, dModel: number, residualStd: number) {
    this.cFc = new Linear(params, `${name}.c_fc`, dModel, 4 * dModel);
    this.cProj = new Linear(params, `${name}.c_proj`, 4 * dModel, dModel, { std: residualStd });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.cProj.forward(gelu(this.cFc.forward(x))); // (B, T, C) -> (B, T, 4C) -> (B, T, C)
  }
}

/**
 * SwiGLU feed-forward (LLaMA, PaLM): two projections up, one passed through SiLU (x sigmoid(x))
 * and used as a gate on the other, then one projection down:  down(silu(gate(x)) * up(x)).
 * `hidden` is usually 8/3 x d_model, so that it has as many weights as a 4x GELU MLP.
 */
export class SwiGLU {
  readonly gate: Linear;
  readonly up: Linear;
  readonly down: Linear;

  constructor(params: Params, name: string, dModel: number, hidden: number, residualStd: number) {
    this.gate = new Linear(params, `${name}.gate_proj`, dModel, hidden, { bias: false });
    this.up = new Linear(params, `${name}.up_proj`, dModel, hidden, { bias: false });
    this.down = new Linear(params, `${name}.down_proj`, hidden, dModel, { bias: false, std: residualStd });
  }

  forward(x: tf.Tensor): tf.Tensor {
    const g = this.gate.forward(x);
    return this.down.forward(g.mul(tf.sigmoid(g)).mul(this.up.forward(x)));
  }
}

