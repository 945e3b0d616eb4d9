import * as tf from '@tensorflow/tfjs';
import { CausalSelfAttention, LayerCache } from './attention';
import { DropoutConfig } from './dropout';
import { LayerNorm } from './layerNorm';
import { MLP } from './mlp';
import { Init } from './init';
import { Module } from './module';

/**
 * A pre-LayerNorm transformer block: x + attn(ln(x)), then x + mlp(ln(x)). With `mlp: false` it is
 * attention only (no ln_2, no MLP): the setting in which induction heads are studied. `dropout`
 * goes to the attention and the MLP (on the attention weights and on both residual branches).
 */
export class Block extends Module {
  readonly ln1: LayerNorm;
  readonly attn: CausalSelfAttention;
  readonly ln2: LayerNorm | null;
  readonly mlp: MLP | null;

  constructor(init: Init, dModel: number, nHead: number, residualStd: number, options: { causal?: boolean; mlp?: boolean; rope?: boolean; dropout?: DropoutConfig } = {}) {
    super();
    this.ln1 = this.addModule('ln_1', new LayerNorm(init, dModel));
    this.attn = this.addModule('attn', new CausalSelfAttention(init, dModel, nHead, residualStd, { causal: options.causal, rope: options.rope, dropout: options.dropout }));
    const withMlp = options.mlp ?? true;
    this.ln2 = withMlp ? this.addModule('ln_2', new LayerNorm(init, dModel)) : null;
    this.mlp = withMlp ? this.addModule('mlp', new MLP(init, dModel, residualStd, options.dropout)) : null;
  }

  /** h + mlp(ln(h)), or h itself in an attention-only block. */
  private feedForward(h: tf.Tensor): tf.Tensor {
    return this.mlp && this.ln2 ? h.add(this.mlp.forward(this.ln2.forward(h))) : h;
  }

  /** x (B, T, C) -> (B, T, C), plus this block's attention weights (B, nh, T, T). */
  forward(x: tf.Tensor, mask?: tf.Tensor): { output: tf.Tensor; attention: tf.Tensor } {
    const { output: attended, weights } = this.attn.forward(this.ln1.forward(x), mask);
    return { output: this.feedForward(x.add(attended)), attention: weights };
  }

  /** forward() for new tokens after cached ones (see CausalSelfAttention.forwardCached). */
  forwardCached(x: tf.Tensor, cache: LayerCache | null): { output: tf.Tensor; cache: LayerCache } {
    const { output: attended, cache: next } = this.attn.forwardCached(this.ln1.forward(x), cache);
    return { output: this.feedForward(x.add(attended)), cache: next };
  }
}
