/**
 * Prompt tuning and prefix tuning: the model stays frozen and learns what to read before the text.
 *
 * Prompt tuning (Lester et al. 2021, "The Power of Scale for Parameter-Efficient Prompt Tuning"):
 * n learned vectors go before the text's token embeddings, a "soft prompt" (B, n + T, C). Only the
 * input changes: n · C numbers train.
 *
 * Prefix tuning (Li & Liang 2021, "Prefix-Tuning: Optimizing Continuous Prompts for Generation"):
 * n learned keys and values go before the text's in every attention layer, so every layer reads
 * them, not only the first. It is the KV cache of n tokens that were never written (GPT.forwardCached
 * starts from it). The paper trains them through a reparameterisation, an MLP from a small table
 * (n, C) to all the keys and values (n, L · 2 · C), which trains more stably than the keys and
 * values themselves; after training only its output is needed (`freezePrefix()`).
 */
import * as tf from '@tensorflow/tfjs';
import type { KVCache, VirtualTokens } from '../models/gpt';
import { Embedding } from '../nn/embedding';
import { Init } from '../nn/init';
import { Linear } from '../nn/linear';
import { Module } from '../nn/module';

/** The soft prompt: n vectors of width C, learned (PEFT's `prompt_encoder.embedding`). */
export class PromptEmbedding extends Module implements VirtualTokens {
  readonly embedding: Embedding;

  constructor(init: Init, readonly numVirtualTokens: number, dModel: number, initialVectors?: tf.Tensor2D) {
    super();
    this.embedding = this.addModule('embedding', new Embedding(init, numVirtualTokens, dModel));
    if (initialVectors) this.embedding.weight.assign(initialVectors);
  }

  /** (B, n, C): the same prompt before every text of the batch. */
  promptEmbeddings(batch: number): tf.Tensor {
    return this.embedding.weight.expandDims(0).tile([batch, 1, 1]);
  }
}

export interface PrefixShape {
  nLayer: number;
  nHead: number;
  nEmbd: number;
}

/** The prefix: every layer's n keys and values, from a table through the paper's MLP (or the table alone). */
export class PrefixEncoder extends Module implements VirtualTokens {
  readonly embedding: Embedding;
  readonly transform: { up: Linear; down: Linear } | null;
  /** After freezePrefix(): the keys and values, computed once; the table and MLP then rest. */
  private frozen: tf.Tensor2D | null = null;

  constructor(init: Init, readonly numVirtualTokens: number, readonly shape: PrefixShape, options: { projection: boolean; hiddenSize: number }) {
    super();
    const { nLayer, nEmbd } = shape;
    const width = nLayer * 2 * nEmbd; // a key and a value of width C per layer
    if (options.projection) {
      this.embedding = this.addModule('embedding', new Embedding(init, numVirtualTokens, nEmbd));
      const up = this.addModule('transform_0', new Linear(init, nEmbd, options.hiddenSize));
      const down = this.addModule('transform_2', new Linear(init, options.hiddenSize, width));
      this.transform = { up, down };
    } else {
      this.embedding = this.addModule('embedding', new Embedding(init, numVirtualTokens, width));
      this.transform = null;
    }
  }

  /** (n, L · 2 · C): each virtual token's key and value in every layer. */
  private table(): tf.Tensor2D {
    if (this.frozen) return this.frozen;
    const e = this.embedding.weight as tf.Tensor2D;
    if (!this.transform) return e;
    return this.transform.down.forward(tf.tanh(this.transform.up.forward(e))) as tf.Tensor2D;
  }

  /** The keys and values, as a cache of n tokens: each layer's (B, nh, n, hs). */
  pastKeyValues(batch: number): KVCache {
    const { nLayer, nHead, nEmbd } = this.shape;
    const n = this.numVirtualTokens;
    const perLayer = this.table()
      .reshape([n, nLayer, 2, nHead, nEmbd / nHead])
      .transpose([1, 2, 3, 0, 4]); // (L, 2, nh, n, hs)
    const layers = tf.unstack(perLayer).map(kv => {
      const [k, v] = tf.unstack(kv).map(t => t.expandDims(0).tile([batch, 1, 1, 1])); // (B, nh, n, hs)
      return { k, v };
    });
    return { length: n, layers };
  }

  /** Compute the keys and values once and keep them: what inference needs, without the MLP. */
  freezePrefix(): void {
    if (this.frozen) return;
    this.frozen = tf.keep(tf.tidy(() => this.table().clone()));
    for (const [, p] of this.namedParameters()) p.trainable = false;
  }

  protected override disposeBuffers(): void {
    this.frozen?.dispose();
    this.frozen = null;
  }
}
