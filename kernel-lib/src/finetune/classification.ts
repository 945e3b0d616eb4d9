/**
 * Fine-tuning for classification: labelled texts in, a GPTForSequenceClassification trained by the
 * one Trainer. The objective's batches pad texts on the right to the longest of the batch (the
 * mask tells the head which tokens are real); its loss is the cross-entropy of the labels; it is
 * judged on held-out texts by loss, accuracy and macro F1 (eval/), which the live view plots.
 */
import * as tf from '@tensorflow/tfjs';
import { classify, ClassificationReport } from '../eval';
import { GPTForSequenceClassification } from '../models/gptClassifier';
import { crossEntropy } from '../nn/loss';
import { seededRandom, shuffled } from '../random';
import type { Tokenizer } from '../tokenizers/tokenizer';
import { checkPositiveInt, Objective } from '../train/objective';

/** A text as token ids, and the index of its class. */
export interface LabelledExample {
  ids: number[];
  label: number;
}

export interface ClassBatch {
  ids: tf.Tensor2D; // (B, T) int32, padded with 0 on the right
  mask: tf.Tensor2D; // (B, T) 1 for real tokens
  labels: tf.Tensor1D; // (B,) int32
}

/**
 * Texts and their labels as examples: each text tokenized and cut to its first `maxLength` tokens
 * (the model's context at most). A label must be one of `labels`, by name or index.
 */
export function labelledExamples(tokenizer: Tokenizer, texts: string[], labels: (string | number)[], classes: string[], maxLength: number): LabelledExample[] {
  if (texts.length !== labels.length) throw new Error(`labelledExamples: ${texts.length} texts but ${labels.length} labels`);
  checkPositiveInt('labelledExamples: maxLength', maxLength);
  return texts.map((text, i) => {
    const label = typeof labels[i] === 'number' ? (labels[i] as number) : classes.indexOf(labels[i] as string);
    checkLabel(label, i, labels[i], classes);
    const ids = tokenizer.encode(text).slice(0, maxLength);
    if (ids.length === 0) throw new Error(`labelledExamples: text ${i} is empty`);
    return { ids, label };
  });
}

function checkLabel(label: number, i: number, given: unknown, classes: string[]): void {
  if (!(Number.isInteger(label) && label >= 0 && label < classes.length)) {
    throw new Error(`example ${i}: the label ${JSON.stringify(given)} is not one of the ${classes.length} classes (${classes.map((c, k) => `${k} ${c}`).join(', ')})`);
  }
}

/** Check examples against the classifier before any work: lengths, vocabulary, labels. */
function checkExamples(where: string, examples: LabelledExample[], model: GPTForSequenceClassification): void {
  const { blockSize, vocabSize } = model.gptConfig;
  if (examples.length === 0) throw new Error(`${where}: no examples`);
  examples.forEach((e, i) => {
    checkLabel(e.label, i, e.label, model.labels);
    if (e.ids.length === 0 || e.ids.length > blockSize) throw new Error(`${where}: example ${i} has ${e.ids.length} tokens; a text must have 1 to blockSize (${blockSize})`);
    const bad = e.ids.findIndex(id => !(Number.isInteger(id) && id >= 0 && id < vocabSize));
    if (bad >= 0) throw new Error(`${where}: example ${i} has id ${e.ids[bad]} at ${bad}, outside the vocabulary [0, ${vocabSize})`);
  });
}

/** Examples as one padded batch. */
export function classBatch(examples: LabelledExample[]): ClassBatch {
  const T = Math.max(...examples.map(e => e.ids.length));
  const ids = new Int32Array(examples.length * T);
  const mask = new Float32Array(examples.length * T);
  examples.forEach((e, b) => {
    ids.set(e.ids, b * T);
    mask.fill(1, b * T, b * T + e.ids.length);
  });
  return {
    ids: tf.tensor2d(ids, [examples.length, T], 'int32'),
    mask: tf.tensor2d(mask, [examples.length, T]),
    labels: tf.tensor1d(examples.map(e => e.label), 'int32')
  };
}

function disposeBatch(b: ClassBatch): void {
  tf.dispose([b.ids, b.mask, b.labels]);
}

/** The classifier's class for each example (argmax), batch by batch. */
export async function predictClasses(model: GPTForSequenceClassification, examples: LabelledExample[], batchSize = 32): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < examples.length; i += batchSize) {
    const batch = classBatch(examples.slice(i, i + batchSize));
    const predicted = tf.tidy(() => model.forward(batch.ids, batch.mask).argMax(1));
    out.push(...(await predicted.data()));
    tf.dispose(predicted);
    disposeBatch(batch);
  }
  return out;
}

/** The classifier on labelled examples: accuracy, precision, recall and F1 per class and averaged, the confusion matrix. */
export async function classificationReportOf(model: GPTForSequenceClassification, examples: LabelledExample[], batchSize = 32): Promise<ClassificationReport> {
  checkExamples('classificationReportOf', examples, model);
  const predicted = await predictClasses(model, examples, batchSize);
  return classify(examples.map(e => e.label), predicted, model.labels);
}

export interface ClassificationOptions {
  batchSize: number;
  /** Seed of the batch order. */
  seed?: number;
}

/**
 * Train a classifier on `train`, judged on `validation`: loss (mean cross-entropy, nats), accuracy
 * and macro F1, plotted live with the training accuracy of each batch.
 */
export function classificationObjective(
  model: GPTForSequenceClassification,
  data: { train: LabelledExample[]; validation: LabelledExample[] },
  options: ClassificationOptions
): Objective<ClassBatch> {
  const { batchSize, seed = 0 } = options;
  checkPositiveInt('classification: batchSize', batchSize);
  checkExamples('classification: train', data.train, model);
  checkExamples('classification: validation', data.validation, model);
  const random = seededRandom(seed);
  let order: LabelledExample[] = [];
  const meanLength = data.train.reduce((n, e) => n + e.ids.length, 0) / data.train.length;
  return {
    name: 'classification',
    model,
    tokensPerBatch: Math.round(batchSize * meanLength),
    plotMetrics: ['accuracy', 'f1'],
    nextBatch() {
      if (order.length < batchSize) order = [...order, ...shuffled(data.train, random)]; // epochs without replacement
      return classBatch(order.splice(0, batchSize));
    },
    loss(batch, log) {
      const logits = model.forward(batch.ids, batch.mask);
      log?.('train accuracy', tf.tidy(() => logits.argMax(1).equal(batch.labels).toFloat().mean() as tf.Scalar));
      return crossEntropy(logits as tf.Tensor2D, batch.labels);
    },
    disposeBatch,
    async evaluate() {
      let lossSum = 0;
      const predicted: number[] = [];
      for (let i = 0; i < data.validation.length; i += batchSize) {
        const part = data.validation.slice(i, i + batchSize);
        const batch = classBatch(part);
        const [loss, argmax] = tf.tidy(() => {
          const logits = model.forward(batch.ids, batch.mask);
          return [crossEntropy(logits as tf.Tensor2D, batch.labels).mul(part.length), logits.argMax(1)];
        });
        lossSum += (await loss.data())[0];
        predicted.push(...(await argmax.data()));
        tf.dispose([loss, argmax]);
        disposeBatch(batch);
      }
      const report = classify(data.validation.map(e => e.label), predicted, model.labels);
      return { loss: lossSum / data.validation.length, metrics: { accuracy: report.accuracy, f1: report.macro.f1 } };
    }
  };
}
