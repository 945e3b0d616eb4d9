/**
 * The run comparison view's spec: many training runs of one task side by side (full fine-tuning,
 * LoRA at several ranks, QLoRA, adapters, prefix and prompt tuning, BitFit, IA3 ...). Per run:
 * what trains (trainable / total parameters), what it costs (memory by part, time per step), how
 * well it did (final metrics), and its curves (loss per step), drawn over each other. Re-exported
 * by spec.ts.
 */
import { arr, fail, header, int, nonEmptyStr, num, numbers, obj, SpecError, str, strings } from './check';
import { formatCount, formatValue } from './format';
import { headColor } from './palette';
import { VIEW_LIMITS, ViewSizeError } from './limits';
import { formatBytes, formatPercent } from './quant';

export type MetricDirection = 'higher' | 'lower';
export type RunViewStatus = 'running' | 'finished' | 'failed' | 'killed';

/** Bytes a run keeps besides activations. */
export interface RunMemoryView {
  /** Weights: frozen in float32, frozen packed (quantized), trainable. */
  frozenFloat: number;
  frozenQuantized: number;
  trainable: number;
  /** A gradient per trainable number; AdamW's m and v per trainable number. */
  gradients: number;
  optimizer: number;
}

/** The parts of the memory bar, in the order stacked, with their names. */
export const MEMORY_PARTS: readonly [keyof RunMemoryView, string][] = [
  ['frozenFloat', 'frozen weights (float32)'],
  ['frozenQuantized', 'frozen weights (quantized)'],
  ['trainable', 'trainable weights'],
  ['gradients', 'gradients'],
  ['optimizer', 'optimizer state (AdamW m, v)']
];

export interface RunCurveView {
  step: number[];
  /** null where a value was not finite. */
  value: (number | null)[];
}

export interface RunComparisonRun {
  /** The run's name (untrusted text: always escaped). */
  name: string;
  /** full, lora, qlora, adapter, prefix, prompt, bitfit, ia3 ... */
  method: string;
  status?: RunViewStatus;
  trainableParams: number;
  totalParams: number;
  memory: RunMemoryView | null;
  /** Milliseconds per optimizer step; null when not measured. */
  stepMs: number | null;
  /** One value per spec.metrics; null where the run has none. */
  final: (number | null)[];
  /** One curve per spec.curves (empty where the run has none). */
  curves: RunCurveView[];
}

export interface RunComparisonSpec {
  kind: 'run-comparison';
  version: 1;
  title: string;
  /** The final metrics compared, and which way is better. */
  metrics: { name: string; better: MetricDirection }[];
  /** The curves drawn per run, e.g. ['val loss', 'train loss']. */
  curves: string[];
  runs: RunComparisonRun[];
  /** What the builder left out to fit the limits, shown under the view. */
  note?: string;
}

/** Most metrics and curve kinds a comparison shows (each is a column or a choice of plot). */
export const RUN_COMPARISON_LIMITS = { runs: VIEW_LIMITS.series, metrics: 8, curves: 8 } as const;

const STATUSES: readonly RunViewStatus[] = ['running', 'finished', 'failed', 'killed'];

