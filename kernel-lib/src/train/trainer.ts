/**
 * The training loop, with a live view: one door for every model and every way of training it.
 * `new Trainer(objective, config)` trains any Objective (train/objective.ts): a causal LM (GPT),
 * a masked LM (BERT), a seq2seq model, and what fine-tuning and alignment add.
 *
 * One step: a batch -> loss -> gradients of the parameters that train -> clip -> AdamW update
 * with the scheduled learning rate. Frozen parameters get no gradient, no share of the clipping
 * norm and no optimizer state. Every `evalEvery` steps: loss and metrics on fixed held-out
 * batches, and a sample. The loss is read back before the update is applied, so a NaN stops the
 * run with the last good weights; an interrupt (kernel interrupt = SIGINT) also stops it between
 * two steps.
 */
import * as tf from '@tensorflow/tfjs';
import { copyVariablesToHost, describeAdapter, ensureDevice, updatesInPlace, webgpuLost } from '../device';
import { LiveDisplay } from '../viz/display';
import { defaultPanel, isStandardSeries, LEARNING_RATE, TOKENS_PER_SEC, TRAIN_LOSS, VAL_LOSS } from '../contract';
import type { TrainingSeries, TrainingSpec, TrainingStatus } from '../contract';
import { addPoint, dropAfter, lastValue, newTrainingSpec, seriesOf, trainingBundle } from '../viz/training';
import { AdamW } from './adamw';
import { clipScale, globalNorm } from './clip';
import { EarlyStopping, EarlyStoppingConfig } from './earlyStopping';
import { checkPositiveInt, Evaluation, Objective } from './objective';
import { ParamGroup, resolveParamGroups } from './paramGroups';
import { learningRateAt } from './schedule';
import { GradualUnfreezing, GradualUnfreezingConfig } from './unfreezing';

/** The loop's settings, whatever the objective. */
export interface LoopConfig {
  steps: number;
  /** Peak learning rate, reached after warmup. */
  learningRate: number;
  /** Learning rate at the last step (cosine floor); default learningRate / 10. */
  minLearningRate?: number;
  warmupSteps: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Clip the global gradient norm to this (0 = no clipping). */
  gradClip: number;
  /** Validation loss every this many steps (and at the end). */
  evalEvery: number;
  title: string;
  /** Show and update the live training view. */
  live: boolean;
  /** At most one live update per this many milliseconds. */
  liveIntervalMs: number;
  /** On WebGPU, copy the weights to the CPU every this many steps (a device loss falls back to them). */
  hostCopyEvery: number;
  /** Called after every evaluation (e.g. to record attention at checkpoints); awaited. */
  onEval?: (step: number, evaluation: Evaluation) => void | Promise<void>;
  /** Parts of the model with their own learning rate and weight decay (train/paramGroups.ts). */
  paramGroups?: ParamGroup[];
  /** Unfreeze the model from the top down, one layer group every `every` steps (train/unfreezing.ts). */
  gradualUnfreezing?: GradualUnfreezingConfig;
  /** Stop when validation stops improving, with the best weights (train/earlyStopping.ts). */
  earlyStopping?: EarlyStoppingConfig;
}

type LoopConfigInput = Partial<LoopConfig> & Pick<LoopConfig, 'steps' | 'learningRate'>;

export const defaultTrainConfig: Omit<LoopConfig, 'steps' | 'learningRate'> = {
  warmupSteps: 0,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  gradClip: 1,
  evalEvery: 100,
  title: 'Training',
  live: true,
  liveIntervalMs: 500,
  hostCopyEvery: 50
};

export function checkTrainConfig(c: LoopConfig): void {
  for (const k of ['steps', 'evalEvery', 'hostCopyEvery'] as const) checkPositiveInt(`train config: ${k}`, c[k]);
  if (!(c.learningRate > 0) || !Number.isFinite(c.learningRate)) throw new Error(`train config: learningRate must be a positive number, got ${c.learningRate}`);
  const minLr = c.minLearningRate ?? c.learningRate / 10;
  if (!(minLr >= 0 && minLr <= c.learningRate)) throw new Error(`train config: minLearningRate must be in [0, learningRate = ${c.learningRate}], got ${minLr}`);
  if (!(Number.isInteger(c.warmupSteps) && c.warmupSteps >= 0 && c.warmupSteps <= c.steps)) {
    throw new Error(`train config: warmupSteps must be an integer in [0, steps = ${c.steps}], got ${c.warmupSteps}`);
  }
  if (!(c.weightDecay >= 0 && Number.isFinite(c.weightDecay))) throw new Error(`train config: weightDecay must be a number >= 0, got ${c.weightDecay}`);
  for (const k of ['beta1', 'beta2'] as const) {
    if (!(c[k] >= 0 && c[k] < 1)) throw new Error(`train config: ${k} must be in [0, 1), got ${c[k]}`);
  }
  if (!(c.eps > 0 && Number.isFinite(c.eps))) throw new Error(`train config: eps must be a number > 0, got ${c.eps}`);
  if (!(c.gradClip >= 0)) throw new Error(`train config: gradClip must be >= 0 (0 = off), got ${c.gradClip}`);
}

