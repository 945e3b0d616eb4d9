import * as tf from '@tensorflow/tfjs';
import { Block } from './block';
import { LayerNorm } from './layerNorm';
import { Params } from './params';

/**
 * The encoder stack shared by BERT and the seq2seq model: nLayer blocks whose attention reads in
 * both directions (every token sees the whole text), then a final LayerNorm. It works on vectors
 * (B, T, C); the embeddings belong to the model, which may share them with a decoder.
 */
export class Encoder {
  readonly h: Block[];
  readonly lnF: LayerNorm;

  constructor(params: Params, name: string, nLayer: number, dModel: number, nHead: number, residualStd: number, options: { rope?: boolean } = {}) {
    this.h = Array.from({ length: nLayer }, (_, i) => new Block(params, `${name}.h.${i}`, dModel, nHead, residualStd, { causal: false, rope: options.rope }));
    this.lnF = new LayerNorm(params, `${name}.ln_f`, dModel);
  }

  /** x (B, T, C) -> (B, T, C), and each layer's attention weights (B, nh, T, T); `mask` (paddingMask) hides padding keys. */
  forward(x: tf.Tensor, mask?: tf.Tensor): { output: tf.Tensor; attentions: tf.Tensor[] } {
    const attentions: tf.Tensor[] = [];
    for (const block of this.h) {
      const { output, attention } = block.forward(x, mask);
      x = output;
      attentions.push(attention);
    }
    return { output: this.lnF.forward(x), attentions };
  }
}
