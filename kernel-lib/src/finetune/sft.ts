/**
 * Supervised fine-tuning (SFT): train a pretrained causal LM on conversations, each tokenized with
 * a loss mask that is 1 exactly on the assistant's answer (finetune/chatTemplate.ts). The loss is
 * the next-token loss of the answer tokens only: the question is context, not something to learn
 * to write. With maskPrompt: false every token is scored, the comparison the lesson makes; the
 * evaluation always scores the answer tokens, so both runs are judged on the same measure.
 *
 * A batch is right-padded to its longest example. Attention is causal, so the padding after an
 * example never changes the logits of its tokens, and padding is never scored (target -1).
 */
import * as tf from '@tensorflow/tfjs';
import { generate } from '../generate';
import { GPT } from '../models/gpt';
import { crossEntropy } from '../nn/loss';
import { randomInt, Rng, seededRandom } from '../random';
import type { Tokenizer } from '../tokenizers/tokenizer';
import { checkPositiveInt, Evaluation, Objective } from '../train/objective';
import { maskedNextTokenLoss, maskedTargets } from '../train/sequenceLogProbs';

/** A tokenized conversation: lossMask[t] is 1 where ids[t] is an answer token. */
export interface TokenizedExample {
  ids: number[];
  lossMask: number[];
}

export interface SftBatch {
  /** Token ids (B, T), T the longest example of the batch, padded with padId. */
  ids: tf.Tensor2D;
  /** 1 on the tokens the loss scores, 0 on the rest and on padding (B, T). */
  lossMask: tf.Tensor2D;
}

export interface SftOptions {
  batchSize: number;
  /** Fills the batch after each shorter example; never scored. */
  padId: number;
  /** Seed of the batch order. */
  seed?: number;
  /** Held-out examples for evaluate(); default the first 256 training examples. */
  evalExamples?: TokenizedExample[];
  /** Score only the answer tokens (default true); false scores every token of the example. */
  maskPrompt?: boolean;
  /** With a tokenizer, sample() answers the first held-out question greedily. */
  tokenizer?: Tokenizer;
}

/** How many tokens an example has scored: lossMask[0] never is (no token predicts the first). */
const answerCount = (ex: TokenizedExample) => ex.lossMask.reduce((n, m, t) => n + (t > 0 && m === 1 ? 1 : 0), 0);

/** Errors name the example and the value: too long, a mask of another length, no answer, an id outside the vocabulary. */
export function checkExamples(examples: TokenizedExample[], what: string, blockSize: number, vocabSize: number): void {
  if (examples.length === 0) throw new Error(`sft: no ${what} examples`);
  examples.forEach((ex, i) => {
    const where = `sft: ${what} example ${i}`;
    if (ex.ids.length < 2 || ex.ids.length > blockSize) throw new Error(`${where} has ${ex.ids.length} tokens; it must have 2 to blockSize (${blockSize})`);
    if (ex.lossMask.length !== ex.ids.length) throw new Error(`${where}: lossMask has ${ex.lossMask.length} entries for ${ex.ids.length} ids`);
    const badMask = ex.lossMask.findIndex(m => m !== 0 && m !== 1);
    if (badMask >= 0) throw new Error(`${where}: lossMask[${badMask}] = ${ex.lossMask[badMask]}, must be 0 or 1`);
    if (answerCount(ex) === 0) throw new Error(`${where} has no answer token (no 1 in lossMask after position 0)`);
    const bad = ex.ids.findIndex(id => !(Number.isInteger(id) && id >= 0 && id < vocabSize));
    if (bad >= 0) throw new Error(`${where}: ids[${bad}] = ${ex.ids[bad]} is outside the vocabulary [0, ${vocabSize})`);
  });
}

/**
 * Examples as one batch, right-padded with padId to the longest. `scored`: 'answer' keeps each
 * example's lossMask, 'all' scores every token that is not padding.
 */
export function sftBatch(examples: TokenizedExample[], padId: number, scored: 'answer' | 'all' = 'answer'): SftBatch {
  const T = Math.max(...examples.map(ex => ex.ids.length));
  const ids: number[] = [];
  const mask: number[] = [];
  for (const ex of examples) {
    const pad = T - ex.ids.length;
    ids.push(...ex.ids, ...new Array<number>(pad).fill(padId));
    mask.push(...(scored === 'answer' ? ex.lossMask : ex.ids.map(() => 1)), ...new Array<number>(pad).fill(0));
  }
  const shape: [number, number] = [examples.length, T];
  return { ids: tf.tensor2d(ids, shape, 'int32'), lossMask: tf.tensor2d(mask, shape, 'int32') };
}

/** Sum of the answer tokens' losses and how many the model's argmax got right, over one batch. */
function scoreAnswers(model: GPT, b: SftBatch): { lossSum: tf.Scalar; correct: tf.Scalar } {
  return tf.tidy(() => {
    const [B, T] = b.ids.shape;
    const V = model.config.vocabSize;
    const logits = model.forward(b.ids).logits.slice([0, 0, 0], [B, T - 1, V]).reshape([B * (T - 1), V]) as tf.Tensor2D; // position t predicts t + 1
    const targets = maskedTargets(b.ids, b.lossMask).reshape([-1]) as tf.Tensor1D; // -1: not an answer token
    const scored = targets.greaterEqual(0);
    const count = scored.sum().toFloat();
    const right = tf.logicalAnd(scored, tf.equal(logits.argMax(-1), targets));
    return { lossSum: crossEntropy(logits, targets).mul(count) as tf.Scalar, correct: right.sum().toFloat() as tf.Scalar };
  });
}

