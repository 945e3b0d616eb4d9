/**
 * A reward model: how much a person (or whatever stands in for one) would like a text, as one
 * number. As in TRL, it is a sequence classifier with a single output (Hugging Face's
 * GPT2ForSequenceClassification with num_labels 1): the GPT's backbone (`transformer`) and a
 * `score` head (1, C) that reads the hidden state of the last real token, the only one that has
 * seen the whole prompt and answer. Built from a GPT, it shares that GPT's backbone (the same
 * weights, not a copy); align/reward.ts trains it on preference pairs.
 *
 * Its own class rather than a GPTForSequenceClassification with one label: a classifier's outputs
 * are logits over named classes (softmax, argmax, accuracy per class), a reward is one number per
 * text on no fixed scale, compared only with other rewards (r_chosen - r_rejected). The head is the
 * same ClassificationHead, so the weights and the checkpoint are Hugging Face's either way.
 */
import * as tf from '@tensorflow/tfjs';
import { ClassificationHead, Pooling } from '../nn/heads';
import { Init, isSeed, MAX_SEED } from '../nn/init';
import { Module } from '../nn/module';
import { GPT, GPTBackbone, GPTConfig } from './gpt';

export interface RewardModelConfig {
  /** Seed of the score head's initial weights. */
  seed: number;
  /**
   * What the head reads: the last real token ('last', the default, TRL's and Hugging Face's), or the
   * mean over real tokens ('mean': a reward that adds up over the text, such as a sentiment, is
   * easier to learn from few pairs; transformers' GPT2ForSequenceClassification reads 'last').
   */
  pooling?: Pooling;
}

export class GPTRewardModel extends Module {
  readonly transformer: GPTBackbone;
  readonly score: ClassificationHead;
  readonly config: RewardModelConfig;

  constructor(backbone: GPTBackbone, config: RewardModelConfig) {
    if (!isSeed(config.seed)) throw new Error(`reward model config: seed must be an integer in [0, ${MAX_SEED}], got ${config.seed}`);
    super();
    this.config = { ...config };
    this.transformer = this.addModule('transformer', backbone);
    this.score = this.addModule('score', new ClassificationHead(new Init(config.seed), backbone.config.nEmbd, 1, config.pooling ?? 'last'));
  }

  /** A reward model on `gpt`'s backbone (shared: clone the GPT first to keep it as it was), with a new score head. */
  static fromGPT(gpt: GPT, config: Partial<RewardModelConfig> = {}): GPTRewardModel {
    return new GPTRewardModel(gpt.transformer, { seed: gpt.config.seed, ...config });
  }

  get gptConfig(): GPTConfig {
    return this.transformer.config;
  }

  /** ids (B, T) int32 and mask (B, T): 1 on real tokens, 0 on the padding after them -> rewards (B,). */
  forward(ids: tf.Tensor, mask: tf.Tensor): tf.Tensor1D {
    if (ids.rank !== 2 || mask.shape.join() !== ids.shape.join()) {
      throw new Error(`GPTRewardModel.forward: ids (B, T) and mask (B, T) must have the same shape, got [${ids.shape}] and [${mask.shape}]`);
    }
    return tf.tidy(() => this.score.forward(this.transformer.forward(ids).hidden, mask).reshape([-1]) as tf.Tensor1D); // (B, 1) -> (B,)
  }
}