/** What train() returns: the state at the end, small enough to print. */
export interface TrainSummary {
  status: TrainingStatus;
  step: number;
  totalSteps: number;
  trainLoss: number | null;
  valLoss: number | null;
  /** The last evaluation's metrics, e.g. { perplexity: 6.1 }. */
  valMetrics?: Record<string, number>;
  tokensPerSec: number | null;
  elapsedSec: number;
  message?: string;
}

export interface StepLog {
  step: number;
  loss: number;
  learningRate: number;
  gradNorm: number;
  /** What the objective logged in this step (StepLogger), by name. */
  logged: Record<string, number>;
}

/**
 * Trains a model for an objective. Keeps its step counter and optimizer state, so calling
 * `train()` again after an interrupt continues where it stopped.
 */
export class Trainer<B = unknown> {
  readonly config: LoopConfig;
  readonly objective: Objective<B>;
  /** Optimizer steps done. */
  step = 0;
  status: TrainingStatus = 'running';
  /** Every curve of the run (by name, see series()) and its progress: the live view's spec. */
  readonly history: TrainingSpec;
  /** Every evaluation so far: step, loss and metrics. */
  readonly evaluations: ({ step: number } & Evaluation)[] = [];
  readonly optimizer: AdamW;
  private elapsedSec = 0;
  private stopRequested = false;
  /** Set by an evaluation when early stopping says the run is over. */
  private stopEarly = false;
  /** The step of the last host copy of the weights (WebGPU only: what survives a device loss). */
  private hostCopyStep = -Infinity;
  /** The run in progress, if any: a second train() waits for it to stop. */
  private running: Promise<TrainSummary> | null = null;
  /** The lowest training loss so far, and whether a jump above it was reported (divergence). */
  private lowestLoss = Infinity;
  private jumpReported = false;
  private readonly unfreezing: GradualUnfreezing | null;
  private readonly earlyStopping: EarlyStopping | null;
  /** Set when the last trainStep() refused a batch: what was not finite, and which weights the model kept. */
  lastFailure: { step: number; loss: number; gradNorm: number; keptStep: number; undone: boolean } | null = null;

  /** Train `objective` (causalLM, maskedLM, seq2seqObjective ...) with the loop's `config`. */
  constructor(objective: Objective<B>, config: LoopConfigInput) {
    const given = objective as Partial<Objective<B>> | undefined;
    if (typeof given?.loss !== 'function' || !given.model) {
      throw new Error('Trainer: the first argument must be an objective, e.g. new Trainer(causalLM(model, data, { batchSize: 16, tokenizer }), { steps, learningRate })');
    }
    this.config = { ...defaultTrainConfig, ...config };
    checkTrainConfig(this.config);
    this.objective = objective;
    const model = objective.model;
    this.optimizer = new AdamW(model.namedParameters(), this.config, resolveParamGroups(model, this.config.paramGroups ?? [], this.config));
    this.unfreezing = this.config.gradualUnfreezing ? new GradualUnfreezing(model, this.config.gradualUnfreezing) : null;
    this.earlyStopping = this.config.earlyStopping ? new EarlyStopping(this.config.earlyStopping) : null;
    this.history = newTrainingSpec(this.config.title, this.config.steps);
    // the standard curves in reading order (the first evaluation comes before the first step)
    for (const name of [TRAIN_LOSS, VAL_LOSS, LEARNING_RATE, TOKENS_PER_SEC]) this.history.series.push({ name, panel: defaultPanel(name), step: [], value: [] });
  }

