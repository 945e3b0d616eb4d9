/**
 * Induction heads: how a two-layer attention-only transformer learns to copy in context.
 *
 * On repeated random sequences (data/induction.ts) two kinds of heads form together:
 *  - a previous-token head (layer 0): position i reads position i - 1, so i now knows which token
 *    came before it;
 *  - an induction head (layer 1): in the second copy, position i looks for the earlier position
 *    whose previous token is the current token, i.e. i - L + 1, and copies the token found there.
 * Their scores, measured along training, rise together with a sudden drop of the loss on the second
 * copy (the "phase change"); the first copy's loss stays at chance, ln(vocabSize).
 */
import * as tf from '@tensorflow/tfjs';
import { InductionBatch, InductionBatches, RepeatLayout, repeatPositions, rowPositions } from './data';
import { GPT } from '../../models/gpt';

/** Per layer x head: [layer][head]. */
export type PerHead = number[][];

export interface HeadScores {
  /** Mean attention from position i to i - 1 (1 = a perfect previous-token head). */
  prevToken: PerHead;
  /** Mean attention, in the second copy, from i to i - L + 1: the token after the current token's earlier occurrence. */
  induction: PerHead;
}

export interface InductionScores extends HeadScores {
  /** Mean next-token loss (nats) where the target is in the first copy (unpredictable) and in the second (copyable). */
  firstCopyLoss: number;
  secondCopyLoss: number;
  /** Fraction of those targets that are the model's top prediction. */
  firstCopyAccuracy: number;
  secondCopyAccuracy: number;
  /** Mean loss at each position of the batch (T values), over its rows. */
  lossByPosition: number[];
}

/**
 * Scores of every head of one layer from its attention weights (B, nh, T, T), row-major, as
 * `await weights.data()` gives them; `layouts` says where each row's copies lie.
 */
export function scoresFromWeights(weights: ArrayLike<number>, shape: number[], layouts: RepeatLayout[][]): { prevToken: number[]; induction: number[] } {
  const [B, nh, T, T2] = shape;
  if (shape.length !== 4 || T !== T2 || weights.length !== B * nh * T * T) throw new Error(`scoresFromWeights: weights must be (B, nh, T, T) with ${B * nh * T * T} values, got shape [${shape}] and ${weights.length} values`);
  if (layouts.length !== B) throw new Error(`scoresFromWeights: ${layouts.length} layouts for a batch of ${B}`);
  if (T < 2) throw new Error(`scoresFromWeights: need at least 2 positions, got T = ${T}`);
  const at = (b: number, h: number, q: number, k: number) => weights[((b * nh + h) * T + q) * T + k];
  const prevToken: number[] = [];
  const induction: number[] = [];
  for (let h = 0; h < nh; h++) {
    let prev = 0;
    let ind = 0;
    let nInd = 0;
    for (let b = 0; b < B; b++) {
      for (let q = 1; q < T; q++) prev += at(b, h, q, q - 1);
      for (const segment of layouts[b]) {
        for (const q of repeatPositions(segment, T).secondCopy) {
          ind += at(b, h, q, q - segment.length + 1);
          nInd++;
        }
      }
    }
    prevToken.push(prev / (B * (T - 1)));
    induction.push(nInd ? ind / nInd : NaN);
  }
  return { prevToken, induction };
}

/** Mean of `values` (B x T, row-major) at each row's first-copy and second-copy positions. */
export function copyMeans(values: ArrayLike<number>, T: number, layouts: RepeatLayout[][]): { firstCopy: number; secondCopy: number } {
  let first = 0;
  let nFirst = 0;
  let second = 0;
  let nSecond = 0;
  layouts.forEach((layout, b) => {
    const { firstCopy, secondCopy } = rowPositions(layout, T);
    for (const i of firstCopy) first += values[b * T + i];
    for (const i of secondCopy) second += values[b * T + i];
    nFirst += firstCopy.length;
    nSecond += secondCopy.length;
  });
  return { firstCopy: nFirst ? first / nFirst : NaN, secondCopy: nSecond ? second / nSecond : NaN };
}

