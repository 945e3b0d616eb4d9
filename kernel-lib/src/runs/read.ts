/**
 * Reading runs back from an MLflow file store (ours, or one MLflow wrote): params, tags, every
 * metric's full history and its latest value, status and times.
 */
import * as fs from 'fs';
import * as path from 'path';
import { completeLines } from './files';
import { readMeta } from './yaml';

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
const STATUS_NAMES: Record<number, RunStatus> = { 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };

export interface MetricPoint {
  step: number;
  value: number;
  /** Milliseconds since 1970. */
  timestamp: number;
}

export interface RunRecord {
  id: string;
  name: string;
  experimentId: string;
  experiment: string;
  folder: string;
  status: RunStatus;
  /** Milliseconds since 1970; endTime null while it runs. */
  startTime: number;
  endTime: number | null;
  /** As stored: text (Number(params.lr) gives back the number logged). */
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Each metric's latest value, as MLflow picks it: the highest step, then the latest timestamp. */
  metrics: Record<string, number>;
  /** Each metric's every value, in the order logged. */
  history: Record<string, MetricPoint[]>;
}

/** Files under `folder`, by their path relative to it ('a/b' for a key with a slash); temporary files left out. */
function keyFiles(folder: string): string[] {
  if (!fs.existsSync(folder)) return [];
  const out: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name), `${prefix}${e.name}/`);
      else if (e.isFile() && !/^\..*\.tmp$/.test(e.name)) out.push(`${prefix}${e.name}`);
    }
  };
  walk(folder, '');
  return out.sort();
}

function number(text: string): number {
  const t = text.toLowerCase();
  if (t === 'inf' || t === 'infinity' || t === '+inf') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return Number(text);
}

function metricPoints(file: string): MetricPoint[] {
  return completeLines(file).map((line, i) => {
    const parts = line.trim().split(' ');
    const [timestamp, value, step] = [Number(parts[0]), number(parts[1] ?? ''), parts.length === 3 ? Number(parts[2]) : 0];
    if ((parts.length !== 2 && parts.length !== 3) || !Number.isInteger(timestamp) || !Number.isInteger(step) || (Number.isNaN(value) && parts[1].toLowerCase() !== 'nan')) {
      throw new Error(`${file}: line ${i + 1} is not "timestamp value step": ${JSON.stringify(line.slice(0, 80))}`);
    }
    return { step, value, timestamp };
  });
}

/** MLflow's latest value: the point with the highest (step, timestamp, value). */
function latest(points: MetricPoint[]): number {
  let best = points[0];
  for (const p of points) if (p.step > best.step || (p.step === best.step && (p.timestamp > best.timestamp || (p.timestamp === best.timestamp && p.value > best.value)))) best = p;
  return best.value;
}

/** One run folder (…/<experiment id>/<run id>). */
export function readRun(folder: string, experiment = ''): RunRecord {
  const metaFile = path.join(folder, 'meta.yaml');
  if (!fs.existsSync(metaFile)) throw new Error(`${folder} is not a run folder: it has no meta.yaml`);
  const meta = readMeta(fs.readFileSync(metaFile, 'utf8'), metaFile);
  const texts = (sub: string) => Object.fromEntries(keyFiles(path.join(folder, sub)).map(k => [k, fs.readFileSync(path.join(folder, sub, k), 'utf8')]));
  const tags = texts('tags');
  const history = Object.fromEntries(keyFiles(path.join(folder, 'metrics')).map(k => [k, metricPoints(path.join(folder, 'metrics', k))]).filter(([, points]) => points.length > 0));
  const id = String(meta.run_id ?? path.basename(folder));
  return {
    id,
    name: typeof meta.run_name === 'string' && meta.run_name ? meta.run_name : (tags['mlflow.runName'] ?? id),
    experimentId: String(meta.experiment_id ?? path.basename(path.dirname(folder))),
    experiment,
    folder,
    status: STATUS_NAMES[meta.status as number] ?? 'RUNNING',
    startTime: typeof meta.start_time === 'number' ? meta.start_time : 0,
    endTime: typeof meta.end_time === 'number' ? meta.end_time : null,
    params: texts('params'),
    tags,
    metrics: Object.fromEntries(Object.entries(history).map(([k, points]) => [k, latest(points as MetricPoint[])])),
    history: history as Record<string, MetricPoint[]>
  };
}

/** Every experiment of a store: id, name, folder (active ones; a folder without a readable meta.yaml is not one). */
export function listExperiments(root: string): { id: string; name: string; folder: string }[] {
  if (!fs.existsSync(root)) return [];
  const found: { id: string; name: string; folder: string }[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    const metaFile = path.join(root, entry.name, 'meta.yaml');
    if (!entry.isDirectory() || entry.name.startsWith('.') || !fs.existsSync(metaFile)) continue;
    const meta = readMeta(fs.readFileSync(metaFile, 'utf8'), metaFile);
    if (meta.lifecycle_stage === 'deleted' || typeof meta.name !== 'string') continue;
    found.push({ id: String(meta.experiment_id ?? entry.name), name: meta.name, folder: path.join(root, entry.name) });
  }
  return found;
}

/** Folders of an experiment that hold other things than runs (MLflow's). */
const NOT_RUNS = new Set(['tags', 'datasets', 'traces']);

/**
 * Every run of the store at `root` (of the experiment named `experiment` only, when given),
 * oldest first; deleted runs left out.
 */
export function listRuns(root: string, experiment?: string): RunRecord[] {
  if (!fs.existsSync(root)) throw new Error(`no run folder at ${path.resolve(root)} (openExperiment(folder, name) makes one)`);
  const experiments = listExperiments(path.resolve(root));
  const chosen = experiment === undefined ? experiments : experiments.filter(e => e.name === experiment);
  if (experiment !== undefined && chosen.length === 0) {
    throw new Error(`no experiment named ${JSON.stringify(experiment)} in ${path.resolve(root)}; it has ${experiments.map(e => JSON.stringify(e.name)).join(', ') || 'none'}`);
  }
  const runs: RunRecord[] = [];
  for (const e of chosen) {
    for (const entry of fs.readdirSync(e.folder, { withFileTypes: true })) {
      const folder = path.join(e.folder, entry.name);
      if (!entry.isDirectory() || NOT_RUNS.has(entry.name) || !fs.existsSync(path.join(folder, 'meta.yaml'))) continue;
      const meta = readMeta(fs.readFileSync(path.join(folder, 'meta.yaml'), 'utf8'), path.join(folder, 'meta.yaml'));
      if (meta.lifecycle_stage === 'deleted') continue;
      runs.push(readRun(folder, e.name));
    }
  }
  return runs.sort((a, b) => a.startTime - b.startTime || a.name.localeCompare(b.name));
}
