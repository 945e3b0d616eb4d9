/**
 * A GPT that classifies whole texts (Hugging Face's GPT2ForSequenceClassification): the GPT's
 * backbone (`transformer`) and a classification head (`score`) in place of the LM head. Built from
 * a pretrained GPT, it shares that GPT's backbone: the same weights, not a copy, so what the
 * classifier learns the GPT knows too (clone the GPT first to keep it as it was).
 *
 * Transfer learning swaps the head and keeps the body: `newHead(labels)` puts a fresh `score` for
 * other classes on the same backbone, without touching a weight of it.
 */
import * as tf from '@tensorflow/tfjs';
import { ClassificationHead, Pooling } from '../nn/heads';
import { Init, isSeed, MAX_SEED } from '../nn/init';
import { Module } from '../nn/module';
import { GPT, GPTBackbone, GPTConfig } from './gpt';

export interface ClassifierConfig {
  /** The class names, in the order of the head's outputs. */
  labels: string[];
  /** How the hidden states of a text become one vector: its last real token ('last', as Hugging Face) or their mean. */
  pooling: Pooling;
  /** Seed of the head's initial weights. */
  seed: number;
}

function checkClassifierConfig(c: ClassifierConfig): void {
  if (!Array.isArray(c.labels) || c.labels.length < 2) throw new Error(`classifier config: labels must name at least 2 classes, got ${JSON.stringify(c.labels)}`);
  if (new Set(c.labels).size !== c.labels.length) throw new Error(`classifier config: labels must differ, got ${JSON.stringify(c.labels)}`);
  if (!isSeed(c.seed)) throw new Error(`classifier config: seed must be an integer in [0, ${MAX_SEED}], got ${c.seed}`);
}

export class GPTForSequenceClassification extends Module {
  readonly transformer: GPTBackbone;
  score: ClassificationHead;
  config: ClassifierConfig;

  constructor(backbone: GPTBackbone, config: ClassifierConfig) {
    checkClassifierConfig(config);
    super();
    this.config = { ...config, labels: [...config.labels] };
    this.transformer = this.addModule('transformer', backbone);
    this.score = this.addModule('score', new ClassificationHead(new Init(config.seed), backbone.config.nEmbd, config.labels.length, config.pooling));
  }

  /** A classifier on `gpt`'s backbone (shared), with a new head for `labels`. */
  static fromGPT(gpt: GPT, config: Partial<ClassifierConfig> & Pick<ClassifierConfig, 'labels'>): GPTForSequenceClassification {
    return new GPTForSequenceClassification(gpt.transformer, { pooling: 'last', seed: gpt.config.seed, ...config });
  }

  get gptConfig(): GPTConfig {
    return this.transformer.config;
  }

  get labels(): string[] {
    return this.config.labels;
  }

  /** ids (B, T) int32 and mask (B, T) of 1 for real tokens, 0 for padding (on the right) -> logits (B, numLabels). */
  forward(ids: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    if (ids.rank !== 2 || mask.shape.join() !== ids.shape.join()) {
      throw new Error(`GPTForSequenceClassification.forward: ids (B, T) and mask (B, T) must have the same shape, got [${ids.shape}] and [${mask.shape}]`);
    }
    return tf.tidy(() => this.score.forward(this.transformer.forward(ids).hidden, mask));
  }

  /**
   * Swap the head for a new one (other classes, or another pooling): the backbone keeps every
   * weight and its frozen or trainable state; the old head is disposed.
   */
  newHead(labels: string[], options: { pooling?: Pooling; seed?: number } = {}): ClassificationHead {
    const config = { labels, pooling: options.pooling ?? this.config.pooling, seed: options.seed ?? this.config.seed };
    checkClassifierConfig(config);
    const head = new ClassificationHead(new Init(config.seed), this.gptConfig.nEmbd, labels.length, config.pooling);
    this.replace('score', head).dispose();
    this.config = { ...config, labels: [...labels] };
    return head;
  }
}
