/**
 * Masked language modelling (BERT) as a training objective: random windows of the training
 * stream with 15% of the tokens hidden (data/mlm.ts: 80% [MASK], 10% random, 10% kept); the loss is
 * the cross-entropy of the hidden originals. Judged on fixed held-out windows, masked the same way
 * at every evaluation, by loss, perplexity and accuracy (the share of hidden tokens guessed right).
 */
import * as tf from '@tensorflow/tfjs';
import { evalWindows } from '../data/clm';
import { maskTokens, MaskingOptions } from '../data/mlm';
import { BERT } from '../models/bert';
import { crossEntropy } from '../nn/loss';
import { randomInt, seededRandom } from '../random';
import type { Tokenizer } from '../tokenizers/tokenizer';
import { checkPositiveInt, checkTokenStreams, Objective, TrainData } from './objective';

export interface MaskedLMOptions {
  batchSize: number;
  /** The [MASK] token's id (e.g. tokenizer.vocabSize, with the model's vocabSize one larger). */
  maskId: number;
  /** Share of tokens to predict; default 0.15. */
  rate?: number;
  /** Batches of held-out windows per evaluation; default 4. */
  evalBatches?: number;
  seed?: number;
  /** At each evaluation, hide some characters of this text and show the model's guesses. */
  sampleText?: string;
  tokenizer?: Tokenizer;
}

export interface MaskedLMBatch {
  input: tf.Tensor2D; // (B, T) with some tokens replaced
  labels: Int32Array; // (B * T) the original id where a token is to be predicted, else -1
}

/** Windows of `tokens` starting at `starts`, masked with `seed`. */
function maskedWindows(tokens: Int32Array, starts: number[], blockSize: number, masking: MaskingOptions, seed: number): MaskedLMBatch {
  const ids = new Int32Array(starts.length * blockSize);
  starts.forEach((s, b) => ids.set(tokens.subarray(s, s + blockSize), b * blockSize));
  const rng = seededRandom(seed);
  const { input, labels } = maskTokens(ids, masking, rng);
  if (!labels.some(l => l >= 0)) labels[0] = input[0] = ids[0]; // a batch needs one prediction; keep it honest (unmasked)
  return { input: tf.tensor2d(input, [starts.length, blockSize], 'int32'), labels };
}

/** Loss and number of right guesses over the labelled positions of one batch. */
function scoreBatch(model: BERT, batch: MaskedLMBatch): { loss: tf.Scalar; correct: tf.Scalar; count: number } {
  return tf.tidy(() => {
    const picked: number[] = [];
    batch.labels.forEach((l, i) => l >= 0 && picked.push(i));
    const rows = tf.gather(model.forward(batch.input).reshape([-1, model.config.vocabSize]), tf.tensor1d(picked, 'int32')) as tf.Tensor2D;
    const targets = tf.tensor1d(picked.map(i => batch.labels[i]), 'int32');
    const correct = tf.equal(rows.argMax(-1), targets).sum().asType('float32') as tf.Scalar;
    return { loss: crossEntropy(rows, targets), correct, count: picked.length };
  });
}

export function maskedLM(model: BERT, data: TrainData, options: MaskedLMOptions): Objective<MaskedLMBatch> {
  const { blockSize, vocabSize } = model.config;
  const { batchSize, maskId, rate = 0.15, evalBatches = 4, seed = 0, sampleText, tokenizer } = options;
  checkPositiveInt('train config: batchSize', batchSize);
  checkPositiveInt('train config: evalBatches', evalBatches);
  checkTokenStreams(data, blockSize, vocabSize, blockSize);
  if (sampleText !== undefined && !tokenizer) throw new Error('maskedLM: sampleText needs a tokenizer');
  const masking: MaskingOptions = { maskId, vocabSize, rate };
  maskTokens([], masking); // checks maskId and rate now, not at the first step
  const rng = seededRandom(seed);
  const evalStarts = evalWindows(data.val, blockSize - 1, batchSize, evalBatches); // windows of blockSize (no shifted target)

  return {
    name: 'masked LM',
    model,
    tokensPerBatch: batchSize * blockSize,
    nextBatch() {
      const starts = Array.from({ length: batchSize }, () => randomInt(rng, data.train.length - blockSize + 1));
      return maskedWindows(data.train, starts, blockSize, masking, randomInt(rng, 2 ** 31));
    },
    loss: batch => model.mlmLoss(batch.input, batch.labels),
    disposeBatch: batch => batch.input.dispose(),
    async evaluate() {
      let lossSum = 0;
      let correct = 0;
      let count = 0;
      for (const [i, starts] of evalStarts.entries()) {
        const batch = maskedWindows(data.val, starts, blockSize, masking, 1000 + i); // the same masks every time
        const scored = scoreBatch(model, batch);
        lossSum += (await scored.loss.data())[0] * scored.count;
        correct += (await scored.correct.data())[0];
        count += scored.count;
        tf.dispose([batch.input, scored.loss, scored.correct]);
      }
      const loss = lossSum / count;
      return { loss, metrics: { perplexity: Math.exp(loss), accuracy: correct / count } };
    },
    async sample() {
      if (sampleText === undefined || !tokenizer) return undefined;
      return fillInBlanks(model, tokenizer, sampleText, maskId);
    }
  };
}

/**
 * Hide every 5th token of `text` (from the 3rd), let the model guess them all at once, and show
 * "with blanks  ->  filled in". The blanks are [MASK] tokens, as in training.
 */
export async function fillInBlanks(model: BERT, tokenizer: Tokenizer, text: string, maskId: number): Promise<string> {
  const ids = tokenizer.encode(text).slice(0, model.config.blockSize);
  const hidden = ids.map((_, i) => i % 5 === 2);
  const input = ids.map((id, i) => (hidden[i] ? maskId : id));
  const guess = tf.tidy(() => model.forward(tf.tensor2d(input, [1, ids.length], 'int32')).argMax(-1));
  const guessed = Array.from(await guess.data());
  guess.dispose();
  const blanks = ids.map((id, i) => (hidden[i] ? '_' : tokenizer.decode([id]))).join('');
  const filled = ids.map((id, i) => (!hidden[i] ? tokenizer.decode([id]) : guessed[i] === maskId ? '?' : tokenizer.decode([guessed[i]]))).join('');
  return `${blanks}  ->  ${filled}`;
}
