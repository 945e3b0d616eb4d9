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
import { modelDropout } from '../nn/dropout';
import { Embedding, embedInput, ModelInput } from '../nn/embedding';
import { Encoder } from '../nn/encoder';
import { TiedLMHead } from '../nn/heads';
import { Init } from '../nn/init';
import { crossEntropy } from '../nn/loss';
import { Module } from '../nn/module';
import { checkGPTConfig, checkInput, GPTConfig } from './gpt';

/** The same sizes (and dropout) as a GPT, and how positions are told to the model (default 'rope'). */
export interface BERTConfig extends Omit<GPTConfig, 'mlp'> {
  positions?: 'rope' | 'learned';
}

/** A BERT: the encoder (backbone, with the token embeddings) and the LM head tied to them. */
export class BERT extends Module {
  readonly config: BERTConfig;
  /** The backbone: token (and, with learned positions, position) embeddings, the blocks, the final LayerNorm. */
  readonly encoder: Encoder;
  readonly lmHead: TiedLMHead;

  constructor(config: BERTConfig) {
    checkGPTConfig(config);
    const positions = config.positions ?? 'rope';
    if (positions !== 'rope' && positions !== 'learned') throw new Error(`BERT config: positions must be "rope" or "learned", got ${JSON.stringify(config.positions)}`);
    super();
    this.config = { ...config, positions };
    const { vocabSize, blockSize, nLayer, nHead, nEmbd } = config;
    const init = new Init(config.seed);
    const residualStd = 0.02 / Math.sqrt(2 * nLayer);
    const wte = new Embedding(init, vocabSize, nEmbd);
    const wpe = positions === 'learned' ? new Embedding(init, blockSize, nEmbd) : null;
    this.encoder = this.addModule('encoder', new Encoder(init, nLayer, nEmbd, nHead, residualStd, { rope: positions === 'rope', wte, wpe, dropout: modelDropout(config) }));
    this.lmHead = this.addModule('lm_head', new TiedLMHead(wte));
  }

  /** ids (B, T) (or { inputsEmbeds }) -> hidden states (B, T, C) after the final LayerNorm; `mask` (paddingMask) hides padding keys. */
  hidden(input: ModelInput, mask?: tf.Tensor): tf.Tensor {
    const T = checkInput('BERT.forward', input, this.config);
    if (T > this.config.blockSize) throw new Error(`BERT.forward: sequence length ${T} is longer than the context blockSize ${this.config.blockSize}`);
    return this.encoder.forward(embedInput(this.encoder.wte!, this.encoder.wpe, input), mask).output;
  }

  /** ids (B, T) -> logits (B, T, V) for every position; `mask` (paddingMask) hides padding keys. */
  forward(input: ModelInput, mask?: tf.Tensor): tf.Tensor {
    return this.lmHead.forward(this.hidden(input, mask));
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
}
