import * as tf from '@tensorflow/tfjs';
import { CausalSelfAttention, LayerCache } from './attention';
import { LayerNorm } from './layerNorm';
import { MLP } from './mlp';
import { Params } from './params';

/** A pre-LayerNorm transformer block: x + attn(ln(x)), then x + mlp(ln(x)). */
export class Block {
  readonly ln1: LayerNorm;
  readonly attn: CausalSelfAttention;
  readonly ln2: LayerNorm;
  readonly mlp: MLP;

  constructor(params: Params, name: string, dModel: number, nHead: number, residualStd: number, options: { causal?: boolean } = {}) {
    this.ln1 = new LayerNorm(params, `${name}.ln_1`, dModel);
    this.attn = new CausalSelfAttention(params, `${name}.attn`, dModel, nHead, residualStd, options);
    this.ln2 = new LayerNorm(params, `${name}.ln_2`, dModel);
    this.mlp = new MLP(params, `${name}.mlp`, dModel, residualStd);
  }

  /** x (B, T, C) -> (B, T, C), plus this block's attention weights (B, nh, T, T). */
  forward(x: tf.Tensor, mask?: tf.Tensor): { output: tf.Tensor; attention: tf.Tensor } {
    const { output: attended, weights } = this.attn.forward(this.ln1.forward(x), mask);
    const h = x.add(attended);
    return { output: h.add(this.mlp.forward(this.ln2.forward(h))), attention: weights };
  }

  /** forward() for new tokens after cached ones (see CausalSelfAttention.forwardCached). */
  forwardCached(x: tf.Tensor, cache: LayerCache | null): { output: tf.Tensor; cache: LayerCache } {
    const { output: attended, cache: next } = this.attn.forwardCached(this.ln1.forward(x), cache);
    const h = x.add(attended);
    return { output: h.add(this.mlp.forward(this.ln2.forward(h))), cache: next };
  }
}
