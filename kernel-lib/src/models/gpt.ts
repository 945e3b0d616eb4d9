/**
 * A decoder-only transformer (GPT): token + learned position embeddings, a stack of pre-LayerNorm
 * blocks with causal self-attention, a final LayerNorm, and an LM head tied to the token
 * embedding (as in GPT-2). Shapes: B batch, T time (tokens), C channels (nEmbd), V vocabulary.
 */
import * as tf from '@tensorflow/tfjs';
import { LayerCache } from '../nn/attention';
import { Block } from '../nn/block';
import { Embedding } from '../nn/embedding';
import { LayerNorm } from '../nn/layerNorm';
import { crossEntropy } from '../nn/loss';
import { Params } from '../nn/params';

export interface GPTConfig {
  vocabSize: number;
  /** Context length: the most tokens the model sees at once. */
  blockSize: number;
  nLayer: number;
  nHead: number;
  /** d_model: the width of every token's vector. */
  nEmbd: number;
  /** Seed of the initial weights. */
  seed: number;
  /** Blocks with an MLP (default true); false makes an attention-only transformer (induction heads). */
  mlp?: boolean;
}

export function checkGPTConfig(c: GPTConfig): void {
  for (const k of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`GPT config: ${k} must be a positive integer, got ${c[k]}`);
  }
  if (c.nEmbd % c.nHead !== 0) {
    throw new Error(`GPT config: nEmbd (d_model = ${c.nEmbd}) must be divisible by nHead (${c.nHead}); ${c.nEmbd} / ${c.nHead} = ${(c.nEmbd / c.nHead).toFixed(2)}`);
  }
  if (!Number.isInteger(c.seed)) throw new Error(`GPT config: seed must be an integer, got ${c.seed}`);
  if (c.mlp !== undefined && typeof c.mlp !== 'boolean') throw new Error(`GPT config: mlp must be true or false, got ${JSON.stringify(c.mlp)}`);
}

/** What forwardCached keeps between calls: keys and values of every layer, for `length` tokens. */
export interface KVCache {
  length: number;
  layers: LayerCache[];
}

export interface GPTOutput {
  logits: tf.Tensor; // (B, T, V)
  /** Attention weights per layer, each (B, nh, T, T); only when asked for. */
  attentions?: tf.Tensor[];
  /** Residual stream (B, T, C): the input of every block, then the last block's output (nLayer + 1); only when asked for. */
  hiddenStates?: tf.Tensor[];
}

export class GPT {
  readonly config: GPTConfig;
  readonly params: Params;
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly h: Block[];
  readonly lnF: LayerNorm;

  constructor(config: GPTConfig) {
    checkGPTConfig(config);
    this.config = { ...config };
    const { vocabSize, blockSize, nLayer, nHead, nEmbd } = config;
    this.params = new Params(config.seed);
    // GPT-2 scales the init of the projections into the residual stream by 1/sqrt(2 * nLayer).
    const residualStd = 0.02 / Math.sqrt(2 * nLayer);
    this.wte = new Embedding(this.params, 'transformer.wte', vocabSize, nEmbd);
    this.wpe = new Embedding(this.params, 'transformer.wpe', blockSize, nEmbd);
    this.h = Array.from({ length: nLayer }, (_, i) => new Block(this.params, `transformer.h.${i}`, nEmbd, nHead, residualStd, { mlp: config.mlp ?? true }));
    this.lnF = new LayerNorm(this.params, 'transformer.ln_f', nEmbd);
  }

  /** Number of trainable parameters (the LM head shares the token embedding). */
  numParams(): number {
    return this.params.count();
  }

  /** ids (B, T) int32 -> logits (B, T, V), and the attention weights of every layer if asked. */
  forward(ids: tf.Tensor, options: { attentions?: boolean; hiddenStates?: boolean } = {}): GPTOutput {
    if (ids.rank !== 2) throw new Error(`GPT.forward: ids must have shape (B, T), got shape [${ids.shape}]`);
    const [B, T] = ids.shape;
    if (T > this.config.blockSize) {
      throw new Error(`GPT.forward: sequence length ${T} is longer than the context blockSize ${this.config.blockSize}`);
    }
    const positions = tf.range(0, T, 1, 'int32').reshape([1, T]);
    let x = this.wte.forward(ids).add(this.wpe.forward(positions)); // (B, T, C) + (1, T, C)
    const attentions: tf.Tensor[] = [];
    const hiddenStates: tf.Tensor[] = [x];
    for (const block of this.h) {
      const { output, attention } = block.forward(x);
      x = output;
      if (options.attentions) attentions.push(attention);
      hiddenStates.push(x);
    }
    x = this.lnF.forward(x);
    const C = this.config.nEmbd;
    // Tied LM head: score every vocabulary entry by its dot product with the final vector.
    const logits = tf.matMul(x.reshape([B * T, C]), this.wte.weight, false, true).reshape([B, T, this.config.vocabSize]);
    return { logits, ...(options.attentions && { attentions }), ...(options.hiddenStates && { hiddenStates }) };
  }

  /**
   * Logits for new tokens ids (B, T_new) that follow the `cache.length` tokens already in the
   * cache, and the cache extended by them. Start with cache = null. Positions continue from
   * cache.length; together they must fit in blockSize.
   */
  forwardCached(ids: tf.Tensor, cache: KVCache | null): { logits: tf.Tensor; cache: KVCache } {
    if (ids.rank !== 2) throw new Error(`GPT.forwardCached: ids must have shape (B, T), got shape [${ids.shape}]`);
    const [B, T] = ids.shape;
    const past = cache?.length ?? 0;
    if (past + T > this.config.blockSize) {
      throw new Error(`GPT.forwardCached: ${past} cached + ${T} new tokens do not fit in the context blockSize ${this.config.blockSize}`);
    }
    const positions = tf.range(past, past + T, 1, 'int32').reshape([1, T]);
    let x = this.wte.forward(ids).add(this.wpe.forward(positions));
    const layers = this.h.map((block, i) => {
      const r = block.forwardCached(x, cache?.layers[i] ?? null);
      x = r.output;
      return r.cache;
    });
    x = this.lnF.forward(x);
    const C = this.config.nEmbd;
    const logits = tf.matMul(x.reshape([B * T, C]), this.wte.weight, false, true).reshape([B, T, this.config.vocabSize]);
    return { logits, cache: { length: past + T, layers } };
  }

  /** Mean next-token cross-entropy of ids (B, T) against targets (B, T). */
  loss(ids: tf.Tensor, targets: tf.Tensor): tf.Scalar {
    const { logits } = this.forward(ids);
    const V = this.config.vocabSize;
    return crossEntropy(logits.reshape([-1, V]) as tf.Tensor2D, targets.reshape([-1]) as tf.Tensor1D);
  }

  dispose(): void {
    this.params.dispose();
  }
}