  /** One curve of the run by name ('train loss', 'val loss', 'learning rate', 'tokens/s', or one the objective logs). */
  series(name: string): TrainingSeries {
    return seriesOf(this.history, name) ?? { name, panel: name, step: [], value: [] };
  }

  private learningRate(step: number): number {
    const c = this.config;
    return learningRateAt(step, { learningRate: c.learningRate, minLearningRate: c.minLearningRate ?? c.learningRate / 10, warmupSteps: c.warmupSteps, totalSteps: c.steps });
  }

  /** One optimizer step. Returns null (and changes nothing) if the loss or gradients are not finite. */
  async trainStep(): Promise<StepLog | null> {
    const lr = this.learningRate(this.step);
    this.unfreezing?.apply(this.step);
    const trainable = this.objective.model.trainableParameters().map(([, p]) => p);
    if (trainable.length === 0) throw new Error(`nothing to train: every parameter of the ${this.objective.name} model is frozen (model.unfreeze(pattern) picks what trains)`);
    const batch = await this.objective.nextBatch();
    const logged = new Map<string, tf.Scalar>();
    const log = (name: string, value: tf.Scalar) => {
      if (logged.has(name) || isStandardSeries(name)) throw new Error(`${this.objective.name}: a step logged ${JSON.stringify(name)} twice, or under a name the Trainer plots itself`);
      logged.set(name, tf.keep(value.reshape([]) as tf.Scalar)); // past the gradient's scope: read back below
    };
    // Only the trainable parameters enter the gradient: frozen ones, and reference models, never do.
    // Dropout acts in the step alone (training mode); batches (rollouts too) and evaluations run in eval mode.
    const model = this.objective.model;
    let step: { value: tf.Scalar; grads: tf.NamedTensorMap };
    try {
      model.train();
      step = tf.variableGrads(() => this.objective.loss(batch, log), trainable);
    } finally {
      model.eval();
    }
    const { value, grads } = step;
    const norm = globalNorm(trainable.filter(p => grads[p.name]).map(p => grads[p.name]));
    const check = tf.stack([value, norm, ...logged.values()]);
    const [loss, gradNorm, ...extra] = await check.data(); // wait for the device: nothing applied yet
    const ok = Number.isFinite(loss) && Number.isFinite(gradNorm);
    if (ok) {
      // On webgpu, a copy of the weights on the CPU now and then: weights that just gave a finite
      // loss, which a lost device falls back on.
      if (updatesInPlace() && this.step - this.hostCopyStep >= this.config.hostCopyEvery) {
        await copyVariablesToHost();
        this.hostCopyStep = this.step;
      }
      // Gradient clipping: AdamW multiplies every gradient by the scale as it reads it (one pass,
      // no clipped copies; clipByGlobalNorm in train/clip.ts is the same thing written out). The
      // update can be undone: where it swaps tensors the old ones are kept, where it writes in
      // place (webgpu) it copies them first.
      this.optimizer.step(grads, lr, clipScale(gradNorm, this.config.gradClip), { undoable: true });
    }
    this.objective.disposeBatch(batch);
    tf.dispose([value, norm, check, grads, ...logged.values()]);
    if (!ok) {
      this.keepLastGoodWeights(loss, gradNorm);
      return null;
    }
    this.lastFailure = null;
    this.step += 1;
    return { step: this.step, loss, learningRate: lr, gradNorm, logged: Object.fromEntries([...logged.keys()].map((name, i) => [name, extra[i]])) };
  }

  /**
   * After a batch whose loss or gradients are not finite: nothing of it was applied, but the
   * weights the last update left are what gave it, so that update is taken back as well (the
   * weights of the step before it gave a finite loss), on every backend.
   */
  private keepLastGoodWeights(loss: number, gradNorm: number): void {
    const failedStep = this.step + 1;
    let undone = false;
    if (this.step > 0 && this.optimizer.undo()) {
      this.rewindTo(this.step - 1);
      undone = true;
    }
    this.lastFailure = { step: failedStep, loss, gradNorm, keptStep: this.step, undone };
  }

  /** Loss and metrics on the objective's fixed held-out batches (in eval mode: no dropout). */
  evaluate(): Promise<Evaluation> {
    this.objective.model.eval();
    return this.objective.evaluate();
  }

