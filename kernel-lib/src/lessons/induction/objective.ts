/**
 * Repeated sequences (data/induction.ts) as a training objective: next-token prediction on rows of
 * prefix + A + A, at every position or only where the token can be copied from the first copy.
 * Judged on fixed held-out rows by the loss on each copy and how often the model's top guess is
 * right there (lessons/induction/scores.ts): the first copy stays near chance, the second drops when
 * induction heads form.
 */
import * as tf from '@tensorflow/tfjs';
import { checkInductionData, headScores, HELD_OUT_SEED } from './scores';
import { InductionBatch, InductionBatches, rowPositions } from './data';
import { GPT } from '../../models/gpt';
import { maskedCrossEntropy } from '../../nn/loss';
import { checkPositiveInt, Objective } from '../../train/objective';

export interface InductionObjectiveOptions {
  /**
   * Which next-token losses train the model: 'all' positions (default: plain language modelling)
   * or only the copyable 'secondCopy' ones.
   */
  lossOn?: 'all' | 'secondCopy';
  /** Rows of the fixed held-out batch; default 64. */
  evalBatchSize?: number;
  /** Seed of the held-out rows; default HELD_OUT_SEED (the one InductionRecorder measures on). */
  evalSeed?: number;
}

/** y (B, T) with -1 (no loss) everywhere but each row's copyable positions. */
function secondCopyTargets(batch: InductionBatch): tf.Tensor2D {
  const [B, T] = batch.y.shape;
  const keep = new Int32Array(B * T);
  batch.layouts.forEach((segments, b) => rowPositions(segments, T).secondCopy.forEach(i => (keep[b * T + i] = 1)));
  return tf.tidy(() => tf.where(tf.tensor2d(keep, [B, T], 'bool'), batch.y, tf.fill([B, T], -1, 'int32')) as tf.Tensor2D);
}

export function inductionObjective(model: GPT, data: InductionBatches, options: InductionObjectiveOptions = {}): Objective<InductionBatch> {
  const { lossOn = 'all', evalBatchSize = 64, evalSeed = HELD_OUT_SEED } = options;
  if (lossOn !== 'all' && lossOn !== 'secondCopy') throw new Error(`inductionObjective: lossOn must be 'all' or 'secondCopy', got ${JSON.stringify(lossOn)}`);
  checkPositiveInt('inductionObjective: evalBatchSize', evalBatchSize);
  checkInductionData(model, data, 'inductionObjective');
  const V = model.config.vocabSize;

  return {
    name: 'induction (repeated sequences)',
    model,
    tokensPerBatch: data.batchSize * data.blockSize,
    nextBatch: () => data.next(),
    loss(batch) {
      if (lossOn === 'all') return model.loss(batch.x, batch.y);
      const { logits } = model.forward(batch.x);
      return maskedCrossEntropy(logits.reshape([-1, V]) as tf.Tensor2D, secondCopyTargets(batch).reshape([-1]) as tf.Tensor1D);
    },
    disposeBatch: batch => tf.dispose([batch.x, batch.y]),
    async evaluate() {
      const heldOut = data.withBatch(evalBatchSize, evalSeed).next(); // the same rows at every call
      const s = await headScores(model, heldOut);
      tf.dispose([heldOut.x, heldOut.y]);
      const meanLoss = s.lossByPosition.reduce((a, b) => a + b, 0) / s.lossByPosition.length;
      return {
        loss: lossOn === 'all' ? meanLoss : s.secondCopyLoss, // the loss being trained, on held-out rows
        metrics: {
          firstCopyLoss: s.firstCopyLoss,
          secondCopyLoss: s.secondCopyLoss,
          firstCopyAccuracy: s.firstCopyAccuracy,
          secondCopyAccuracy: s.secondCopyAccuracy
        }
      };
    }
  };
}
