/**
 * A decoder-only transformer (GPT): token + learned position embeddings, a stack of pre-LayerNorm
 * blocks with causal self-attention, a final LayerNorm, and an LM head tied to the token
 * embedding (as in GPT-2). Shapes: B batch, T time (tokens), C channels (nEmbd), V vocabulary.
 *
 * As in Hugging Face: the backbone (`transformer`, GPT2Model) returns hidden states; heads turn
 * them into answers (`lm_head` here; fine-tuning and alignment add a classifier, a reward or a
 * value head beside it with addModule).
 */
import * as tf from '@tensorflow/tfjs';
import { LayerCache } from '../nn/attention';
import { Block } from '../nn/block';
import { checkDropoutConfig, Dropout, modelDropout } from '../nn/dropout';
import { Embedding, embedInput, ModelInput } from '../nn/embedding';
import { TiedLMHead } from '../nn/heads';
import { Init, isSeed, MAX_SEED } from '../nn/init';
import { LayerNorm } from '../nn/layerNorm';
import { crossEntropy } from '../nn/loss';
import { Module, ModuleList } from '../nn/module';

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
  /**
   * Dropout rate in [0, 1) (default 0): GPT-2's embd_pdrop, attn_pdrop and resid_pdrop in one. It
   * acts in training mode only (model.train(); a model starts in eval mode, see nn/module.ts).
   */
  dropout?: number;
  /** Seed of the dropout masks (default: seed). */
  dropoutSeed?: number;
}

export function checkGPTConfig(c: GPTConfig): void {
  for (const k of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`GPT config: ${k} must be a positive integer, got ${c[k]}`);
  }
  if (c.nEmbd % c.nHead !== 0) {
    throw new Error(`GPT config: nEmbd (d_model = ${c.nEmbd}) must be divisible by nHead (${c.nHead}); ${c.nEmbd} / ${c.nHead} = ${(c.nEmbd / c.nHead).toFixed(2)}`);
  }
  if (!isSeed(c.seed)) throw new Error(`GPT config: seed must be an integer in [0, ${MAX_SEED}], got ${c.seed}`);
  if (c.mlp !== undefined && typeof c.mlp !== 'boolean') throw new Error(`GPT config: mlp must be true or false, got ${JSON.stringify(c.mlp)}`);
  checkDropoutConfig('GPT config', c);
}

/** What forwardCached keeps between calls: keys and values of every layer, for `length` tokens. */
export interface KVCache {
  length: number;
  layers: LayerCache[];
}

export interface ForwardOptions {
  /** Return the attention weights of every layer. */
  attentions?: boolean;
  /** Return the residual stream before every block and after the last one. */
  hiddenStates?: boolean;
}

export interface BackboneOutput {
  /** The last block's output after the final LayerNorm (B, T, C): what the heads read. */
  hidden: tf.Tensor;
  /** Attention weights per layer, each (B, nh, T, T); only when asked for. */
  attentions?: tf.Tensor[];
  /** Residual stream (B, T, C): the input of every block, then the last block's output (nLayer + 1); only when asked for. */
  hiddenStates?: tf.Tensor[];
}

export interface GPTOutput {
  logits: tf.Tensor; // (B, T, V)
  attentions?: tf.Tensor[];
  hiddenStates?: tf.Tensor[];
}

/** The GPT without its head (Hugging Face's GPT2Model): ids or vectors in, hidden states out. */
export class GPTBackbone extends Module {
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly drop: Dropout;
  readonly h: ModuleList<Block>;
  readonly lnF: LayerNorm;

  constructor(init: Init, readonly config: GPTConfig) {
    super();
    const { vocabSize, blockSize, nLayer, nHead, nEmbd } = config;
    // GPT-2 scales the init of the projections into the residual stream by 1/sqrt(2 * nLayer).
    const residualStd = 0.02 / Math.sqrt(2 * nLayer);
    const dropout = modelDropout(config); // one rate and one mask stream for every dropout of the model
    this.wte = this.addModule('wte', new Embedding(init, vocabSize, nEmbd));
    this.wpe = this.addModule('wpe', new Embedding(init, blockSize, nEmbd));
    this.drop = this.addModule('drop', new Dropout(dropout));
    this.h = this.addModule('h', new ModuleList(Array.from({ length: nLayer }, () => new Block(init, nEmbd, nHead, residualStd, { mlp: config.mlp ?? true, dropout }))));
    this.lnF = this.addModule('ln_f', new LayerNorm(init, nEmbd));
  }

