/**
 * A record of every training run, in MLflow's file store: the `mlruns/` folder that
 * `mlflow ui --backend-store-uri ./mlruns` reads.
 *
 *   mlruns/
 *     0/meta.yaml                      the Default experiment (made with the folder, as MLflow does)
 *     <experiment id>/meta.yaml        name, artifact_location, creation_time, lifecycle_stage ...
 *     <experiment id>/<run id>/
 *       meta.yaml                      run_name, status (1 running, 3 finished, 4 failed, 5 killed), start_time, end_time ...
 *       params/<key>                   one value, as text (no newline)
 *       metrics/<key>                  a line per value: "<timestamp ms> <value> <step>"
 *       tags/<key>                     one value, as text: tags/mlflow.runName is the run's name
 *       artifacts/
 *
 * const runs = openExperiment('mlruns', 'peft methods');
 * const run = runs.startRun({ name: 'lora r=8', params: { method: 'lora', r: 8 } });
 * run.logMetric('val loss', 2.31, 100); ... run.end();
 */
import { randomBytes, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { appendLines, writeFileAtomically } from './files';
import { checkId, checkKey, MAX_PARAM_VALUE_LENGTH, MAX_TAG_VALUE_LENGTH } from './names';
import { listExperiments, readRun, RunRecord, RunStatus } from './read';
import { Meta, readMeta, writeMeta } from './yaml';

export const META_FILE = 'meta.yaml';
export const RUN_NAME_TAG = 'mlflow.runName';
/** MLflow's RunStatus numbers, as meta.yaml stores them. */
export const STATUS_CODES: Record<RunStatus, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };
/** MLflow's SourceType.LOCAL. */
const SOURCE_LOCAL = 4;
const MAX_EXPERIMENT_NAME = 500;
const MAX_RUN_NAME = 250;

/** A param's value; a list (a config's target modules) is written as JSON, a RegExp as its source. */
export type ParamValue = string | number | boolean | (string | number | boolean | RegExp)[] | RegExp;

export interface StartRunOptions {
  /** The run's name as MLflow shows it (any text); default "run <first 8 digits of its id>". */
  name?: string;
  params?: Record<string, ParamValue>;
  tags?: Record<string, string>;
}

const fileUri = (p: string) => pathToFileURL(p).href;

/** A param as MLflow stores it: text. Numbers keep every digit (String(0.1) reads back as 0.1). */
function paramText(key: string, value: ParamValue): string {
  if (typeof value === 'number' && Number.isNaN(value)) throw new Error(`param ${JSON.stringify(key)} is NaN`);
  const plain = (v: unknown) => ['string', 'number', 'boolean'].includes(typeof v) || v instanceof RegExp;
  if (!(plain(value) || (Array.isArray(value) && value.every(plain)))) throw new Error(`param ${JSON.stringify(key)} must be a string, number, boolean or a list of them, got ${JSON.stringify(value) ?? typeof value}`);
  const text = Array.isArray(value) ? JSON.stringify(value.map(v => (v instanceof RegExp ? String(v) : v))) : String(value);
  if (text.length > MAX_PARAM_VALUE_LENGTH) throw new Error(`param ${JSON.stringify(key)} has a value of ${text.length} characters, more than ${MAX_PARAM_VALUE_LENGTH}`);
  return text;
}

function checkName(what: string, name: unknown, max: number): string {
  if (typeof name !== 'string' || name.trim() === '') throw new Error(`${what} must be a non-empty string, got ${JSON.stringify(name) ?? String(name)}`);
  if (name.length > max) throw new Error(`${what} ${JSON.stringify(name.slice(0, 40) + '…')} has ${name.length} characters, more than ${max}`);
  return name;
}

/** A fresh experiment id: digits, as MLflow's (a random positive 63-bit integer). */
function newExperimentId(root: string): string {
  for (;;) {
    const id = (randomBytes(8).readBigUInt64BE() >> 1n).toString();
    if (!fs.existsSync(path.join(root, id))) return id;
  }
}

