/**
 * Training a small attention-only GPT on repeated sequences while recording its head scores
 * (lessons/induction/scores.ts), with the induction view updated live. The loop is the Trainer's
 * (train/trainer.ts) on the induction objective (train/inductionObjective.ts); at each of its
 * evaluations the recorder measures the heads.
 */
import { ensureDevice } from '../../device';
import { InductionBatches } from './data';
import { GPT } from '../../models/gpt';
import { inductionObjective, InductionObjectiveOptions } from './objective';
import { checkPositiveInt } from '../../train/objective';
import { Trainer } from '../../train/trainer';
import { LiveDisplay } from '../../viz/display';
import { seriesOf } from '../../viz/training';
import { TRAIN_LOSS } from '../../contract/training';
import { inductionBundle } from './view';
import { InductionHistory, InductionRecorder, InductionScores } from './scores';

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
  lossOn?: InductionObjectiveOptions['lossOn'];
  title?: string;
  /** Called after each record, e.g. to print the scores. */
  onRecord?: (step: number, scores: InductionScores) => void;
  /** Show the training view and the induction view, updated at every record. Default true. */
  live?: boolean;
}

export interface InductionRun {
  history: InductionHistory;
  step: number;
  elapsedSec: number;
}

/**
 * Train a GPT (best: nLayer 2, mlp: false) on repeated sequences with the Trainer (AdamW, gradient
 * clipping, warmup then a constant learning rate), recording the head scores along the way. Stops
 * with a message on a non-finite loss, and between two steps on an interrupt (the weights are those
 * of the last finished step).
 */
export async function trainInduction(model: GPT, data: InductionBatches, config: InductionTrainConfig): Promise<InductionRun> {
  const c = { warmupSteps: 0, weightDecay: 0.01, gradClip: 1, recordEvery: 50, evalBatchSize: 64, live: true, ...config };
  checkPositiveInt('trainInduction: recordEvery', c.recordEvery);
  const objective = inductionObjective(model, data, { lossOn: c.lossOn, evalBatchSize: c.evalBatchSize });
  const title = c.title ?? 'Induction heads forming';
  await ensureDevice(); // the optimizer state and the recorder's batch live on the device the Trainer trains on
  const trainer = new Trainer(objective, {
    steps: c.steps,
    learningRate: c.learningRate,
    minLearningRate: c.minLearningRate ?? c.learningRate,
    warmupSteps: c.warmupSteps,
    weightDecay: c.weightDecay,
    gradClip: c.gradClip,
    beta1: 0.9,
    beta2: 0.98,
    eps: 1e-8,
    evalEvery: c.recordEvery,
    live: c.live,
    title,
    onEval: step => record(step)
  });
  const recorder = new InductionRecorder(model, data, { batchSize: c.evalBatchSize, title });
  const h = recorder.history;
  const view = c.live ? new LiveDisplay() : null;
  const show = () => {
    h.trainLoss = seriesOf(trainer.history, TRAIN_LOSS) ?? h.trainLoss; // the Trainer's series, once it has a point
    view?.show(inductionBundle(h));
  };
  const record = async (step: number) => {
    const scores = await recorder.record(step);
    c.onRecord?.(step, scores);
    show();
  };
  try {
    await trainer.train();
    if (trainer.status === 'interrupted' && h.steps.at(-1) !== trainer.step) await record(trainer.step);
  } finally {
    h.status = trainer.status;
    h.message =
      trainer.status === 'interrupted' ? `interrupted after step ${trainer.step} of ${c.steps}; the model keeps the weights of step ${trainer.step}` : trainer.history.message;
    trainer.dispose();
    recorder.dispose();
    show();
  }
  return { history: h, step: trainer.step, elapsedSec: trainer.history.elapsedSec };
}