/** Run the model on a batch of repeated sequences: the scores of every head, and the loss on each copy. */
export async function headScores(model: GPT, batch: InductionBatch): Promise<InductionScores> {
  const [B, T] = batch.x.shape;
  const V = model.config.vocabSize;
  const [stacked, nll, correct] = tf.tidy(() => {
    const { logits, attentions } = model.forward(batch.x, { attentions: true });
    const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits, -1), tf.oneHot(batch.y, V)), -1)); // (B, T)
    const correct = tf.equal(tf.argMax(logits, -1), batch.y).cast('float32'); // (B, T)
    return [tf.stack(attentions!), nll, correct]; // (nLayer, B, nh, T, T)
  });
  const [w, losses, hits] = await Promise.all([stacked.data(), nll.data(), correct.data()]);
  tf.dispose([stacked, nll, correct]);
  const { nLayer, nHead } = model.config;
  const layerSize = B * nHead * T * T;
  const perLayer = Array.from({ length: nLayer }, (_, l) => scoresFromWeights(w.subarray(l * layerSize, (l + 1) * layerSize), [B, nHead, T, T], batch.layouts));
  const loss = copyMeans(losses, T, batch.layouts);
  const accuracy = copyMeans(hits, T, batch.layouts);
  const lossByPosition = Array.from({ length: T }, (_, i) => {
    let s = 0;
    for (let b = 0; b < B; b++) s += losses[b * T + i];
    return s / B;
  });
  return {
    prevToken: perLayer.map(s => s.prevToken),
    induction: perLayer.map(s => s.induction),
    firstCopyLoss: loss.firstCopy,
    secondCopyLoss: loss.secondCopy,
    firstCopyAccuracy: accuracy.firstCopy,
    secondCopyAccuracy: accuracy.secondCopy,
    lossByPosition
  };
}

export interface BestHead {
  layer: number;
  head: number;
  score: number;
}

/** The head with the highest score. */
export function strongestHead(scores: PerHead): BestHead {
  let best: BestHead = { layer: 0, head: 0, score: -Infinity };
  scores.forEach((row, layer) => row.forEach((score, head) => {
    if (score > best.score) best = { layer, head, score };
  }));
  return best;
}

/** Scores recorded along training: one entry per checkpoint. */
export interface InductionHistory {
  title: string;
  vocabSize: number;
  nLayer: number;
  nHead: number;
  steps: number[];
  records: InductionScores[];
  /** Training loss (all positions) at every step. */
  trainLoss: { step: number[]; value: number[] };
  status: 'running' | 'done' | 'interrupted' | 'error';
  message?: string;
}

/** The seed of the held-out rows the scores are measured on (not the training data's). */
export const HELD_OUT_SEED = 987654;

/** Check that rows of `data` fit the model (context and vocabulary); `who` starts the message. */
export function checkInductionData(model: GPT, data: InductionBatches, who: string): void {
  if (data.blockSize > model.config.blockSize) throw new Error(`${who}: the data's rows have ${data.blockSize} tokens, more than the model's blockSize ${model.config.blockSize}`);
  if (data.vocabSize > model.config.vocabSize) throw new Error(`${who}: the data's vocabSize ${data.vocabSize} is larger than the model's ${model.config.vocabSize}`);
}

/** Measures the scores on one fixed batch (held out: its own seed) at the steps it is asked to. */
export class InductionRecorder {
  readonly history: InductionHistory;
  private readonly batch: InductionBatch;

  constructor(readonly model: GPT, data: InductionBatches, options: { batchSize?: number; seed?: number; title?: string } = {}) {
    checkInductionData(model, data, 'InductionRecorder');
    this.batch = data.withBatch(options.batchSize ?? 64, options.seed ?? HELD_OUT_SEED).next();
    const { nLayer, nHead } = model.config;
    this.history = { title: options.title ?? 'Induction heads forming', vocabSize: data.vocabSize, nLayer, nHead, steps: [], records: [], trainLoss: { step: [], value: [] }, status: 'running' };
  }

  async record(step: number): Promise<InductionScores> {
    const scores = await headScores(this.model, this.batch);
    this.history.steps.push(step);
    this.history.records.push(scores);
    return scores;
  }

  dispose(): void {
    tf.dispose([this.batch.x, this.batch.y]);
  }
}
