/**
 * The training view's spec: a run's progress and any number of named series of (step, value)
 * points. Each series names the panel it is drawn on: series that share a panel share a subplot
 * (the two losses), and each panel is its own subplot, in the order the panels first appear.
 * An alignment method adds its own series (a DPO reward margin, a PPO clip fraction) without a
 * change here or in the renderer.
 *
 * Version 2. Version 1 had four fixed series; notebooks saved with it still draw: the validator
 * reads it and converts it (trainingSpecFromV1).
 */
import { arr, fail, header, int, nonEmptyStr, num, numbers, obj, SpecError, str } from './check';
import { formatCount, formatDuration, formatValue } from './format';
import { checkTrainingSize } from './limits';

/** Points of a curve: step[i] and value[i] go together. A value may be null (a NaN, sent as JSON). */
export interface Series {
  step: number[];
  value: number[];
}

/** A named curve of a training run, drawn on the subplot of its panel. */
export interface TrainingSeries extends Series {
  /** Unique in the spec; the legend entry (untrusted text: always escaped). */
  name: string;
  /** The subplot's title; series with the same panel are drawn together. */
  panel: string;
}

export type TrainingStatus = 'running' | 'done' | 'interrupted' | 'error';

/** A generated sample shown under the curves (untrusted text: always escaped). */
export interface TrainingSample {
  step: number;
  text: string;
}

/** Live view of a training run: its progress and every series it records. */
export interface TrainingSpec {
  kind: 'training';
  version: 2;
  title: string;
  status: TrainingStatus;
  /** Optimizer steps done so far, and planned. */
  step: number;
  totalSteps: number;
  elapsedSec: number;
  /** Estimated seconds left; null before the first timed step. */
  etaSec: number | null;
  /** Latest training throughput (tokens per second); null before the first timed step. */
  tokensPerSec: number | null;
  /** Backend that runs the training, e.g. "wasm" or "webgpu (NVIDIA ...)". */
  backend: string;
  series: TrainingSeries[];
  samples: TrainingSample[];
  /** Why the run stopped early, when status is 'interrupted' or 'error'. */
  message?: string;
}

/** Version 1, as notebooks saved before version 2 hold it: four fixed series. */
export interface TrainingSpecV1 extends Omit<TrainingSpec, 'version' | 'series'> {
  version: 1;
  trainLoss: Series;
  valLoss: Series;
  learningRate: Series;
  throughput: Series;
}

/** The standard series every training run records, and their panels. */
export const TRAIN_LOSS = 'train loss';
export const VAL_LOSS = 'val loss';
export const LEARNING_RATE = 'learning rate';
export const TOKENS_PER_SEC = 'tokens/s';
export const LOSS_PANEL = 'loss (nats/token)';

const STANDARD_PANELS: Readonly<Record<string, string>> = {
  [TRAIN_LOSS]: LOSS_PANEL,
  [VAL_LOSS]: LOSS_PANEL,
  [LEARNING_RATE]: LEARNING_RATE,
  [TOKENS_PER_SEC]: TOKENS_PER_SEC
};

export function isStandardSeries(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(STANDARD_PANELS, name);
}

/**
 * Where a series goes when its maker does not say: the standard panel of a standard name; a
 * measure on training and held-out data shares one panel ('train accuracy' and 'val accuracy' on
 * 'accuracy'); anything else gets a panel of its own.
 */
export function defaultPanel(name: string): string {
  if (isStandardSeries(name)) return STANDARD_PANELS[name];
  const split = /^(train|val) (.+)$/.exec(name);
  return split ? split[2] : name;
}

/** One subplot: a panel and its series, in the spec's order. */
export interface TrainingPanel {
  panel: string;
  series: TrainingSeries[];
}

/** The panels in the order they first appear in the spec's series. */
export function trainingPanels(spec: Pick<TrainingSpec, 'series'>): TrainingPanel[] {
  const panels = new Map<string, TrainingSeries[]>();
  for (const s of spec.series) {
    const members = panels.get(s.panel);
    if (members) members.push(s);
    else panels.set(s.panel, [s]);
  }
  return [...panels].map(([panel, series]) => ({ panel, series }));
}

/** Where a panel sits in a grid of two columns: the first across both, the others two to a row below it. */
export interface PanelCell {
  row: number;
  column: number;
  /** How many of the two columns it spans. */
  span: number;
}

export function panelCells(count: number): PanelCell[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? { row: 0, column: 0, span: 2 } : { row: 1 + Math.floor((i - 1) / 2), column: (i - 1) % 2, span: 1 }));
}

/** Where every step axis ends: the planned total, or further when a run went past it (resumed). */
export function lastStep(spec: Pick<TrainingSpec, 'totalSteps' | 'step' | 'series'>): number {
  return Math.max(spec.totalSteps, spec.step, ...spec.series.map(s => s.step.at(-1) ?? 0));
}

/**
 * "step 120/300", "elapsed 1m02s", ..., "train loss 1.235", "backend wasm": the facts of the
 * status line, in reading order. The latest value of every series is one of them, except the
 * learning rate's and the throughput's (tokens/s is its own fact).
 */
