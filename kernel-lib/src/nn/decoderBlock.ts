import * as tf from '@tensorflow/tfjs';
import { CausalSelfAttention } from './attention';
import { CrossAttention } from './crossAttention';
import { DropoutConfig } from './dropout';
import { LayerNorm } from './layerNorm';
import { MLP } from './mlp';
import { Init } from './init';
import { Module } from './module';

/**
 * A decoder block of an encoder-decoder transformer, pre-LayerNorm: the Block of a GPT with a
 * cross-attention between its two halves.
 *   x + causal self-attention(ln(x)),  then + cross-attention(ln(x), encoder output),  then + mlp(ln(x))
 * `dropout` goes to the self-attention and the MLP (the cross-attention has none).
 */
export class DecoderBlock extends Module {
  readonly ln1: LayerNorm;
  readonly attn: CausalSelfAttention;
  readonly lnCrossAttn: LayerNorm;
  readonly crossAttn: CrossAttention;
  readonly ln2: LayerNorm;
  readonly mlp: MLP;

  constructor(init: Init, dModel: number, nHead: number, residualStd: number, options: { rope?: boolean; dropout?: DropoutConfig } = {}) {
    super();
    this.ln1 = this.addModule('ln_1', new LayerNorm(init, dModel));
    this.attn = this.addModule('attn', new CausalSelfAttention(init, dModel, nHead, residualStd, options));
    this.lnCrossAttn = this.addModule('ln_cross_attn', new LayerNorm(init, dModel));
    this.crossAttn = this.addModule('crossattention', new CrossAttention(init, dModel, nHead, residualStd, { rope: options.rope }));
    this.ln2 = this.addModule('ln_2', new LayerNorm(init, dModel));
    this.mlp = this.addModule('mlp', new MLP(init, dModel, residualStd, options.dropout));
  }

  /**
   * x (B, T_tgt, C), memory = the encoder's output (B, T_src, C), srcMask hides source padding.
   * Returns (B, T_tgt, C) and the weights of both attentions: (B, nh, T_tgt, T_tgt), (B, nh, T_tgt, T_src).
   */
  forward(x: tf.Tensor, memory: tf.Tensor, srcMask?: tf.Tensor): { output: tf.Tensor; attention: tf.Tensor; crossAttention: tf.Tensor } {
    const self = this.attn.forward(this.ln1.forward(x));
    const h = x.add(self.output);
    const cross = this.crossAttn.forward(this.lnCrossAttn.forward(h), memory, srcMask);
    const h2 = h.add(cross.output);
    return { output: h2.add(this.mlp.forward(this.ln2.forward(h2))), attention: self.weights, crossAttention: cross.weights };
  }
}
