/**
 * What a training run optimizes. The Trainer's loop (batch -> loss -> gradients -> clip -> AdamW)
 * is the same for every way of pretraining; what differs is where batches come from, what the loss
 * of a batch is, and how the model is judged on held-out text. An Objective says exactly that:
 * causalLM (GPT, next token), maskedLM (BERT, fill in the blanks, train/mlmObjective.ts),
 * seq2seq (encoder-decoder, train/seq2seqObjective.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { ClmBatch, ClmBatches, evalWindows, windowsAt } from '../data/clm';
import { generate } from '../generate';
import { GPT } from '../models/gpt';
import { Module } from '../nn/module';
import type { Tokenizer } from '../tokenizers/tokenizer';

/** The model on held-out data: the mean loss and measures people quote for this objective. */
export interface Evaluation {
  /** Mean cross-entropy per predicted token, in nats. */
  loss: number;
  /** e.g. { perplexity: 6.1 } for a causal LM, { accuracy: 0.42, perplexity: 9.3 } for a masked LM. */
  metrics: Record<string, number>;
}

/**
 * Besides the loss, a step may report other numbers the live view plots as their own curves
 * (DPO's reward margin, PPO's KL): `log('reward margin', margin)` inside loss(). The Trainer
 * reads them back with the loss, in the same wait for the device.
 */
export type StepLogger = (name: string, value: tf.Scalar) => void;

export interface Objective<B = unknown> {
  /** e.g. "causal LM", shown in messages. */
  readonly name: string;
  /**
   * The model that trains: its trainable parameters (model.trainableParameters()) get gradients
   * and optimizer state; frozen ones, and any other model the loss reads (a reference model), do not.
   */
  readonly model: Module;
  /** Tokens the model reads per batch: the unit of the throughput. */
  readonly tokensPerBatch: number;
  /** The next batch; may be async (rollouts generate text first). */
  nextBatch(): B | Promise<B>;
  /** Mean loss of a batch (a scalar, differentiable w.r.t. the model's trainable parameters). */
  loss(batch: B, log?: StepLogger): tf.Scalar;
  disposeBatch(batch: B): void;
  /** Loss and metrics on fixed held-out batches (the same ones at every call). */
  evaluate(): Promise<Evaluation>;
  /** Metrics of evaluate() that the live view plots as 'val <name>' (e.g. ['accuracy', 'f1']). */
  readonly plotMetrics?: readonly string[];
  /**
   * The loss is not meant to fall step after step (a policy-gradient loss, PPO's or GRPO's, is
   * measured on a new rollout each time): the Trainer then does not warn when it jumps.
   */
  readonly lossMayRise?: boolean;
  /** A short text that shows what the model does now (a continuation, blanks filled in ...). */
  sample?(step: number): Promise<string | undefined>;
}

/** Two token streams: train on one, evaluate on the other. */
export interface TrainData {
  train: Int32Array;
  val: Int32Array;
}

/** Check a token stream against a model's context and vocabulary before any work. */
export function checkTokenStreams(data: TrainData, blockSize: number, vocabSize: number, minLength = blockSize + 1): void {
  for (const [name, tokens] of Object.entries(data)) {
    if (tokens.length < minLength) throw new Error(`train data: the ${name} split has ${tokens.length} tokens, fewer than blockSize + 1 = ${minLength}`);
    const bad = tokens.findIndex((id: number) => id < 0 || id >= vocabSize);
    if (bad >= 0) throw new Error(`train data: ${name}[${bad}] = ${tokens[bad]} is outside the model's vocabulary [0, ${vocabSize})`);
  }
}

export function checkPositiveInt(what: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 1)) throw new Error(`${what} must be a positive integer, got ${v}`);
}

export interface CausalLMOptions {
  batchSize: number;
  /** Batches of held-out windows per evaluation; default 4. */
  evalBatches?: number;
  /** Seed of the batch order. */
  seed?: number;
  /** Continue this prompt at every evaluation (needs a tokenizer). */
  samplePrompt?: string;
  sampleTokens?: number;
  tokenizer?: Tokenizer;
}

/** Mean loss of a model over fixed batches, read back one batch at a time. */
export async function meanLoss<B>(batches: B[], loss: (b: B) => tf.Scalar): Promise<number> {
  let sum = 0;
  for (const b of batches) {
    const l = tf.tidy(() => loss(b));
    sum += (await l.data())[0];
    l.dispose();
  }
  return sum / batches.length;
}

/**
 * Causal language modelling (GPT): predict every next token of random windows of the training
 * stream; judged by the loss and perplexity (exp of the loss: "as unsure as a uniform choice among
 * that many tokens") on evenly spread windows of the validation stream.
 */
export function causalLM(model: GPT, data: TrainData, options: CausalLMOptions): Objective<ClmBatch> {
  const { vocabSize } = model.config;
  const blockSize = model.contextLength; // the windows' length: blockSize, less any virtual tokens (peft/)
  const { batchSize, evalBatches = 4, seed = 0, samplePrompt, sampleTokens = 120, tokenizer } = options;
  checkPositiveInt('train config: batchSize', batchSize);
  checkPositiveInt('train config: evalBatches', evalBatches);
  checkTokenStreams(data, blockSize, vocabSize);
  if (samplePrompt !== undefined && !tokenizer) throw new Error('causalLM: samplePrompt needs a tokenizer: causalLM(model, data, { samplePrompt, tokenizer, ... })');
  const batches = new ClmBatches(data.train, blockSize, batchSize, seed);
  const evalStarts = evalWindows(data.val, blockSize, batchSize, evalBatches);
  return {
    name: 'causal LM',
    model,
    tokensPerBatch: batchSize * blockSize,
    nextBatch: () => batches.next(),
    loss: ({ x, y }) => model.loss(x, y),
    disposeBatch: ({ x, y }) => tf.dispose([x, y]),
    async evaluate() {
      let sum = 0;
      for (const starts of evalStarts) {
        const batch = windowsAt(data.val, starts, blockSize);
        sum += await meanLoss([batch], b => model.loss(b.x, b.y));
        tf.dispose([batch.x, batch.y]);
      }
      const loss = sum / evalStarts.length;
      return { loss, metrics: { perplexity: Math.exp(loss) } };
    },
    async sample(step) {
      if (samplePrompt === undefined || !tokenizer) return undefined;
      const prompt = tokenizer.encode(samplePrompt).slice(-blockSize);
      const ids = await generate(model, prompt, { maxNewTokens: sampleTokens, temperature: 0.8, topK: 40, seed: seed + step });
      return samplePrompt + tokenizer.decode(ids);
    }
  };
}