export function trainingStatusFacts(spec: TrainingSpec): string[] {
  const facts = [`step ${spec.step}/${spec.totalSteps}`, `elapsed ${formatDuration(spec.elapsedSec)}`];
  if (spec.status === 'running' && spec.etaSec !== null) facts.push(`ETA ${formatDuration(spec.etaSec)}`);
  if (spec.tokensPerSec !== null) facts.push(`${formatCount(spec.tokensPerSec)} tokens/s`);
  for (const s of spec.series) {
    if (s.name === LEARNING_RATE || s.name === TOKENS_PER_SEC || s.value.length === 0) continue;
    facts.push(`${s.name} ${formatValue(s.value[s.value.length - 1])}`);
  }
  if (spec.backend) facts.push(`backend ${spec.backend}`);
  return facts;
}

/** A version 1 spec as version 2: its four series under their standard names, on the panels they had. */
export function trainingSpecFromV1(v1: TrainingSpecV1): TrainingSpec {
  const { trainLoss, valLoss, learningRate, throughput, ...run } = v1;
  const named = (name: string, s: Series): TrainingSeries => ({ name, panel: defaultPanel(name), step: s.step, value: s.value });
  return {
    ...run,
    version: 2,
    series: [named(TRAIN_LOSS, trainLoss), named(VAL_LOSS, valLoss), named(LEARNING_RATE, learningRate), named(TOKENS_PER_SEC, throughput)]
  };
}

/** The fields both versions share: status, progress, timing, backend, samples, message. */
function checkRun(o: Record<string, unknown>): void {
  const statuses: TrainingStatus[] = ['running', 'done', 'interrupted', 'error'];
  if (!statuses.includes(o.status as TrainingStatus)) fail('status', statuses.join(' | '), o.status);
  int(o.step, 'step');
  int(o.totalSteps, 'totalSteps');
  num(o.elapsedSec, 'elapsedSec');
  if (o.etaSec !== null) num(o.etaSec, 'etaSec');
  if (o.tokensPerSec !== null) num(o.tokensPerSec, 'tokensPerSec');
  str(o.backend, 'backend');
  arr(o.samples, 'samples').forEach((s, i) => {
    const so = obj(s, `samples[${i}]`);
    int(so.step, `samples[${i}].step`);
    str(so.text, `samples[${i}].text`);
  });
  if (o.message !== undefined) str(o.message, 'message');
}

function checkSeries(v: unknown, i: number, names: Map<string, number>): void {
  const o = obj(v, `series[${i}]`);
  const name = nonEmptyStr(o.name, `series[${i}].name`);
  const first = names.get(name);
  if (first !== undefined) throw new SpecError(`series[${first}] and series[${i}] are both named ${JSON.stringify(name)}: names must be unique`);
  names.set(name, i);
  const path = `series[${i}] (${JSON.stringify(name)})`;
  nonEmptyStr(o.panel, `${path}.panel`);
  const step = arr(o.step, `${path}.step`);
  step.forEach((s, j) => num(s, `${path}.step[${j}]`));
  const value = numbers(o.value, `${path}.value`);
  if (value.length !== step.length) throw new SpecError(`${path}: value.length (${value.length}) must equal step.length (${step.length})`);
}

/** A field's length when it is an array, else 0 (the field's own check names the fault later). */
const lengthOf = (v: unknown): number => (Array.isArray(v) ? v.length : 0);
const field = (v: unknown, key: string): unknown => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined);

/** The view's sizes from array lengths alone, checked before any item is: a huge spec fails fast. */
function checkSize(o: Record<string, unknown>, series: unknown[]): void {
  const samples = Array.isArray(o.samples) ? o.samples : [];
  checkTrainingSize({
    series: series.length,
    points: series.reduce((sum: number, s) => sum + lengthOf(field(s, 'step')), 0),
    samples: samples.length,
    sampleChars: samples.reduce((longest: number, s) => {
      const text = field(s, 'text');
      return typeof text === 'string' ? Math.max(longest, text.length) : longest;
    }, 0)
  });
}

/** Version 1's shape, checked as it always was. */
function checkV1(o: Record<string, unknown>): TrainingSpecV1 {
  checkSize(o, [o.trainLoss, o.valLoss, o.learningRate, o.throughput]);
  checkRun(o);
  for (const key of ['trainLoss', 'valLoss', 'learningRate', 'throughput']) {
    const s = obj(o[key], key);
    const step = numbers(s.step, `${key}.step`);
    numbers(s.value, `${key}.value`, step.length);
  }
  return o as unknown as TrainingSpecV1;
}

/** A training spec of version 2, or of version 1 converted to version 2. */
export function validateTrainingSpec(v: unknown): TrainingSpec {
  const o = obj(v, 'spec');
  header(o, 'training', [2, 1]);
  if (o.version === 1) return trainingSpecFromV1(checkV1(o));
  const series = arr(o.series, 'series');
  checkSize(o, series);
  checkRun(o);
  const names = new Map<string, number>();
  series.forEach((s, i) => checkSeries(s, i, names));
  return o as unknown as TrainingSpec;
}
