/**
 * A GPT with a value head (TRL's AutoModelForCausalLMWithValueHead): PPO's policy and critic in one
 * model. The value head reads the same hidden states as the LM head and says, at every token, how
 * much reward the rest of the answer will bring (the baseline PPO's advantages are measured
 * against). Built from a GPT, it shares that GPT's backbone (the same weights, not a copy);
 * parameter names are the GPT's and `v_head.summary.weight`, `v_head.summary.bias`, as TRL saves them.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelInput } from '../nn/embedding';
import { Init, isSeed, MAX_SEED } from '../nn/init';
import { Module } from '../nn/module';
import { TiedLMHead } from '../nn/heads';
import { GPT, GPTBackbone } from './gpt';

/** y = x W^T + b to one number, with W (1, C) in PyTorch's Linear layout (TRL's v_head.summary). */
class Summary extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(init: Init, nEmbd: number) {
    super();
    this.weight = this.addParameter('weight', init.randn([1, nEmbd], 0.02));
    this.bias = this.addParameter('bias', init.zeros([1]));
  }

  /** (B, T, C) -> (B, T) */
  forward(hidden: tf.Tensor): tf.Tensor {
    const [B, T, C] = hidden.shape as [number, number, number];
    return tf.matMul(hidden.reshape([B * T, C]), this.weight, false, true).add(this.bias).reshape([B, T]);
  }
}

/** A scalar per token from the backbone's hidden states (B, T, C) -> (B, T). */
export class ValueHead extends Module {
  readonly summary: Summary;

  constructor(init: Init, readonly nEmbd: number) {
    super();
    this.summary = this.addModule('summary', new Summary(init, nEmbd));
  }

  forward(hidden: tf.Tensor): tf.Tensor {
    if (hidden.rank !== 3 || hidden.shape[2] !== this.nEmbd) throw new Error(`ValueHead: hidden must have shape (B, T, ${this.nEmbd}), got [${hidden.shape}]`);
    return this.summary.forward(hidden);
  }
}

export interface PolicyOutput {
  logits: tf.Tensor; // (B, T, V)
  values: tf.Tensor; // (B, T)
}

export class PolicyWithValue extends Module {
  readonly transformer: GPTBackbone;
  readonly lmHead: TiedLMHead;
  readonly vHead: ValueHead;

  /** `gpt`: the policy that writes (its modules are shared, so generateBatch(model.gpt, ...) samples from this model). */
  constructor(readonly gpt: GPT, options: { seed?: number } = {}) {
    const seed = options.seed ?? gpt.config.seed;
    if (!isSeed(seed)) throw new Error(`PolicyWithValue: seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
    super();
    this.transformer = this.addModule('transformer', gpt.transformer);
    this.lmHead = this.addModule('lm_head', gpt.lmHead);
    this.vHead = this.addModule('v_head', new ValueHead(new Init(seed), gpt.config.nEmbd));
  }

  /** ids (B, T) -> logits (B, T, V) and values (B, T), from one pass through the backbone. */
  forward(input: ModelInput): PolicyOutput {
    return tf.tidy(() => {
      const { hidden } = this.transformer.forward(input);
      return { logits: this.lmHead.forward(hidden), values: this.vHead.forward(hidden) };
    });
  }
}
