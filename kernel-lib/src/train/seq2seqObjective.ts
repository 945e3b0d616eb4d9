/**
 * Sequence-to-sequence training (encoder-decoder) as an objective: batches of (source, target)
 * pairs, the loss is the cross-entropy of every target token given the whole source and the
 * target so far (teacher forcing). Judged on fixed held-out pairs by loss, perplexity and token
 * accuracy; the sample is a greedy decoding of one held-out source.
 */
import * as tf from '@tensorflow/tfjs';
import type { Tokenizer } from '../tokenizers/tokenizer';
import { BOS_ID, EOS_ID, Seq2SeqBatch, seq2seqBatch, Seq2SeqBatches, Seq2SeqPair } from '../data/seq2seq';
import { Seq2Seq } from '../models/seq2seq';
import { checkPositiveInt, Objective } from './objective';

export interface Seq2SeqObjectiveOptions {
  batchSize: number;
  /** Held-out pairs evaluated per evaluation (the first ones of `data.val`); default 256. */
  evalPairs?: number;
  seed?: number;
  /** Shows ids as text in samples (e.g. Seq2SeqChars). */
  tokenizer?: Tokenizer;
}

/** Mean loss and the number of right guesses over the real (not padding) target tokens of a batch. */
function scoreBatch(model: Seq2Seq, b: Seq2SeqBatch): { loss: tf.Scalar; correct: tf.Scalar } {
  return tf.tidy(() => {
    const { logits } = model.forward(b.src, b.tgtIn, { srcMask: b.srcMask });
    const targets = b.tgtOut.reshape([-1]);
    const guesses = logits.reshape([-1, model.config.vocabSize]).argMax(-1);
    const right = tf.logicalAnd(targets.greaterEqual(0), tf.equal(guesses, targets)); // -1 = padding
    return { loss: model.loss(b.src, b.tgtIn, b.tgtOut, b.srcMask), correct: right.sum().asType('float32') as tf.Scalar };
  });
}

export function seq2seqObjective(model: Seq2Seq, data: { train: Seq2SeqPair[]; val: Seq2SeqPair[] }, options: Seq2SeqObjectiveOptions): Objective<Seq2SeqBatch> {
  const { batchSize, evalPairs = 256, seed = 0, tokenizer } = options;
  checkPositiveInt('train config: batchSize', batchSize);
  for (const split of ['train', 'val'] as const) if (data[split].length === 0) throw new Error(`seq2seq data: the ${split} split has no pairs`);
  const { blockSize } = model.config;
  const tooLong = [...data.train, ...data.val].find(p => p.src.length > blockSize || p.tgt.length + 1 > blockSize);
  if (tooLong) throw new Error(`seq2seq data: a pair with source ${tooLong.src.length} and target ${tooLong.tgt.length} tokens does not fit blockSize ${blockSize} (target + 1)`);
  const batches = new Seq2SeqBatches(data.train, batchSize, blockSize, seed);
  const heldOut = data.val.slice(0, evalPairs);
  const meanLength = data.train.reduce((n, p) => n + p.src.length + p.tgt.length + 1, 0) / data.train.length;

  return {
    name: 'seq2seq',
    model,
    tokensPerBatch: Math.round(batchSize * meanLength), // source + target tokens, on average
    nextBatch: () => batches.next(),
    loss: b => model.loss(b.src, b.tgtIn, b.tgtOut, b.srcMask),
    disposeBatch: b => tf.dispose(b),
    async evaluate() {
      let lossSum = 0;
      let correct = 0;
      let count = 0;
      for (let i = 0; i < heldOut.length; i += batchSize) {
        const pairs = heldOut.slice(i, i + batchSize);
        const b = seq2seqBatch(pairs, blockSize);
        const n = pairs.reduce((s, p) => s + p.tgt.length + 1, 0); // target tokens + EOS
        const scored = scoreBatch(model, b);
        lossSum += (await scored.loss.data())[0] * n;
        correct += (await scored.correct.data())[0];
        count += n;
        tf.dispose([b, scored.loss, scored.correct]);
      }
      const loss = lossSum / count;
      return { loss, metrics: { perplexity: Math.exp(loss), accuracy: correct / count } };
    },
    async sample() {
      if (!tokenizer) return undefined;
      const { src, tgt } = heldOut[0];
      const out = (await model.generate(src, { maxNewTokens: Math.min(blockSize, tgt.length + 4), bosId: BOS_ID, eosId: EOS_ID })) as number[];
      return `${tokenizer.decode(src)}  ->  ${tokenizer.decode(out)}`;
    }
  };
}
