/**
 * Runs compared from their records: the run comparison view (viz/runComparison.ts) built from
 * what listRuns reads back (or from runs being recorded), shown once or as a dashboard that grows
 * run by run in the same output.
 *
 * showRunComparison('mlruns', { experiment: 'peft methods' });
 * const board = new RunDashboard({ title: 'PEFT methods' });
 * for (const method of methods) { ...train and record...; board.add(run); }
 */
import type { MetricDirection, RunComparisonRun, RunComparisonSpec, RunViewStatus } from '../contract';
import { LiveDisplay, display } from '../viz/display';
import { runComparisonBundle, runComparisonView } from '../viz/runComparison';
import { listRuns, RunRecord } from './read';
import { RUN_KEYS } from './recordTrainer';
import { Run } from './store';

export interface RunComparisonSpecOptions {
  title?: string;
  /** Final metrics to compare; default val loss (lower is better), when the runs have it. */
  metrics?: { name: string; better: MetricDirection }[];
  /** Curves to draw; default val loss and train loss, those the runs have. */
  curves?: string[];
}

const STATUS: Record<RunRecord['status'], RunViewStatus> = { RUNNING: 'running', SCHEDULED: 'running', FINISHED: 'finished', FAILED: 'failed', KILLED: 'killed' };

const recordOf = (run: RunRecord | Run): RunRecord => (run instanceof Run ? run.record() : run);

function median(values: number[]): number | null {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

function count(r: RunRecord, key: string): number {
  const text = r.params[key];
  const n = Number(text);
  if (text === undefined || !Number.isInteger(n) || n < 0) {
    throw new Error(`run ${JSON.stringify(r.name)} has ${text === undefined ? 'no' : `a bad (${JSON.stringify(text)})`} param ${key}: recordTrainer logs it, or run.logParam('${key}', n)`);
  }
  return n;
}

/** One run as the comparison shows it. */
export function comparisonRunOf(r: RunRecord, metrics: { name: string }[], curves: string[]): RunComparisonRun {
  const keys = Object.values(RUN_KEYS.memory);
  const hasMemory = keys.every(k => r.params[k] !== undefined);
  const bytes = (k: string) => count(r, k);
  return {
    name: r.name,
    method: r.params[RUN_KEYS.method] ?? r.tags[RUN_KEYS.method] ?? '?',
    status: STATUS[r.status],
    trainableParams: count(r, RUN_KEYS.trainableParams),
    totalParams: count(r, RUN_KEYS.totalParams),
    memory: hasMemory
      ? { frozenFloat: bytes(RUN_KEYS.memory.frozenFloat), frozenQuantized: bytes(RUN_KEYS.memory.frozenQuantized), trainable: bytes(RUN_KEYS.memory.trainable), gradients: bytes(RUN_KEYS.memory.gradients), optimizer: bytes(RUN_KEYS.memory.optimizer) }
      : null,
    // the median: the first steps (compilation, warm-up) are slow
    stepMs: median((r.history[RUN_KEYS.stepMs] ?? []).map(p => p.value)),
    final: metrics.map(m => (r.metrics[m.name] !== undefined && Number.isFinite(r.metrics[m.name]) ? r.metrics[m.name] : null)),
    curves: curves.map(c => ({ step: (r.history[c] ?? []).map(p => p.step), value: (r.history[c] ?? []).map(p => (Number.isFinite(p.value) ? p.value : null)) }))
  };
}

/** The comparison of `runs` (records from listRuns, or runs being recorded). */
export function runComparisonSpec(runs: (RunRecord | Run)[], options: RunComparisonSpecOptions = {}): RunComparisonSpec {
  const records = runs.map(recordOf);
  if (records.length === 0) throw new Error('runComparisonSpec: no runs to compare (record some with openExperiment(folder, name).startRun(...))');
  const has = (name: string) => records.some(r => r.history[name] !== undefined);
  const metrics = options.metrics ?? (has('val loss') ? [{ name: 'val loss', better: 'lower' as const }] : []);
  const curves = options.curves ?? ['val loss', 'train loss'].filter(has);
  return runComparisonView({ metrics, curves, runs: records.map(r => comparisonRunOf(r, metrics, curves)) }, { title: options.title ?? `${records.length} run${records.length > 1 ? 's' : ''} compared` });
}

/** Show the runs compared: runs or records, or a run folder (`mlruns`), of one experiment when options.experiment names it. */
export function showRunComparison(runsOrFolder: string | (RunRecord | Run)[], options: RunComparisonSpecOptions & { experiment?: string } = {}): RunComparisonSpec {
  const runs = typeof runsOrFolder === 'string' ? listRuns(runsOrFolder, options.experiment) : runsOrFolder;
  const spec = runComparisonSpec(runs, { ...options, title: options.title ?? options.experiment });
  display(runComparisonBundle(spec));
  return spec;
}

/**
 * A comparison that grows in one output: add(run) as each run finishes (or update(run) while it
 * trains), and the same output is redrawn in place with every run so far.
 */
export class RunDashboard {
  private readonly view = new LiveDisplay();
  private readonly runs = new Map<string, RunRecord>();

  constructor(private readonly options: RunComparisonSpecOptions = {}) {}

  /** Add a run (a Run reads its record from disk now); a run already shown is updated instead. */
  add(run: RunRecord | Run): RunComparisonSpec {
    const record = recordOf(run);
    this.runs.set(record.id, record);
    return this.show();
  }

  /** Redraw with the run's latest record (its id names which). */
  update(run: RunRecord | Run): RunComparisonSpec {
    const record = recordOf(run);
    if (!this.runs.has(record.id)) throw new Error(`RunDashboard.update: run ${JSON.stringify(record.name)} (${record.id}) is not on the dashboard; add(run) first`);
    return this.add(record);
  }

  /** The spec of the dashboard now. */
  spec(): RunComparisonSpec {
    return runComparisonSpec([...this.runs.values()], this.options);
  }

  private show(): RunComparisonSpec {
    const spec = this.spec(); // built (and checked) before anything is shown
    this.view.show(runComparisonBundle(spec));
    return spec;
  }
}
