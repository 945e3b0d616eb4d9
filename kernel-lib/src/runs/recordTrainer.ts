/**
 * A Trainer's run recorded as it trains: its settings and the model's sizes as params, every
 * curve of its history (train loss per step, val loss and metrics per evaluation, learning rate,
 * tokens/s, what the objective logs) as metrics, at every evaluation and when it ends.
 *
 * const recorder = recordTrainer(run, trainer);
 * await trainer.train();
 * recorder.end(); // the last points, and the run's status (done -> FINISHED, interrupted -> KILLED, error -> FAILED)
 */
import { TOKENS_PER_SEC } from '../contract/training';
import { trainingMemory } from '../peft/memory';
import type { Trainer } from '../train/trainer';
import { metricKeyOf } from './names';
import type { RunStatus } from './read';
import type { Run } from './store';

/** The names the run comparison reads (runs/dashboard.ts): params, and the one derived metric. */
export const RUN_KEYS = {
  method: 'method',
  trainableParams: 'trainable_params',
  totalParams: 'total_params',
  memory: {
    frozenFloat: 'memory.frozen_float_bytes',
    frozenQuantized: 'memory.frozen_quantized_bytes',
    trainable: 'memory.trainable_bytes',
    gradients: 'memory.gradient_bytes',
    optimizer: 'memory.optimizer_bytes'
  },
  /** Milliseconds per optimizer step, from tokens/s (evaluations left out). */
  stepMs: 'step time ms'
} as const;

/** Bytes a run keeps besides activations: the shape of peft/'s trainingMemory(model), which counts packed (quantized) layers too. */
export interface RunMemory {
  /** Weights: trainable (float32), frozen float32, frozen packed (quantized). */
  weights: { trainable: number; frozen: number; quantized: number };
  /** A float32 gradient per trainable number. */
  gradients: number;
  /** AdamW's m and v: two float32 numbers per trainable number. */
  optimizer: number;
}

export interface RecordTrainerOptions {
  /** The run's memory; by default trainingMemory(model) (peft/memory.ts), which counts quantized layers as packed. */
  memory?: RunMemory;
}

export interface TrainerRecorder {
  /** Write the points recorded since the last flush (done at every evaluation). */
  flush(): void;
  /** Flush, and end the run with the trainer's status. */
  end(): void;
}

const STATUS: Record<string, Exclude<RunStatus, 'RUNNING' | 'SCHEDULED'>> = { done: 'FINISHED', interrupted: 'KILLED', error: 'FAILED', running: 'KILLED' };

/**
 * Record `trainer` into `run`: params now; its curves at every evaluation (the Trainer's onEval,
 * any onEval already set still runs first) and at recorder.flush() / recorder.end().
 */
export function recordTrainer(run: Run, trainer: Trainer, options: RecordTrainerOptions = {}): TrainerRecorder {
  const c = trainer.config;
  const model = trainer.objective.model;
  const census = trainingMemory(model);
  const counts = census.numbers; // quantized numbers count in the total
  const memory = options.memory ?? census;
  const m = memory.weights;
  run.logParams({
    objective: trainer.objective.name,
    steps: c.steps,
    learning_rate: c.learningRate,
    min_learning_rate: c.minLearningRate ?? c.learningRate / 10,
    warmup_steps: c.warmupSteps,
    weight_decay: c.weightDecay,
    beta1: c.beta1,
    beta2: c.beta2,
    eps: c.eps,
    grad_clip: c.gradClip,
    eval_every: c.evalEvery,
    tokens_per_batch: trainer.objective.tokensPerBatch,
    [RUN_KEYS.trainableParams]: counts.trainable,
    [RUN_KEYS.totalParams]: counts.total,
    [RUN_KEYS.memory.frozenFloat]: m.frozen,
    [RUN_KEYS.memory.frozenQuantized]: m.quantized,
    [RUN_KEYS.memory.trainable]: m.trainable,
    [RUN_KEYS.memory.gradients]: memory.gradients,
    [RUN_KEYS.memory.optimizer]: memory.optimizer
  });

  // How many points of each series, and how many evaluations, are on disk already.
  const written = new Map<string, number>();
  let evaluationsWritten = 0;
  const plotted = new Set((trainer.objective.plotMetrics ?? []).map(m => `val ${m}`));

  const flush = () => {
    const now = Date.now();
    for (const s of trainer.history.series) {
      const from = Math.min(written.get(s.name) ?? 0, s.step.length); // a rewound run has fewer points: go on from there
      const points = s.step.slice(from).map((step, i) => ({ step, value: s.value[from + i], timestamp: now }));
      if (points.length === 0) continue;
      run.logMetricHistory(metricKeyOf(s.name), points);
      if (s.name === TOKENS_PER_SEC) {
        const perStep = trainer.objective.tokensPerBatch;
        run.logMetricHistory(RUN_KEYS.stepMs, points.filter(p => p.value > 0).map(p => ({ ...p, value: (1000 * perStep) / p.value })));
      }
      written.set(s.name, s.step.length);
    }
    // evaluation metrics the live view does not plot
    const evaluations = trainer.evaluations.slice(Math.min(evaluationsWritten, trainer.evaluations.length));
    for (const e of evaluations) {
      for (const [name, value] of Object.entries(e.metrics)) if (!plotted.has(`val ${name}`)) run.logMetric(metricKeyOf(`val ${name}`), value, e.step, now);
    }
    evaluationsWritten = trainer.evaluations.length;
  };

  const before = c.onEval;
  c.onEval = async (step, evaluation) => {
    await before?.(step, evaluation);
    flush();
  };
  return {
    flush,
    end() {
      flush();
      run.end(STATUS[trainer.status] ?? 'FINISHED');
    }
  };
}
