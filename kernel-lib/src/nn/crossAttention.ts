import * as tf from '@tensorflow/tfjs';
import { AttentionResult, mergeHeads, scaledDotProductAttention, splitHeads } from './attention';
import { Init } from './init';
import { Linear, LinearLike } from './linear';
import { Module } from './module';
import { rope } from './positions';

/**
 * Multi-head cross-attention (encoder-decoder attention): the queries come from the decoder's
 * tokens, the keys and values from the encoder's output, so each target token reads the source.
 * No causal mask: the whole source is known before decoding starts; `mask` (paddingMask of the
 * source lengths) hides the source's padding. Names follow Hugging Face GPT-2 with
 * add_cross_attention: q_attn makes the queries, c_attn the keys and values.
 * With `rope: true` a query is turned by its target position and a key by its source position, so
 * the scores know where a target token stands relative to a source token (copying aligns easily).
 */
export class CrossAttention extends Module {
  readonly qAttn: LinearLike;
  readonly cAttn: LinearLike;
  readonly cProj: LinearLike;
  readonly rope: boolean;

  constructor(init: Init, readonly dModel: number, readonly nHead: number, residualStd: number, options: { rope?: boolean } = {}) {
    super();
    this.rope = options.rope ?? false;
    this.qAttn = this.addModule('q_attn', new Linear(init, dModel, dModel));
    this.cAttn = this.addModule('c_attn', new Linear(init, dModel, 2 * dModel));
    this.cProj = this.addModule('c_proj', new Linear(init, dModel, dModel, { std: residualStd }));
  }

  /** x (B, T_tgt, C), memory (B, T_src, C) -> output (B, T_tgt, C), weights (B, nh, T_tgt, T_src). */
  forward(x: tf.Tensor, memory: tf.Tensor, mask?: tf.Tensor): AttentionResult {
    const q = splitHeads(this.qAttn.forward(x), this.nHead); // (B, nh, T_tgt, hs)
    const [k, v] = tf.split(this.cAttn.forward(memory), 2, -1).map(t => splitHeads(t, this.nHead)); // 2 x (B, nh, T_src, hs)
    const { output, weights } = this.rope ? scaledDotProductAttention(rope(q), rope(k), v, mask) : scaledDotProductAttention(q, k, v, mask);
    return { output: this.cProj.forward(mergeHeads(output)), weights };
  }
}
