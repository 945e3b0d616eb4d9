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

/**
 * Learned vectors a model reads before every text: PEFT's prompt tuning (vectors put before the
 * text's token embeddings) and prefix tuning (keys and values put before the text's in every
 * attention layer). peft/ makes them; the backbone reads them through this interface only.
 */
export interface VirtualTokens extends Module {
  /** How many positions of the context the virtual tokens take. */
  readonly numVirtualTokens: number;
  /** Prompt tuning: the vectors (B, n, C) that come before the text's token embeddings. */
  promptEmbeddings?(batch: number): tf.Tensor;
  /** Prefix tuning: every layer's keys and values of the n virtual tokens, as a KV cache of length n. */
  pastKeyValues?(batch: number): KVCache;
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
  /** PEFT's prompt or prefix (see VirtualTokens), under `prompt_encoder`; null for a plain model. */
  virtualTokens: VirtualTokens | null = null;

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

  /** Put learned virtual tokens before every text (peft/'s prompt and prefix tuning); once per model. */
  addVirtualTokens(tokens: VirtualTokens): void {
    if (this.virtualTokens) throw new Error(`addVirtualTokens: the model already reads ${this.virtualTokens.numVirtualTokens} virtual tokens; a model takes one prompt or prefix`);
    if (!(Number.isInteger(tokens.numVirtualTokens) && tokens.numVirtualTokens >= 1 && tokens.numVirtualTokens < this.config.blockSize)) {
      throw new Error(`addVirtualTokens: numVirtualTokens must be an integer in [1, ${this.config.blockSize - 1}] (the context blockSize is ${this.config.blockSize}), got ${tokens.numVirtualTokens}`);
    }
    this.virtualTokens = this.addModule('prompt_encoder', tokens);
  }

  /** The most text tokens the model reads at once: the context less the virtual tokens. */
  get contextLength(): number {
    return this.config.blockSize - (this.virtualTokens?.numVirtualTokens ?? 0);
  }

  /** ids (B, T) int32, or { inputsEmbeds } (B, T, C) -> hidden states (B, T, C). */
  forward(input: ModelInput, options: ForwardOptions = {}): BackboneOutput {
    const T = checkInput('GPT.forward', input, this.config);
    this.checkFits('GPT.forward', 0, T);
    if (this.virtualTokens?.pastKeyValues) {
      // prefix tuning: the text comes after a cache of the prefix's keys and values
      if (options.attentions || options.hiddenStates) throw new Error('GPT.forward: a prefix-tuned model returns no attention weights or hidden states; merge or remove the prefix to look inside');
      return { hidden: this.forwardCached(input, null).hidden };
    }
    const n = this.virtualTokens?.numVirtualTokens ?? 0;
    let x = this.drop.forward(embedInput(this.wte, this.wpe, this.withPrompt(input))); // (B, n + T, C)
    const attentions: tf.Tensor[] = [];
    const hiddenStates: tf.Tensor[] = [x];
    for (const block of this.h) {
      const { output, attention } = block.forward(x);
      x = output;
      if (options.attentions) attentions.push(attention);
      hiddenStates.push(x);
    }
    const hidden = this.lnF.forward(x);
    return { hidden: n ? hidden.slice([0, n, 0], [-1, T, -1]) : hidden, ...(options.attentions && { attentions }), ...(options.hiddenStates && { hiddenStates }) };
  }

  /**
   * Hidden states for new tokens ids (B, T_new) that follow the `cache.length` tokens already in
   * the cache, and the cache extended by them (see GPT.forwardCached). Without a cache, a model
   * with virtual tokens starts from them: the cache then counts them too.
   */
  forwardCached(input: ModelInput, cache: KVCache | null): { hidden: tf.Tensor; cache: KVCache } {
    const T = checkInput('GPT.forwardCached', input, this.config);
    const prompt = !cache && this.virtualTokens?.promptEmbeddings ? this.virtualTokens.numVirtualTokens : 0;
    let start = cache;
    if (!cache && this.virtualTokens?.pastKeyValues) start = this.virtualTokens.pastKeyValues(batchOf(input));
    const past = start?.length ?? 0;
    this.checkFits('GPT.forwardCached', cache?.length ?? 0, T);
    let x = this.drop.forward(embedInput(this.wte, this.wpe, prompt ? this.withPrompt(input) : input, past)); // positions continue from the cache
    const layers = this.h.map((block, i) => {
      const r = block.forwardCached(x, start?.layers[i] ?? null);
      x = r.output;
      return r.cache;
    });
    const hidden = this.lnF.forward(x);
    return { hidden: prompt ? hidden.slice([0, prompt, 0], [-1, T, -1]) : hidden, cache: { length: past + prompt + T, layers } };
  }

  /** The input with the prompt's vectors before the text's embeddings (prompt tuning), or as it is. */
  private withPrompt(input: ModelInput): ModelInput {
    if (!this.virtualTokens?.promptEmbeddings) return input;
    const tokens = input instanceof tf.Tensor ? this.wte.forward(input) : input.inputsEmbeds; // (B, T, C)
    return { inputsEmbeds: tf.concat([this.virtualTokens.promptEmbeddings(tokens.shape[0]!), tokens], 1) }; // (B, n + T, C)
  }

  /** T new tokens after `past` cached ones must fit in the context, beside the virtual tokens. */
  private checkFits(where: string, past: number, T: number): void {
    const n = past === 0 ? this.virtualTokens?.numVirtualTokens ?? 0 : 0; // a cache already counts them
    if (past + n + T <= this.config.blockSize) return;
    const parts = [past && `${past} cached`, n && `${n} virtual`, `${T} new`].filter(Boolean).join(' + ');
    throw new Error(past || n
      ? `${where}: ${parts} tokens do not fit in the context blockSize ${this.config.blockSize}`
      : `${where}: sequence length ${T} is longer than the context blockSize ${this.config.blockSize}`);
  }
}

function batchOf(input: ModelInput): number {
  return (input instanceof tf.Tensor ? input : input.inputsEmbeds).shape[0]!;
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
  forwardCached(ids: ModelInput, cache: KVCache | null): { logits: tf.Tensor; cache: KVCache } {
    const { hidden, cache: next } = this.transformer.forwardCached(ids, cache);
    return { logits: this.lmHead.forward(hidden), cache: next };
  }

  /** The most text tokens the model reads at once: blockSize, less any virtual tokens (peft/). */
  get contextLength(): number {
    return this.transformer.contextLength;
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