/** Examples in a seeded random order, each once per epoch. */
class EpochOrder {
  private order: number[] = [];
  private readonly rng: Rng;

  constructor(private readonly n: number, seed: number) {
    this.rng = seededRandom(seed);
  }

  take(k: number): number[] {
    const out: number[] = [];
    while (out.length < k) {
      if (this.order.length === 0) {
        this.order = Array.from({ length: this.n }, (_, i) => i);
        for (let i = this.n - 1; i > 0; i--) {
          const j = randomInt(this.rng, i + 1);
          [this.order[i], this.order[j]] = [this.order[j], this.order[i]];
        }
      }
      out.push(this.order.pop()!);
    }
    return out;
  }
}

export function sftObjective(model: GPT, examples: TokenizedExample[], options: SftOptions): Objective<SftBatch> {
  const { batchSize, padId, seed = 0, maskPrompt = true, tokenizer } = options;
  const { vocabSize } = model.config;
  const blockSize = model.contextLength; // blockSize, less any virtual tokens (peft/)
  checkPositiveInt('sft: batchSize', batchSize);
  if (!(Number.isInteger(padId) && padId >= 0 && padId < vocabSize)) throw new Error(`sft: padId ${padId} is outside the vocabulary [0, ${vocabSize})`);
  checkExamples(examples, 'training', blockSize, vocabSize);
  const heldOut = options.evalExamples ?? examples.slice(0, 256);
  if (options.evalExamples) checkExamples(heldOut, 'evaluation', blockSize, vocabSize);
  const order = new EpochOrder(examples.length, seed);
  const meanLength = examples.reduce((n, ex) => n + ex.ids.length, 0) / examples.length;

  return {
    name: maskPrompt ? 'SFT (loss on answers)' : 'SFT (loss on every token)',
    model,
    tokensPerBatch: Math.round(batchSize * meanLength),
    nextBatch: () => sftBatch(order.take(batchSize).map(i => examples[i]), padId, maskPrompt ? 'answer' : 'all'),
    loss: b => maskedNextTokenLoss(model, b.ids, b.lossMask),
    disposeBatch: b => tf.dispose([b.ids, b.lossMask]),
    /** Loss and argmax accuracy over the held-out answer tokens, whatever maskPrompt is. */
    async evaluate(): Promise<Evaluation> {
      let lossSum = 0;
      let correct = 0;
      let count = 0;
      for (let i = 0; i < heldOut.length; i += batchSize) {
        const chunk = heldOut.slice(i, i + batchSize);
        const b = sftBatch(chunk, padId, 'answer');
        const scored = scoreAnswers(model, b);
        lossSum += (await scored.lossSum.data())[0];
        correct += (await scored.correct.data())[0];
        count += chunk.reduce((n, ex) => n + answerCount(ex), 0);
        tf.dispose([b.ids, b.lossMask, scored.lossSum, scored.correct]);
      }
      const loss = lossSum / count;
      return { loss, metrics: { perplexity: Math.exp(loss), accuracy: correct / count } };
    },
    async sample() {
      if (!tokenizer) return undefined;
      const { ids, lossMask } = heldOut[0];
      const start = lossMask.indexOf(1, 1);
      const [answer] = await generateAnswers(model, tokenizer, [ids.slice(0, start)], { maxNewTokens: ids.length - start + 4 });
      return `${tokenizer.decode(ids.slice(0, start))}${answer}`;
    }
  };
}

export interface GenerateAnswersOptions {
  maxNewTokens: number;
  /** The token that ends an answer; default the tokenizer's eos. */
  stopId?: number;
  /** A text that ends an answer (a chat template's end marker); the answer is cut before it. */
  stopText?: string;
}

/** Thrown from generate's onToken to end a generation early. */
class Stop extends Error {}

/**
 * The greedy answer to each prompt (token ids ending where the answer starts, e.g. a chat with
 * the generation prompt added): generated until the stop token or text, which is left out, or
 * maxNewTokens. For exact-match evaluation against the canonical answers.
 */
export async function generateAnswers(model: GPT, tokenizer: Tokenizer, prompts: number[][], options: GenerateAnswersOptions): Promise<string[]> {
  const { maxNewTokens, stopId = tokenizer.specialTokens.eos, stopText } = options;
  if (stopText === '') throw new Error('generateAnswers: stopText is empty; leave it out to stop only at the stop token');
  const answers: string[] = [];
  for (const prompt of prompts) {
    const ids: number[] = [];
    const text = () => tokenizer.decode(ids, { skipSpecialTokens: true });
    const onToken = (id: number) => {
      if (id === stopId) throw new Stop();
      ids.push(id);
      if (stopText !== undefined && text().includes(stopText)) throw new Stop();
    };
    try {
      await generate(model, prompt, { maxNewTokens, temperature: 0, onToken });
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
    }
    const answer = text();
    answers.push(stopText !== undefined && answer.includes(stopText) ? answer.slice(0, answer.indexOf(stopText)) : answer);
  }
  return answers;
}
