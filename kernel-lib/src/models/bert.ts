/**
 * An encoder-only transformer (BERT-style), trained by masked language modelling: the same blocks
 * as the GPT, but attention reads in both directions, so each position sees the whole text and the
 * model learns to fill in blanks (data/mlm.ts hides 15% of the tokens) rather than to continue a
 * text. Token embeddings, pre-LayerNorm blocks, a final LayerNorm and an output layer tied to the
 * token embedding (a simplification of BERT's: no extra transform).
 *
 * Positions: by default RoPE (`positions: 'rope'`, as modern encoders do), not BERT's learned
 * position embeddings (`positions: 'learned'`). Why: a hidden token's own vector says nothing about
 * it, so everything must come from attention to its neighbours, and attention must first learn
 * where the neighbours are. With learned positions that takes long: on Moby Dick characters
 * (2 layers, 400 steps of 32 windows) the loss stayed near the unigram level, 2.84-2.91 nats with
 * 20-24% right (d_model 96 at lr 3e-3, d_model 64 at lr 1e-2); with RoPE, which builds relative
 * distance into every score, it reaches 2.17 nats with 41% right after 300 steps (d_model 64,
 * lr 3e-3: test/learning/mlm-moby-dick.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { Block } from '../nn/block';
import { Embedding } from '../nn/embedding';
import { Encoder } from '../nn/encoder';
import { LayerNorm } from '../nn/layerNorm';
import { crossEntropy } from '../nn/loss';
import { Params } from '../nn/params';
import { checkGPTConfig, GPTConfig } from './gpt';

/** The same sizes as a GPT, and how positions are told to the model (default 'rope'). */
export interface BERTConfig extends Omit<GPTConfig, 'mlp'> {
  positions?: 'rope' | 'learned';
}

export class BERT {
  readonly config: BERTConfig;
  readonly params: Params;
  readonly wte: Embedding;
  /** Learned position embeddings; null with RoPE. */
  readonly wpe: Embedding | null;
  /** The blocks and final LayerNorm (nn/encoder.ts, shared with the seq2seq model). */
  readonly encoder: Encoder;
  readonly h: Block[];
  readonly lnF: LayerNorm;

  constructor(config: BERTConfig) {
    checkGPTConfig(config);
    const positions = config.positions ?? 'rope';
    if (positions !== 'rope' && positions !== 'learned') throw new Error(`BERT config: positions must be "rope" or "learned", got ${JSON.stringify(config.positions)}`);
    this.config = { ...config, positions };
    const { vocabSize, blockSize, nLayer, nHead, nEmbd } = config;
    this.params = new Params(config.seed);
    const residualStd = 0.02 / Math.sqrt(2 * nLayer);
    this.wte = new Embedding(this.params, 'encoder.wte', vocabSize, nEmbd);
    this.wpe = positions === 'learned' ? new Embedding(this.params, 'encoder.wpe', blockSize, nEmbd) : null;
    this.encoder = new Encoder(this.params, 'encoder', nLayer, nEmbd, nHead, residualStd, { rope: positions === 'rope' });
    this.h = this.encoder.h;
    this.lnF = this.encoder.lnF;
  }

  numParams(): number {
    return this.params.count();
  }

  /** ids (B, T) -> logits (B, T, V) for every position; `mask` (paddingMask) hides padding keys. */
  forward(ids: tf.Tensor, mask?: tf.Tensor): tf.Tensor {
    if (ids.rank !== 2) throw new Error(`BERT.forward: ids must have shape (B, T), got shape [${ids.shape}]`);
    const [B, T] = ids.shape;
    if (T > this.config.blockSize) throw new Error(`BERT.forward: sequence length ${T} is longer than the context blockSize ${this.config.blockSize}`);
    const tokens = this.wte.forward(ids); // (B, T, C)
    const x0 = this.wpe ? tokens.add(this.wpe.forward(tf.range(0, T, 1, 'int32').reshape([1, T]))) : tokens;
    const x = this.encoder.forward(x0, mask).output; // (B, T, C)
    const C = this.config.nEmbd;
    return tf.matMul(x.reshape([B * T, C]), this.wte.weight, false, true).reshape([B, T, this.config.vocabSize]);
  }

  /**
   * Masked-LM loss: cross-entropy at the positions with a label (labels >= 0, see maskTokens),
   * averaged over those positions only. input and labels: (B, T).
   */
  mlmLoss(input: tf.Tensor, labels: Int32Array, mask?: tf.Tensor): tf.Scalar {
    if (labels.length !== input.size) throw new Error(`BERT.mlmLoss: ${labels.length} labels for ${input.size} input tokens`);
    const picked: number[] = []; // flat positions that have a label
    for (let i = 0; i < labels.length; i++) if (labels[i] >= 0) picked.push(i);
    if (picked.length === 0) throw new Error('BERT.mlmLoss: no position has a label (all are -1)');
    const V = this.config.vocabSize;
    const logits = this.forward(input, mask).reshape([-1, V]);
    const rows = tf.gather(logits, tf.tensor1d(picked, 'int32')) as tf.Tensor2D;
    return crossEntropy(rows, tf.tensor1d(picked.map(i => labels[i]), 'int32'));
  }

  dispose(): void {
    this.params.dispose();
  }
}