function writeExperimentMeta(folder: string, id: string, name: string): void {
  const now = Date.now();
  const meta: Meta = { artifact_location: fileUri(folder), creation_time: now, experiment_id: id, last_update_time: now, lifecycle_stage: 'active', name };
  writeFileAtomically(path.join(folder, META_FILE), writeMeta(meta));
}

/** The store's root, made as MLflow makes it: with the Default experiment 0 and a .trash folder. */
function ensureRoot(root: string): void {
  if (fs.existsSync(root) && !fs.statSync(root).isDirectory()) throw new Error(`${root} is a file, not an MLflow run folder (mlruns/)`);
  if (!fs.existsSync(root)) {
    fs.mkdirSync(path.join(root, '0'), { recursive: true });
    writeExperimentMeta(path.join(root, '0'), '0', 'Default');
  }
  fs.mkdirSync(path.join(root, '.trash'), { recursive: true });
}

export class Experiment {
  private constructor(
    readonly root: string,
    readonly id: string,
    readonly name: string,
    readonly folder: string
  ) {}

  /** The experiment called `name` in the store at `root` (`mlruns`), made (with the store) if there is none. */
  static open(root: string, name: string): Experiment {
    checkName('an experiment name', name, MAX_EXPERIMENT_NAME);
    const absolute = path.resolve(root);
    ensureRoot(absolute);
    const existing = listExperiments(absolute).find(e => e.name === name);
    if (existing) return new Experiment(absolute, existing.id, name, existing.folder);
    const id = newExperimentId(absolute);
    const folder = path.join(absolute, id);
    fs.mkdirSync(folder);
    writeExperimentMeta(folder, id, name);
    return new Experiment(absolute, id, name, folder);
  }

  /** A new run, status RUNNING, with its name tag, params and tags written. */
  startRun(options: StartRunOptions = {}): Run {
    const id = checkId('run', randomUUID().replace(/-/g, ''));
    const name = checkName('a run name', options.name ?? `run ${id.slice(0, 8)}`, MAX_RUN_NAME);
    // check everything before anything is written
    const params = Object.entries(options.params ?? {}).map(([k, v]) => [checkKey('param', k), paramText(k, v)] as const);
    const tags = Object.entries(options.tags ?? {}).map(([k, v]) => [checkKey('tag', k), tagText(k, v)] as const);
    const folder = path.join(this.folder, id);
    for (const sub of ['metrics', 'params', 'tags', 'artifacts']) fs.mkdirSync(path.join(folder, sub), { recursive: true });
    let user = 'unknown';
    try {
      user = os.userInfo().username;
    } catch {
      // no user name (a container without one)
    }
    const meta: Meta = {
      artifact_uri: fileUri(path.join(folder, 'artifacts')),
      deleted_time: null,
      end_time: null,
      entry_point_name: '',
      experiment_id: this.id,
      lifecycle_stage: 'active',
      run_id: id,
      run_name: name,
      run_uuid: id,
      source_name: '',
      source_type: SOURCE_LOCAL,
      source_version: '',
      start_time: Date.now(),
      status: STATUS_CODES.RUNNING,
      tags: [],
      user_id: user
    };
    writeFileAtomically(path.join(folder, META_FILE), writeMeta(meta));
    const run = new Run(this, id, folder);
    run.setTag(RUN_NAME_TAG, name);
    for (const [k, v] of tags) run.setTag(k, v);
    for (const [k, v] of params) run.logParam(k, v);
    return run;
  }
}

function tagText(key: string, value: string): string {
  if (typeof value !== 'string') throw new Error(`tag ${JSON.stringify(key)} must be a string, got ${typeof value}`);
  if (value.length > MAX_TAG_VALUE_LENGTH) throw new Error(`tag ${JSON.stringify(key)} has a value of ${value.length} characters, more than ${MAX_TAG_VALUE_LENGTH}`);
  return value;
}

/** `openExperiment('mlruns', 'peft methods')`: the experiment of that name, made if need be. */
export function openExperiment(root: string, name: string): Experiment {
  return Experiment.open(root, name);
}

/** One training run being recorded. Everything logged is on disk when the call returns. */
export class Run {
  constructor(
    readonly experiment: Experiment,
    readonly id: string,
    readonly folder: string
  ) {}

