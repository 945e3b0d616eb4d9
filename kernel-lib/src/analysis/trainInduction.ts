/**
 * Training a small attention-only GPT on repeated random sequences while recording its head
 * scores (analysis/induction.ts), with the induction view updated live. A plain loop: AdamW,
 * gradient clipping, a warmup then constant (or cosine) learning rate.
 */
import * as tf from '@tensorflow/tfjs';
import { ensureDevice } from '../backend';
import { InductionBatch, InductionBatches, rowPositions } from '../data/induction';
import { GPT } from '../models/gpt';
import { AdamW } from '../train/adamw';
import { clipByGlobalNorm } from '../train/clip';
import { learningRateAt } from '../train/schedule';
import { LiveDisplay } from '../viz/display';
import { inductionBundle } from '../viz/induction';
import { InductionHistory, InductionRecorder, InductionScores } from './induction';

export interface InductionTrainConfig {
  steps: number;
  learningRate: number;
  /** Default 0. */
  warmupSteps?: number;
  /** Cosine floor; default learningRate (a constant rate after warmup). */
  minLearningRate?: number;
  /** Default 0.01. */
  weightDecay?: number;
  /** Global gradient norm clip; default 1 (0 = off). */
  gradClip?: number;
  /** Measure the head scores every this many steps (and at the first and last). Default 50. */
  recordEvery?: number;
  /** Rows of the fixed batch the scores are measured on. Default 64. */
  evalBatchSize?: number;
  /**
   * Which next-token losses train the model: 'all' positions (default: plain language modelling)
   * or only the copyable 'secondCopy' ones.
   */
  lossOn?: 'all' | 'secondCopy';
  /** Parameters kept as they are (e.g. ['transformer.wte.weight', 'transformer.wpe.weight']). */
  frozen?: string[];
  title?: string;
  /** Called after each record, e.g. to print the scores. */
  onRecord?: (step: number, scores: InductionScores) => void;
  /** Show the view and update it at every record. Default true. */
  live?: boolean;
}

/** (B, T) float: 1 at each row's copyable positions, 0 elsewhere. */
function secondCopyMask(batch: InductionBatch): tf.Tensor2D {
  const [B, T] = batch.x.shape;
  const m = new Float32Array(B * T);
  batch.layouts.forEach((segments, b) => rowPositions(segments, T).secondCopy.forEach(i => (m[b * T + i] = 1)));
  return tf.tensor2d(m, [B, T]);
}

/** Mean next-token cross-entropy over the positions where mask is 1. */
function maskedLoss(model: GPT, batch: InductionBatch, mask: tf.Tensor2D): tf.Scalar {
  const { logits } = model.forward(batch.x);
  const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits, -1), tf.oneHot(batch.y, model.config.vocabSize)), -1)); // (B, T)
  return tf.div(tf.sum(tf.mul(nll, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
}

export interface InductionRun {
  history: InductionHistory;
  step: number;
  elapsedSec: number;
}

/**
 * Train a GPT (best: nLayer 2, mlp: false) on repeated random sequences with AdamW and gradient
 * clipping, recording the head scores along the way. Stops with a message on a non-finite loss,
 * and between two steps on an interrupt (the weights are those of the last finished step).
 */
export async function trainInduction(model: GPT, data: InductionBatches, config: InductionTrainConfig): Promise<InductionRun> {
  const c = { warmupSteps: 0, minLearningRate: config.learningRate, weightDecay: 0.01, gradClip: 1, recordEvery: 50, evalBatchSize: 64, live: true, ...config };
  if (!(Number.isInteger(c.steps) && c.steps >= 1)) throw new Error(`trainInduction: steps must be a positive integer, got ${c.steps}`);
  if (!(Number.isInteger(c.recordEvery) && c.recordEvery >= 1)) throw new Error(`trainInduction: recordEvery must be a positive integer, got ${c.recordEvery}`);
  if (!(c.learningRate > 0)) throw new Error(`trainInduction: learningRate must be > 0, got ${c.learningRate}`);
  await ensureDevice();
  const recorder = new InductionRecorder(model, data, { batchSize: c.evalBatchSize, title: c.title });
  const optimizer = new AdamW(model.params.variables, { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: c.weightDecay });
  const frozen = new Set(c.frozen ?? []);
  for (const name of frozen) model.params.get(name); // says which name does not exist
  const trainable = [...model.params.variables].filter(([name]) => !frozen.has(name)).map(([, v]) => v);
  const h = recorder.history;
  const view = c.live ? new LiveDisplay() : null;
  const show = () => view?.show(inductionBundle(h));
  let stop = false;
  const onInterrupt = () => (stop = true);
  process.on('SIGINT', onInterrupt);
  const started = performance.now();
  let step = 0;
  try {
    const record = async () => {
      const scores = await recorder.record(step);
      c.onRecord?.(step, scores);
      show();
    };
    await record();
    while (step < c.steps && !stop) {
      await new Promise(resolve => setImmediate(resolve)); // let an interrupt in
      const lr = learningRateAt(step, { learningRate: c.learningRate, minLearningRate: c.minLearningRate, warmupSteps: c.warmupSteps, totalSteps: c.steps });
      const batch = data.next();
      const mask = c.lossOn === 'secondCopy' ? secondCopyMask(batch) : null;
      const { value, grads } = tf.variableGrads(() => (mask ? maskedLoss(model, batch, mask) : model.loss(batch.x, batch.y)), trainable);
      const { grads: clipped, norm } = c.gradClip > 0 ? clipByGlobalNorm(grads, c.gradClip) : { grads, norm: tf.scalar(0) };
      const check = tf.stack([value, norm]);
      const [loss, gradNorm] = await check.data();
      const ok = Number.isFinite(loss) && Number.isFinite(gradNorm);
      if (ok) optimizer.step(clipped, lr);
      tf.dispose([batch.x, batch.y, value, norm, check, grads, clipped]);
      mask?.dispose();
      if (!ok) {
        h.status = 'error';
        h.message = `stopped at step ${step + 1}: the loss or the gradients are not finite; the weights are those after step ${step}. Try a lower learningRate (now ${c.learningRate}).`;
        break;
      }
      step += 1;
      h.trainLoss.step.push(step);
      h.trainLoss.value.push(loss);
      if (step % c.recordEvery === 0 || step === c.steps) await record();
    }
    if (h.status === 'running') h.status = step >= c.steps ? 'done' : 'interrupted';
    if (h.status === 'interrupted') {
      if (h.steps.at(-1) !== step) await record();
      h.message = `interrupted after step ${step} of ${c.steps}`;
    }
  } catch (e) {
    h.status = 'error';
    h.message = `stopped at step ${step + 1}: ${(e as Error).message}`;
    throw e;
  } finally {
    process.off('SIGINT', onInterrupt);
    optimizer.dispose();
    recorder.dispose();
    show();
  }
  return { history: h, step, elapsedSec: (performance.now() - started) / 1000 };
}