export function validateRunComparisonSpec(v: unknown): RunComparisonSpec {
  const o = obj(v, 'spec');
  header(o, 'run-comparison', [1]);
  const runs = arr(o.runs, 'runs');
  if (runs.length === 0) fail('runs', 'a non-empty array', o.runs);
  const metrics = arr(o.metrics, 'metrics');
  const curves = strings(o.curves, 'curves');
  const over = (what: string, n: number, limit: number, advice: string) => {
    if (n > limit) throw new ViewSizeError(`the run comparison has ${formatCount(n)} ${what}, more than ${formatCount(limit)} a browser draws comfortably: ${advice}`);
  };
  over('runs', runs.length, RUN_COMPARISON_LIMITS.runs, 'compare fewer runs');
  over('metrics', metrics.length, RUN_COMPARISON_LIMITS.metrics, 'compare fewer metrics');
  over('curves per run', curves.length, RUN_COMPARISON_LIMITS.curves, 'draw fewer curves');
  const points = runs.reduce((n: number, r, i) => n + arr(obj(r, `runs[${i}]`).curves, `runs[${i}].curves`, curves.length).reduce((m: number, c, j) => m + arr(obj(c, `runs[${i}].curves[${j}]`).step, `runs[${i}].curves[${j}].step`).length, 0), 0);
  over('curve points (over all runs)', points, VIEW_LIMITS.points, `thin each curve (the kernel sends at most ${formatCount(VIEW_LIMITS.seriesPoints)} points a curve)`);
  metrics.forEach((m, i) => {
    const metric = obj(m, `metrics[${i}]`);
    nonEmptyStr(metric.name, `metrics[${i}].name`);
    if (metric.better !== 'higher' && metric.better !== 'lower') fail(`metrics[${i}].better`, '"higher" or "lower"', metric.better);
  });
  curves.forEach((c, i) => nonEmptyStr(c, `curves[${i}]`));
  runs.forEach((r, i) => {
    const p = `runs[${i}]`;
    const run = r as Record<string, unknown>;
    str(run.name, `${p}.name`);
    str(run.method, `${p}.method`);
    if (run.status !== undefined && !STATUSES.includes(run.status as RunViewStatus)) fail(`${p}.status`, STATUSES.map(s => JSON.stringify(s)).join(', ') + ' or absent', run.status);
    const total = int(run.totalParams, `${p}.totalParams`, 1);
    const trainable = int(run.trainableParams, `${p}.trainableParams`);
    if (trainable > total) throw new SpecError(`${p}.trainableParams (${trainable}) must be <= ${p}.totalParams (${total})`);
    if (run.memory !== null) {
      const memory = obj(run.memory, `${p}.memory`);
      for (const [part] of MEMORY_PARTS) int(memory[part], `${p}.memory.${part}`);
    }
    if (run.stepMs !== null && !(num(run.stepMs, `${p}.stepMs`) > 0)) fail(`${p}.stepMs`, 'a number > 0 or null', run.stepMs);
    numbers(run.final, `${p}.final`, metrics.length);
    (run.curves as unknown[]).forEach((c, j) => {
      const curve = c as Record<string, unknown>;
      const steps = numbers(curve.step, `${p}.curves[${j}].step`);
      steps.forEach((s, k) => int(s, `${p}.curves[${j}].step[${k}]`));
      numbers(curve.value, `${p}.curves[${j}].value`, steps.length);
    });
  });
  if (o.note !== undefined) str(o.note, 'note');
  return o as unknown as RunComparisonSpec;
}

// ---- what the kernel's picture and the extension's view both show ------------------------------

/** The share of a run's parameters that train, in [0, 1]. */
export function trainableShare(run: Pick<RunComparisonRun, 'trainableParams' | 'totalParams'>): number {
  return run.trainableParams / run.totalParams;
}

/** Where a trainable share sits on the log-scale bar: 0.001% at the left, 100% at the right. */
export function shareBarFraction(share: number): number {
  if (!(share > 0)) return 0;
  return Math.min(1, Math.max(0, (Math.log10(share) + 5) / 5));
}

export function memoryTotal(m: RunMemoryView): number {
  return MEMORY_PARTS.reduce((sum, [part]) => sum + m[part], 0);
}

/** The colour of the i-th run, the same in the table, the curves and the picture. */
export function runColor(i: number): string {
  return headColor(i);
}

/** "lora r=8 (lora): 294,912 of 2,654,208 parameters train (11.1%)" */
export function paramsTitle(run: RunComparisonRun): string {
  return `${run.name} (${run.method}): ${formatCount(run.trainableParams)} of ${formatCount(run.totalParams)} parameters train (${formatPercent(trainableShare(run))})`;
}

/** "lora: 12.3 MiB = frozen weights (float32) 10.1 MiB + ... " (the parts that are not 0). */
export function memoryTitle(run: RunComparisonRun): string {
  if (!run.memory) return `${run.name}: memory not recorded`;
  const m = run.memory;
  const parts = MEMORY_PARTS.filter(([part]) => m[part] > 0).map(([part, label]) => `${label} ${formatBytes(m[part])}`);
  return `${run.name}: ${formatBytes(memoryTotal(m))} = ${parts.join(' + ') || '0'}`;
}

export function stepTimeTitle(run: RunComparisonRun): string {
  return `${run.name}: ${run.stepMs === null ? 'step time not recorded' : `${formatStepMs(run.stepMs)} per step`}`;
}

export function formatStepMs(ms: number): string {
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toPrecision(3)} ms`;
}

/** "val loss 2.314 (lower is better; best of 9 runs)". */
export function metricTitle(spec: RunComparisonSpec, run: RunComparisonRun, m: number): string {
  const metric = spec.metrics[m];
  const value = run.final[m];
  const best = bestRun(spec, m);
  const isBest = best !== null && spec.runs[best] === run;
  return `${run.name}: ${metric.name} ${formatValue(value)} (${metric.better} is better${isBest ? `; best of ${spec.runs.length} runs` : ''})`;
}

/** The index of the run with the best value of metric m, null when none has one. */
export function bestRun(spec: RunComparisonSpec, m: number): number | null {
  let best: number | null = null;
  spec.runs.forEach((r, i) => {
    const v = r.final[m];
    if (typeof v !== 'number' || !Number.isFinite(v)) return;
    const b = best === null ? null : (spec.runs[best].final[m] as number);
    if (b === null || (spec.metrics[m].better === 'lower' ? v < b : v > b)) best = i;
  });
  return best;
}