  private metaFile(): string {
    return path.join(this.folder, META_FILE);
  }

  private updateMeta(change: Meta): void {
    const file = this.metaFile();
    writeFileAtomically(file, writeMeta({ ...readMeta(fs.readFileSync(file, 'utf8'), file), ...change }));
  }

  /** A param: set once (MLflow's rule): the same value again is fine, another one is an error. */
  logParam(key: string, value: ParamValue): void {
    checkKey('param', key);
    const text = paramText(key, value);
    const file = path.join(this.folder, 'params', key);
    if (fs.existsSync(file)) {
      const old = fs.readFileSync(file, 'utf8');
      if (old !== text) throw new Error(`param ${JSON.stringify(key)} of run ${this.id} is already ${JSON.stringify(old)}; a param is set once, it cannot become ${JSON.stringify(text)} (log a metric to record a value that changes)`);
      return;
    }
    writeFileAtomically(file, text);
  }

  logParams(params: Record<string, ParamValue>): void {
    for (const [k, v] of Object.entries(params)) paramText(checkKey('param', k), v); // all checked before any is written
    for (const [k, v] of Object.entries(params)) this.logParam(k, v);
  }

  /** A value of a metric at a step (an integer); a line "timestamp value step" appended to metrics/<key>. */
  logMetric(key: string, value: number, step = 0, timestamp = Date.now()): void {
    this.logMetrics({ [key]: value }, step, timestamp);
  }

  /** Several metrics at one step. */
  logMetrics(values: Record<string, number>, step = 0, timestamp = Date.now()): void {
    if (!Number.isSafeInteger(step)) throw new Error(`a metric's step must be an integer, got ${step}`);
    if (!(Number.isSafeInteger(timestamp) && timestamp >= 0)) throw new Error(`a metric's timestamp must be an integer >= 0 (milliseconds since 1970), got ${timestamp}`);
    for (const [k, v] of Object.entries(values)) {
      checkKey('metric', k);
      if (typeof v !== 'number') throw new Error(`metric ${JSON.stringify(k)} must be a number, got ${JSON.stringify(v)}`);
    }
    for (const [k, v] of Object.entries(values)) appendLines(path.join(this.folder, 'metrics', k), [`${timestamp} ${v} ${step}`]);
  }

  /** Many points of one metric at once (a curve recorded so far), in one write. */
  logMetricHistory(key: string, points: { step: number; value: number; timestamp?: number }[]): void {
    checkKey('metric', key);
    const now = Date.now();
    const lines = points.map(p => {
      if (!Number.isSafeInteger(p.step)) throw new Error(`metric ${JSON.stringify(key)}: a step must be an integer, got ${p.step}`);
      if (typeof p.value !== 'number') throw new Error(`metric ${JSON.stringify(key)} must be a number, got ${JSON.stringify(p.value)}`);
      return `${p.timestamp ?? now} ${p.value} ${p.step}`;
    });
    appendLines(path.join(this.folder, 'metrics', key), lines);
  }

  /** A tag (it may change); tag mlflow.runName renames the run, as in MLflow. */
  setTag(key: string, value: string): void {
    checkKey('tag', key);
    tagText(key, value);
    if (key === RUN_NAME_TAG) {
      checkName('a run name', value, MAX_RUN_NAME);
      this.updateMeta({ run_name: value });
    }
    writeFileAtomically(path.join(this.folder, 'tags', key), value);
  }

  /** Mark the run ended: FINISHED (default), FAILED or KILLED (interrupted), with its end time. */
  end(status: Exclude<RunStatus, 'RUNNING' | 'SCHEDULED'> = 'FINISHED'): void {
    if (!['FINISHED', 'FAILED', 'KILLED'].includes(status)) throw new Error(`a run ends FINISHED, FAILED or KILLED, got ${JSON.stringify(status)}`);
    this.updateMeta({ status: STATUS_CODES[status], end_time: Date.now() });
  }

  /** What is on disk for this run now: params, tags, metrics and their histories, status, times. */
  record(): RunRecord {
    return readRun(this.folder, this.experiment.name);
  }
}
