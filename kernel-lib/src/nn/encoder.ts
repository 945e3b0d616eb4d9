import * as tf from '@tensorflow/tfjs';
import { Block } from './block';
import { DecoderBlock } from './decoderBlock';
import { Dropout, DropoutConfig } from './dropout';
import { Embedding } from './embedding';
import { Init } from './init';
import { LayerNorm } from './layerNorm';
import { Module, ModuleList } from './module';

/** Embeddings a stack owns (they may be built earlier than the stack: the seeded init follows build order). */
export interface StackEmbeddings {
  /** Token embeddings (BERT's encoder holds them; a seq2seq model shares one table outside). */
  wte?: Embedding;
  /** Learned position embeddings; absent with RoPE. */
  wpe?: Embedding | null;
}

/**
 * The encoder stack shared by BERT and the seq2seq model: nLayer blocks whose attention reads in
 * both directions (every token sees the whole text), then a final LayerNorm. Its forward works on
 * vectors (B, T, C): the model embeds the tokens (embedInput in nn/embedding.ts), and the stack's
 * first step is dropout on those vectors (`drop`, GPT-2's embd_pdrop; in training mode only).
 */
export class Encoder extends Module {
  readonly wte: Embedding | null;
  readonly wpe: Embedding | null;
  readonly drop: Dropout;
  readonly h: ModuleList<Block>;
  readonly lnF: LayerNorm;

  constructor(init: Init, nLayer: number, dModel: number, nHead: number, residualStd: number, options: { rope?: boolean; dropout?: DropoutConfig } & StackEmbeddings = {}) {
    super();
    this.wte = options.wte ? this.addModule('wte', options.wte) : null;
    this.wpe = options.wpe ? this.addModule('wpe', options.wpe) : null;
    this.drop = this.addModule('drop', new Dropout(options.dropout));
    this.h = this.addModule('h', new ModuleList(Array.from({ length: nLayer }, () => new Block(init, dModel, nHead, residualStd, { causal: false, rope: options.rope, dropout: options.dropout }))));
    this.lnF = this.addModule('ln_f', new LayerNorm(init, dModel));
  }

  /** x (B, T, C) -> (B, T, C), and each layer's attention weights (B, nh, T, T); `mask` (paddingMask) hides padding keys. */
  forward(x: tf.Tensor, mask?: tf.Tensor): { output: tf.Tensor; attentions: tf.Tensor[] } {
    x = this.drop.forward(x); // the embedded input
    const attentions: tf.Tensor[] = [];
    for (const block of this.h) {
      const { output, attention } = block.forward(x, mask);
      x = output;
      attentions.push(attention);
    }
    return { output: this.lnF.forward(x), attentions };
  }
}

/**
 * The decoder stack of an encoder-decoder model: causal blocks that also read the encoder's
 * output through cross-attention, then a final LayerNorm. As in the Encoder, dropout on the
 * embedded input comes first (`drop`, in training mode only).
 */
export class Decoder extends Module {
  readonly wpe: Embedding | null;
  readonly drop: Dropout;
  readonly h: ModuleList<DecoderBlock>;
  readonly lnF: LayerNorm;

  constructor(init: Init, nLayer: number, dModel: number, nHead: number, residualStd: number, options: { rope?: boolean; wpe?: Embedding | null; dropout?: DropoutConfig } = {}) {
    super();
    this.wpe = options.wpe ? this.addModule('wpe', options.wpe) : null;
    this.drop = this.addModule('drop', new Dropout(options.dropout));
    this.h = this.addModule('h', new ModuleList(Array.from({ length: nLayer }, () => new DecoderBlock(init, dModel, nHead, residualStd, { rope: options.rope, dropout: options.dropout }))));
    this.lnF = this.addModule('ln_f', new LayerNorm(init, dModel));
  }

  /**
   * x (B, T, C) and memory, the encoder's output (B, S, C) -> (B, T, C) after the final norm, and
   * each layer's self- and cross-attention weights; `srcMask` hides the source's padding.
   */
  forward(x: tf.Tensor, memory: tf.Tensor, srcMask?: tf.Tensor): { output: tf.Tensor; attentions: tf.Tensor[]; crossAttentions: tf.Tensor[] } {
    const attentions: tf.Tensor[] = [];
    const crossAttentions: tf.Tensor[] = [];
    x = this.drop.forward(x); // the embedded input
    for (const block of this.h) {
      const r = block.forward(x, memory, srcMask);
      x = r.output;
      attentions.push(r.attention);
      crossAttentions.push(r.crossAttention);
    }
    return { output: this.lnF.forward(x), attentions, crossAttentions };
  }
}
