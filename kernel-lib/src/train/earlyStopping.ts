/**
 * Early stopping: stop when the held-out measure has not improved for `patience` evaluations, and
 * give the model back the weights of its best evaluation. The remedy for overfitting that costs
 * nothing: the run ends where validation says the model generalised best.
 */
import * as tf from '@tensorflow/tfjs';
import { Module } from '../nn/module';
import { checkPositiveInt, Evaluation } from './objective';

export interface EarlyStoppingConfig {
  /** Evaluations without improvement before the run stops. */
  patience: number;
  /** 'loss' (the validation loss, the default) or a metric of the objective's evaluation ('accuracy', 'f1' ...). */
  metric?: string;
  /** Whether lower is better; default: 'min' for the loss and perplexity, 'max' for other metrics. */
  mode?: 'min' | 'max';
  /** Smallest change that counts as an improvement; default 0. */
  minDelta?: number;
}

export class EarlyStopping {
  readonly metric: string;
  readonly mode: 'min' | 'max';
  best: { step: number; value: number } | null = null;
  private sinceBest = 0;
  /** The weights at the best evaluation, on the CPU (copies that never slow the device's updates). */
  private bestWeights: Map<tf.Variable, Float32Array> | null = null;

  constructor(readonly config: EarlyStoppingConfig) {
    checkPositiveInt('earlyStopping: patience', config.patience);
    this.metric = config.metric ?? 'loss';
    this.mode = config.mode ?? (this.metric === 'loss' || this.metric === 'perplexity' ? 'min' : 'max');
    if (this.mode !== 'min' && this.mode !== 'max') throw new Error(`earlyStopping: mode must be 'min' or 'max', got ${JSON.stringify(config.mode)}`);
  }

  /** The measure of an evaluation; an error names the metrics there are when it has no such one. */
  valueOf(evaluation: Evaluation): number {
    if (this.metric === 'loss') return evaluation.loss;
    const v = evaluation.metrics[this.metric];
    if (v === undefined) throw new Error(`earlyStopping: the evaluation has no metric ${JSON.stringify(this.metric)}; it has loss, ${Object.keys(evaluation.metrics).join(', ')}`);
    return v;
  }

  /** Record an evaluation (copying the weights when it is the best so far); true when the run should stop. */
  async observe(step: number, evaluation: Evaluation, model: Module): Promise<boolean> {
    const value = this.valueOf(evaluation);
    const delta = this.config.minDelta ?? 0;
    const better = this.best === null || (this.mode === 'min' ? value < this.best.value - delta : value > this.best.value + delta);
    if (better) {
      this.best = { step, value };
      this.sinceBest = 0;
      const copies = new Map<tf.Variable, Float32Array>();
      for (const p of model.parameters()) copies.set(p, ((await p.data()) as Float32Array).slice()); // the cpu backend hands out its own array
      this.bestWeights = copies;
      return false;
    }
    this.sinceBest += 1;
    return this.sinceBest >= this.config.patience;
  }

  /** Put the best weights back into the model; returns the step they are from. */
  restoreBest(): number {
    if (!this.best || !this.bestWeights) throw new Error('earlyStopping: no evaluation was recorded');
    for (const [p, values] of this.bestWeights) tf.tidy(() => p.assign(tf.tensor(values, p.shape, 'float32')));
    return this.best.step;
  }
}