  /** Evaluate now, record it (history, evaluations, sample) and tell onEval. */
  private async checkpoint(): Promise<void> {
    const evaluation = await this.evaluate();
    this.evaluations.push({ step: this.step, ...evaluation });
    addPoint(this.history, VAL_LOSS, this.step, evaluation.loss);
    for (const name of this.objective.plotMetrics ?? []) {
      if (evaluation.metrics[name] !== undefined) addPoint(this.history, `val ${name}`, this.step, evaluation.metrics[name]);
    }
    if (this.earlyStopping && (await this.earlyStopping.observe(this.step, evaluation, this.objective.model))) this.stopEarly = true;
    const text = await this.objective.sample?.(this.step);
    if (text !== undefined) this.history.samples.push({ step: this.step, text });
    await this.config.onEval?.(this.step, evaluation);
  }

  /** Ask a running train() to stop after the current step (what a kernel interrupt does). */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Train until `config.steps` steps are done (or stopped). The full record is `history`. Called
   * while a run is still stopping (a cell run again right after an interrupt), it waits for that
   * run to end, then continues from where it stopped.
   */
  async train(): Promise<TrainSummary> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.run();
    try {
      return await this.running;
    } finally {
      this.running = null;
    }
  }

  private async run(): Promise<TrainSummary> {
    const device = await ensureDevice();
    const h = this.history;
    h.backend = device.backend === 'webgpu' && device.adapter ? `webgpu (${describeAdapter(device.adapter)})` : device.backend;
    h.status = this.status = 'running';
    delete h.message;
    const view = this.config.live ? new LiveDisplay() : null;
    let lastShown = 0;
    const show = (force: boolean, final = false) => {
      if (!view) return;
      const now = Date.now();
      if (!force && now - lastShown < this.config.liveIntervalMs) return;
      lastShown = now;
      view.show(trainingBundle(h, { final })); // the SVG fallback only with the final state
    };

    this.stopRequested = false;
    const onInterrupt = () => this.stop();
    process.on('SIGINT', onInterrupt);
    const tokensPerStep = this.objective.tokensPerBatch;
    const runStarted = performance.now() / 1000;
    const started = runStarted - this.elapsedSec; // elapsed time adds up over resumed runs
    const firstStep = this.step;
    let windowStart = performance.now();
    let windowSteps = 0;
    try {
      if (this.step === 0 && this.evaluations.length === 0) await this.checkpoint();
      show(true);
      this.stopEarly = false;
      while (this.step < this.config.steps && !this.stopRequested && !this.stopEarly) {
        // Let the event loop run: the kernel's interrupt and the live view's messages need it.
        await new Promise(resolve => setImmediate(resolve));
        const log = await this.trainStep();
        if (!log) {
          h.status = this.status = 'error';
          h.message = this.failureMessage();
          break;
        }
        if (!this.objective.lossMayRise) this.watchForJump(log);
        windowSteps += 1;
        addPoint(h, TRAIN_LOSS, log.step, log.loss);
        addPoint(h, LEARNING_RATE, log.step, log.learningRate);
        for (const [name, value] of Object.entries(log.logged)) addPoint(h, name, log.step, value);
        const now = performance.now();
        const atEval = this.step % this.config.evalEvery === 0 || this.step === this.config.steps;
        // A point per second or 50 steps, and one before each evaluation, which is not training
        // time: a short run with frequent evaluations still gets its throughput.
        if (now - windowStart > 1000 || windowSteps >= 50 || atEval) {
          h.tokensPerSec = (windowSteps * tokensPerStep) / ((now - windowStart) / 1000);
          addPoint(h, TOKENS_PER_SEC, log.step, h.tokensPerSec);
          windowStart = now;
          windowSteps = 0;
        }
        if (atEval) await this.checkpoint();
        h.step = this.step;
        h.elapsedSec = performance.now() / 1000 - started;
        const secPerStep = (performance.now() / 1000 - runStarted) / (this.step - firstStep);
        h.etaSec = secPerStep * (this.config.steps - this.step);
        if (atEval) {
          windowStart = performance.now(); // evaluation time is not training throughput
          windowSteps = 0;
        }
        show(atEval);
      }
      if (h.status === 'running' && this.stopEarly) {
        h.status = this.status = 'done';
        h.message = this.restoreBest();
      } else if (h.status === 'running') {
        h.status = this.status = this.step >= this.config.steps ? 'done' : 'interrupted';
        if (this.status === 'interrupted') h.message = `interrupted after step ${this.step} of ${this.config.steps}; the model keeps the weights of step ${this.step}. Run train() again to continue.`;
      }
    } catch (e) {
      h.status = this.status = 'error';
      if (webgpuLost() && this.hostCopyStep >= 0) {
        const failed = this.step + 1;
        this.rewindTo(this.hostCopyStep); // the weights that will come back
        h.message = `the WebGPU device was lost at step ${failed} (${webgpuLost()!.reason}). Run await useDevice('wasm') (or 'cpu'): the model gets back its weights of step ${this.step}, copied to the CPU, and train() continues from there.`;
        throw new Error(h.message);
      }
      h.message = `stopped at step ${this.step + 1}: ${(e as Error).message}. The weights are those after step ${this.step}.`;
      throw e;
    } finally {
      process.off('SIGINT', onInterrupt);
      this.elapsedSec = performance.now() / 1000 - started;
      h.elapsedSec = this.elapsedSec;
      h.etaSec = h.status === 'running' ? h.etaSec : 0;
      show(true, true);
    }
    return this.summary();
  }

  /** After early stopping: the best weights back in the model, and what the view says about it. */
  private restoreBest(): string {
    const es = this.earlyStopping!;
    const bestStep = es.restoreBest();
    this.optimizer.forgetUndo(); // the last update is not what the model holds now: nothing to take back
    const name = es.metric === 'loss' ? 'val loss' : `val ${es.metric}`;
    return `stopped early at step ${this.step}: ${name} has not improved for ${es.config.patience} evaluations. The model has the weights of step ${bestStep}, its best (${name} ${es.best!.value.toPrecision(4)}).`;
  }

  /** What stopped the run at a non-finite loss or gradient, which weights the model kept, and what to change. */
  private failureMessage(): string {
    const f = this.lastFailure!;
    const what = !Number.isFinite(f.loss) ? `the loss is ${f.loss}` : `the gradient norm is ${f.gradNorm}`;
    const kept = f.undone
      ? `The update before it made the weights diverge and is undone: the model keeps the weights of step ${f.keptStep}, the last that gave a finite loss.`
      : `No update was applied: the model keeps the weights of step ${f.keptStep}.`;
    const c = this.config;
    const hints = [`a lower learningRate (now ${c.learningRate})`, ...(c.gradClip > 0 ? [] : ['gradClip: 1 (now 0: no clipping)']), ...(c.warmupSteps > 0 ? [] : ['a warmup (warmupSteps)'])];
    return `stopped at step ${f.step}: ${what}. ${kept} Try ${hints.join(', or ')}.`;
  }

  /**
   * A training loss far above the lowest one so far means the run is diverging even if every
   * number is still finite (a learning rate too high): say so once, and keep training.
   */
  private watchForJump(log: StepLog): void {
    if (!this.jumpReported && log.loss > this.lowestLoss + Math.max(1, Math.abs(this.lowestLoss))) {
      this.jumpReported = true;
      this.history.message = `warning: at step ${log.step} the training loss jumped to ${log.loss.toPrecision(4)}, from as low as ${this.lowestLoss.toPrecision(4)}: the run is diverging. Try a lower learningRate (now ${this.config.learningRate}).`;
    }
    this.lowestLoss = Math.min(this.lowestLoss, log.loss);
  }

  /** Forget the steps after `step` (their weights are gone): counter, optimizer and history. */
  private rewindTo(step: number): void {
    this.step = step;
    this.optimizer.t = step;
    const h = this.history;
    dropAfter(h, step);
    const kept = this.evaluations.filter(e => e.step <= step);
    this.evaluations.splice(0, this.evaluations.length, ...kept);
    h.step = step;
  }

  summary(): TrainSummary {
    const h = this.history;
    const last = (name: string) => lastValue(h, name) ?? null;
    const round = (v: number | null, digits: number) => (v === null ? null : Number(v.toFixed(digits)));
    return {
      status: h.status,
      step: h.step,
      totalSteps: h.totalSteps,
      trainLoss: round(last(TRAIN_LOSS), 4),
      valLoss: round(last(VAL_LOSS), 4),
      ...(this.evaluations.length ? { valMetrics: roundAll(this.evaluations[this.evaluations.length - 1].metrics) } : {}),
      tokensPerSec: round(h.tokensPerSec, 0),
      elapsedSec: Number(h.elapsedSec.toFixed(1)),
      ...(h.message ? { message: h.message } : {})
    };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

function roundAll(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, Number(v.toPrecision(4))]));
}