  /** ids (B, T) int32, or { inputsEmbeds } (B, T, C) -> hidden states (B, T, C). */
  forward(input: ModelInput, options: ForwardOptions = {}): BackboneOutput {
    const T = checkInput('GPT.forward', input, this.config);
    if (T > this.config.blockSize) {
      throw new Error(`GPT.forward: sequence length ${T} is longer than the context blockSize ${this.config.blockSize}`);
    }
    let x = this.drop.forward(embedInput(this.wte, this.wpe, input)); // (B, T, C)
    const attentions: tf.Tensor[] = [];
    const hiddenStates: tf.Tensor[] = [x];
    for (const block of this.h) {
      const { output, attention } = block.forward(x);
      x = output;
      if (options.attentions) attentions.push(attention);
      hiddenStates.push(x);
    }
    return { hidden: this.lnF.forward(x), ...(options.attentions && { attentions }), ...(options.hiddenStates && { hiddenStates }) };
  }

  /**
   * Hidden states for new tokens ids (B, T_new) that follow the `cache.length` tokens already in
   * the cache, and the cache extended by them (see GPT.forwardCached).
   */
  forwardCached(ids: tf.Tensor, cache: KVCache | null): { hidden: tf.Tensor; cache: KVCache } {
    if (ids.rank !== 2) throw new Error(`GPT.forwardCached: ids must have shape (B, T), got shape [${ids.shape}]`);
    const T = ids.shape[1]!;
    const past = cache?.length ?? 0;
    if (past + T > this.config.blockSize) {
      throw new Error(`GPT.forwardCached: ${past} cached + ${T} new tokens do not fit in the context blockSize ${this.config.blockSize}`);
    }
    let x = this.drop.forward(embedInput(this.wte, this.wpe, ids, past)); // positions continue from the cache
    const layers = this.h.map((block, i) => {
      const r = block.forwardCached(x, cache?.layers[i] ?? null);
      x = r.output;
      return r.cache;
    });
    return { hidden: this.lnF.forward(x), cache: { length: past + T, layers } };
  }
}

/** The shape checks every model's forward makes: ids (B, T) or inputsEmbeds (B, T, nEmbd); returns T. */
export function checkInput(where: string, input: ModelInput, config: { nEmbd: number }): number {
  if (input instanceof tf.Tensor) {
    if (input.rank !== 2) throw new Error(`${where}: ids must have shape (B, T), got shape [${input.shape}]`);
    return input.shape[1]!;
  }
  const e = input.inputsEmbeds;
  if (!(e instanceof tf.Tensor) || e.rank !== 3 || e.shape[2] !== config.nEmbd) {
    throw new Error(`${where}: inputsEmbeds must have shape (B, T, nEmbd ${config.nEmbd}), got ${e instanceof tf.Tensor ? `shape [${e.shape}]` : typeof e}`);
  }
  return e.shape[1]!;
}

/** A GPT: the backbone (`transformer`) and the language-model head tied to its token embedding (`lm_head`). */
export class GPT extends Module {
  readonly config: GPTConfig;
  readonly transformer: GPTBackbone;
  readonly lmHead: TiedLMHead;

  constructor(config: GPTConfig) {
    checkGPTConfig(config);
    super();
    this.config = { ...config };
    this.transformer = this.addModule('transformer', new GPTBackbone(new Init(config.seed), this.config));
    this.lmHead = this.addModule('lm_head', new TiedLMHead(this.transformer.wte));
  }

  /** ids (B, T) int32 (or { inputsEmbeds }) -> logits (B, T, V), and the attention weights of every layer if asked. */
  forward(input: ModelInput, options: ForwardOptions = {}): GPTOutput {
    const { hidden, ...rest } = this.transformer.forward(input, options);
    return { logits: this.lmHead.forward(hidden), ...rest };
  }

  /**
   * Logits for new tokens ids (B, T_new) that follow the `cache.length` tokens already in the
   * cache, and the cache extended by them. Start with cache = null. Positions continue from
   * cache.length; together they must fit in blockSize.
   */
  forwardCached(ids: tf.Tensor, cache: KVCache | null): { logits: tf.Tensor; cache: KVCache } {
    const { hidden, cache: next } = this.transformer.forwardCached(ids, cache);
    return { logits: this.lmHead.forward(hidden), cache: next };
  }

  /**
   * Mean next-token cross-entropy of ids (B, T) against targets (B, T); targets of -1 get no loss.
   * Only the scalar outlives the call (a notebook that scores many windows leaks nothing).
   */
  loss(ids: tf.Tensor, targets: tf.Tensor): tf.Scalar {
    return tf.tidy(() => {
      const { logits } = this.forward(ids);
      const V = this.config.vocabSize;
      return crossEntropy(logits.reshape([-1, V]) as tf.Tensor2D, targets.reshape([-1]) as tf.Tensor1D);
    });
  }
}
