import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { causalLM } from '../../kernel-lib/src/train/objective';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { listRuns, openExperiment, readRun, recordTrainer, RUN_KEYS } from '../../kernel-lib/src/runs';
import { readMeta, writeMeta } from '../../kernel-lib/src/runs/yaml';
import { onCpu } from './helpers';

// fs as it is, with renameSync and writeSync spies that a test can make fail
vi.mock('fs', async importOriginal => {
  const actual = await importOriginal<typeof import('fs')>();
  return { ...actual, renameSync: vi.fn(actual.renameSync), writeSync: vi.fn(actual.writeSync) };
});

const folders: string[] = [];
function tempRoot(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-lab-runs-'));
  folders.push(dir);
  return path.join(dir, 'mlruns');
}
afterEach(async () => {
  const actual = await vi.importActual<typeof import('fs')>('fs');
  vi.mocked(fs.renameSync).mockImplementation(actual.renameSync);
  vi.mocked(fs.writeSync).mockImplementation(actual.writeSync as typeof fs.writeSync);
  for (const d of folders.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Every file and folder under `dir`, relative, sorted (folders end with /). */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) {
        out.push(`${prefix}${e.name}/`);
        walk(path.join(d, e.name), `${prefix}${e.name}/`);
      } else out.push(`${prefix}${e.name}`);
    }
  };
  walk(dir, '');
  return out.sort();
}

describe('run records: round trip', () => {
  it('reads back params (numbers exactly), tags, each metric history and its latest value, status and times', () => {
    const root = tempRoot();
    const t0 = Date.now();
    const run = openExperiment(root, 'peft methods').startRun({ name: 'lora r=8', params: { method: 'lora', r: 8, learning_rate: 3e-4, dropout: 0.1, tiny: 1e-7, bias: true }, tags: { note: 'first try' } });
    run.logMetric('train loss', 2.5, 1, 1000);
    run.logMetric('train loss', 2.25, 2, 1001);
    run.logMetrics({ 'val loss': 2.4, 'val/accuracy': 0.375 }, 2, 1002);
    run.logMetric('val loss', 2.1, 4, 1003);
    run.end();
    const [r] = listRuns(root);
    expect(r.name).toBe('lora r=8');
    expect(r.experiment).toBe('peft methods');
    expect(r.status).toBe('FINISHED');
    expect(r.startTime).toBeGreaterThanOrEqual(t0);
    expect(r.endTime).toBeGreaterThanOrEqual(r.startTime);
    expect(r.params).toEqual({ method: 'lora', r: '8', learning_rate: '0.0003', dropout: '0.1', tiny: '1e-7', bias: 'true' });
    expect([Number(r.params.learning_rate), Number(r.params.dropout), Number(r.params.tiny)]).toEqual([3e-4, 0.1, 1e-7]);
    expect(r.tags).toEqual({ 'mlflow.runName': 'lora r=8', note: 'first try' });
    expect(r.metrics).toEqual({ 'train loss': 2.25, 'val loss': 2.1, 'val/accuracy': 0.375 });
    expect(r.history['train loss']).toEqual([
      { step: 1, value: 2.5, timestamp: 1000 },
      { step: 2, value: 2.25, timestamp: 1001 }
    ]);
    expect(r.history['val loss'].map(p => [p.step, p.value])).toEqual([
      [2, 2.4],
      [4, 2.1]
    ]);
    expect(run.record()).toEqual(r);
  });

  it('a run in progress reads RUNNING with no end time; KILLED and FAILED are recorded as such', () => {
    const root = tempRoot();
    const e = openExperiment(root, 'x');
    e.startRun({ name: 'a' });
    e.startRun({ name: 'b' }).end('KILLED');
    e.startRun({ name: 'c' }).end('FAILED');
    const runs = listRuns(root, 'x');
    expect(runs.map(r => [r.name, r.status, r.endTime === null])).toEqual([
      ['a', 'RUNNING', true],
      ['b', 'KILLED', false],
      ['c', 'FAILED', false]
    ]);
  });

  it('opening an experiment again adds runs to the same one; listRuns(root, name) keeps to it and names the others when it is missing', () => {
    const root = tempRoot();
    const first = openExperiment(root, 'sweep');
    first.startRun({ name: 'one' });
    openExperiment(root, 'other').startRun({ name: 'elsewhere' });
    const again = openExperiment(root, 'sweep');
    expect(again.id).toBe(first.id);
    again.startRun({ name: 'two' });
    expect(listRuns(root, 'sweep').map(r => r.name)).toEqual(['one', 'two']);
    expect(listRuns(root).map(r => r.name).sort()).toEqual(['elsewhere', 'one', 'two']);
    const message = (() => {
      try {
        listRuns(root, 'nope');
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(message).toMatch(new RegExp(`^no experiment named "nope" in ${path.resolve(root)}; it has "\\w+", "\\w+", "\\w+"$`));
    for (const name of ['Default', 'sweep', 'other']) expect(message).toContain(`"${name}"`);
  });

  it('run names with quotes, newlines, colons and non-ASCII text come back exactly', () => {
    const root = tempRoot();
    const names = ['say "hi": it\'s #1', 'two\nlines', 'naïve → 日本語 🚀', '- [not, a, list]', 'null', '007'];
    for (const name of names) openExperiment(root, 'names').startRun({ name });
    expect(listRuns(root, 'names').map(r => r.name)).toEqual(names);
  });

  it('a param is set once: the same value again is fine, another value is an error naming both', () => {
    const run = openExperiment(tempRoot(), 'x').startRun({ params: { r: 8 } });
    run.logParam('r', 8);
    expect(() => run.logParam('r', 16)).toThrow(`param "r" of run ${run.id} is already "8"; a param is set once, it cannot become "16"`);
    expect(run.record().params.r).toBe('8');
  });
});

describe('run records: the layout on disk is MLflow file store', () => {
  it('makes mlruns/ with the Default experiment, .trash, the experiment and the run folders, one file per param, metric and tag', () => {
    const root = tempRoot();
    const exp = openExperiment(root, 'peft methods');
    const run = exp.startRun({ name: 'bitfit', params: { method: 'bitfit' } });
    run.logMetric('tokens/s', 1234.5, 3, 1700000000123);
    run.logMetric('val loss', 2, 10, 1700000000456);
    run.logMetric('val loss', 1.75, 20, 1700000000789);
    expect(tree(root)).toEqual(
      [
        '.trash/',
        '0/',
        '0/meta.yaml',
        `${exp.id}/`,
        `${exp.id}/meta.yaml`,
        `${exp.id}/${run.id}/`,
        `${exp.id}/${run.id}/artifacts/`,
        `${exp.id}/${run.id}/meta.yaml`,
        `${exp.id}/${run.id}/metrics/`,
        `${exp.id}/${run.id}/metrics/tokens/`,
        `${exp.id}/${run.id}/metrics/tokens/s`,
        `${exp.id}/${run.id}/metrics/val loss`,
        `${exp.id}/${run.id}/params/`,
        `${exp.id}/${run.id}/params/method`,
        `${exp.id}/${run.id}/tags/`,
        `${exp.id}/${run.id}/tags/mlflow.runName`
      ].sort()
    );
    expect(exp.id).toMatch(/^[0-9]{1,19}$/);
    expect(run.id).toMatch(/^[0-9a-f]{32}$/);
    const file = (p: string) => fs.readFileSync(path.join(exp.folder, run.id, p), 'utf8');
    expect(file('metrics/val loss')).toBe('1700000000456 2 10\n1700000000789 1.75 20\n');
    expect(file('metrics/tokens/s')).toBe('1700000000123 1234.5 3\n');
    expect(file('params/method')).toBe('bitfit');
    expect(file('tags/mlflow.runName')).toBe('bitfit');
  });

  it('meta.yaml holds the fields MLflow writes, keys sorted, with MLflow status numbers', () => {
    const root = tempRoot();
    const exp = openExperiment(root, 'peft methods');
    const run = exp.startRun({ name: 'lora' });
    const runMeta = () => readMeta(fs.readFileSync(path.join(run.folder, 'meta.yaml'), 'utf8'), 'meta.yaml');
    const meta = runMeta();
    expect(Object.keys(meta)).toEqual(['artifact_uri', 'deleted_time', 'end_time', 'entry_point_name', 'experiment_id', 'lifecycle_stage', 'run_id', 'run_name', 'run_uuid', 'source_name', 'source_type', 'source_version', 'start_time', 'status', 'tags', 'user_id']);
    expect(meta).toMatchObject({ artifact_uri: `file://${run.folder}/artifacts`, end_time: null, experiment_id: exp.id, lifecycle_stage: 'active', run_id: run.id, run_uuid: run.id, run_name: 'lora', source_type: 4, status: 1, tags: [] });
    run.end();
    expect(runMeta()).toMatchObject({ status: 3 });
    expect(typeof runMeta().end_time).toBe('number');
    const expMeta = readMeta(fs.readFileSync(path.join(exp.folder, 'meta.yaml'), 'utf8'), 'meta.yaml');
    expect(Object.keys(expMeta)).toEqual(['artifact_location', 'creation_time', 'experiment_id', 'last_update_time', 'lifecycle_stage', 'name']);
    expect(expMeta).toMatchObject({ artifact_location: `file://${exp.folder}`, experiment_id: exp.id, lifecycle_stage: 'active', name: 'peft methods' });
    expect(fs.readFileSync(path.join(root, '0', 'meta.yaml'), 'utf8')).toContain('name: "Default"\n');
    // experiment_id is a string in YAML (quoted), times are integers
    expect(fs.readFileSync(path.join(exp.folder, 'meta.yaml'), 'utf8')).toMatch(new RegExp(`^experiment_id: "${exp.id}"$`, 'm'));
  });

  let python = false;
  beforeAll(() => {
    try {
      execFileSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' });
      python = true;
    } catch {
      python = false;
    }
  });

  it('PyYAML (what MLflow reads meta.yaml with) reads the same mapping, names with quotes and emoji included', ctx => {
    if (!python) ctx.skip();
    const root = tempRoot();
    const run = openExperiment(root, 'e: "quoted"').startRun({ name: 'it\'s "x"\n🚀 naïve' });
    run.end('KILLED');
    const file = path.join(run.folder, 'meta.yaml');
    const parsed = JSON.parse(execFileSync('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding="utf-8"))))', file], { encoding: 'utf8' }));
    expect(parsed).toEqual(readMeta(fs.readFileSync(file, 'utf8'), file));
    expect(parsed.run_name).toBe('it\'s "x"\n🚀 naïve');
    expect(parsed.status).toBe(5);
  });

  it('reads a run as MLflow writes it: plain, single-quoted and folded YAML values, metric lines of 2 or 3 fields', () => {
    const root = tempRoot();
    const run = path.join(root, '42', 'abc123');
    fs.mkdirSync(path.join(run, 'metrics'), { recursive: true });
    fs.mkdirSync(path.join(run, 'params'), { recursive: true });
    fs.writeFileSync(path.join(root, '42', 'meta.yaml'), "artifact_location: file:///tmp/mlruns/42\ncreation_time: 1721450907000\nexperiment_id: '42'\nlast_update_time: 1721450907000\nlifecycle_stage: active\nname: my exp\n");
    fs.writeFileSync(
      path.join(run, 'meta.yaml'),
      "artifact_uri: file:///tmp/mlruns/42/abc123/artifacts\nend_time: 1721450907230\nentry_point_name: ''\nexperiment_id: '42'\nlifecycle_stage: active\nrun_id: abc123\nrun_name: a rather long run name that PyYAML folds onto\n  a second line\nrun_uuid: abc123\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 1721450907221\nstatus: 3\ntags: []\nuser_id: someone\n"
    );
    fs.writeFileSync(path.join(run, 'metrics', 'loss'), '1721450907225 0.5\n1721450907226 nan 1\n1721450907227 inf 2\n1721450907228 0.25 3\n');
    fs.writeFileSync(path.join(run, 'params', 'alpha'), '0.5');
    const [r] = listRuns(root, 'my exp');
    expect(r).toMatchObject({ id: 'abc123', name: 'a rather long run name that PyYAML folds onto a second line', experimentId: '42', status: 'FINISHED', startTime: 1721450907221, endTime: 1721450907230, params: { alpha: '0.5' }, metrics: { loss: 0.25 } });
    expect(r.history.loss.map(p => [p.step, p.value])).toEqual([
      [0, 0.5],
      [1, NaN],
      [2, Infinity],
      [3, 0.25]
    ]);
  });

  it('writeMeta and readMeta agree on every value kind', () => {
    const meta = { a: 'plain', b: '', c: null, d: 12345678901234, e: [] as [], f: 'tab\tquote"back\\slash\u0001', g: '🚀' };
    expect(readMeta(writeMeta(meta), 'x')).toEqual(meta);
  });
});

describe('run records: an interrupted write leaves no half file', () => {
  it('a tag whose final rename fails keeps its old value, and no temporary file is left', () => {
    const run = openExperiment(tempRoot(), 'x').startRun({ name: 'before' });
    vi.mocked(fs.renameSync).mockImplementation(() => {
      throw new Error('disk gone');
    });
    expect(() => run.setTag('mlflow.runName', 'after')).toThrow('disk gone');
    expect(() => run.end()).toThrow('disk gone');
    expect(tree(run.folder).filter(f => f.includes('.tmp'))).toEqual([]);
    const r = readRun(run.folder);
    expect([r.name, r.tags['mlflow.runName'], r.status]).toEqual(['before', 'before', 'RUNNING']);
  });

  it('a param whose write stops half way leaves no param file', async () => {
    const run = openExperiment(tempRoot(), 'x').startRun();
    const actual = await vi.importActual<typeof import('fs')>('fs');
    vi.mocked(fs.writeSync).mockImplementation(((fd: number, data: Uint8Array) => {
      actual.writeSync(fd, data.subarray(0, 3)); // part of it reaches the file, then the process "dies"
      throw new Error('killed');
    }) as typeof fs.writeSync);
    expect(() => run.logParam('prompt', 'a long value that never finishes')).toThrow('killed');
    vi.mocked(fs.writeSync).mockImplementation(actual.writeSync as typeof fs.writeSync);
    expect(tree(path.join(run.folder, 'params'))).toEqual([]);
    expect(run.record().params).toEqual({});
  });

  it('a metric line cut short by a crash is left out when reading; the complete lines are kept', () => {
    const run = openExperiment(tempRoot(), 'x').startRun();
    run.logMetric('loss', 2, 1, 10);
    fs.appendFileSync(path.join(run.folder, 'metrics', 'loss'), '11 1.'); // a write that did not finish
    expect(run.record().history.loss).toEqual([{ step: 1, value: 2, timestamp: 10 }]);
  });
});

describe('run records: bad names and values are refused with clear errors, nothing written', () => {
  const cases: [string, string][] = [
    ['../outside', 'invalid param name "../outside": it is a file path under the run\'s folder and must name exactly that file (no leading or trailing /, no empty, . or .. part)'],
    ['/etc/passwd', 'invalid param name "/etc/passwd": it is a file path'],
    ['a//b', 'invalid param name "a//b": it is a file path'],
    ['a/./b', 'invalid param name "a/./b": it is a file path'],
    ['..', 'invalid param name "..": it is a file path'],
    ['lr\nx', 'invalid param name "lr\\nx": names may only contain letters, digits, underscores (_), dashes (-), periods (.), spaces ( ) and slashes (/)'],
    ['a\\b', 'invalid param name "a\\\\b": names may only contain'],
    ['', 'a param name must be a non-empty string, got ""'],
    ['x'.repeat(251), 'has 251 characters, more than 250']
  ];
  for (const [key, message] of cases) {
    it(`param ${JSON.stringify(key.slice(0, 20))}: ${message.slice(0, 60)}`, () => {
      const root = tempRoot();
      const exp = openExperiment(root, 'x');
      const run = exp.startRun({ name: 'r' });
      const before = tree(path.dirname(root));
      expect(() => run.logParam(key, 1)).toThrow(message);
      expect(() => run.logMetric(key, 1, 0)).toThrow(message.replace('param', 'metric'));
      expect(() => run.setTag(key, 'v')).toThrow(message.replace('param', 'tag'));
      expect(tree(path.dirname(root))).toEqual(before);
    });
  }

  it('startRun checks every param and tag before it makes the run', () => {
    const root = tempRoot();
    const exp = openExperiment(root, 'x');
    expect(() => exp.startRun({ name: 'r', params: { ok: 1, '../x': 2 } })).toThrow('invalid param name "../x"');
    expect(() => exp.startRun({ name: 'r', params: { lr: NaN } })).toThrow('param "lr" is NaN');
    expect(() => exp.startRun({ name: '' })).toThrow('a run name must be a non-empty string, got ""');
    expect(listRuns(root, 'x')).toEqual([]);
  });

  it('a metric needs a number and an integer step', () => {
    const run = openExperiment(tempRoot(), 'x').startRun();
    expect(() => run.logMetric('loss', '2' as unknown as number, 1)).toThrow('metric "loss" must be a number, got "2"');
    expect(() => run.logMetric('loss', 2, 1.5)).toThrow("a metric's step must be an integer, got 1.5");
    expect(run.record().history).toEqual({});
  });

  it('a file in the place of the run folder is named in the error', () => {
    const root = tempRoot();
    fs.mkdirSync(path.dirname(root), { recursive: true });
    fs.writeFileSync(root, 'not a folder');
    expect(() => openExperiment(root, 'x')).toThrow(`${root} is a file, not an MLflow run folder (mlruns/)`);
  });
});

describe('recordTrainer', () => {
  beforeAll(onCpu);

  it('records a Trainer as it trains: config and sizes as params, every curve at each evaluation, the status at the end', async () => {
    const model = new GPT({ vocabSize: 13, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, seed: 1 });
    const data = { train: Int32Array.from({ length: 400 }, (_, i) => (i * 5) % 13), val: Int32Array.from({ length: 100 }, (_, i) => (i * 5) % 13) };
    model.freeze('transformer.h');
    const trainer = new Trainer(causalLM(model, data, { batchSize: 2 }), { steps: 6, learningRate: 1e-2, evalEvery: 3, live: false });
    const run = openExperiment(tempRoot(), 'x').startRun({ name: 'top only', params: { method: 'partial' } });
    const recorder = recordTrainer(run, trainer);
    const seenAtEval: number[] = [];
    const inner = trainer.config.onEval!;
    trainer.config.onEval = async (step, e) => {
      await inner(step, e);
      seenAtEval.push(run.record().history['train loss']?.length ?? 0); // on disk at this evaluation
    };
    await trainer.train();
    recorder.end();
    const r = run.record();
    expect(seenAtEval).toEqual([0, 3, 6]);
    const counts = model.countParameters();
    expect(r.params).toMatchObject({ method: 'partial', steps: '6', learning_rate: '0.01', eval_every: '3', objective: 'causal LM', tokens_per_batch: '16' });
    expect(Number(r.params[RUN_KEYS.trainableParams])).toBe(counts.trainable);
    expect(Number(r.params[RUN_KEYS.totalParams])).toBe(counts.total);
    expect(counts.trainable).toBeLessThan(counts.total);
    expect(Number(r.params[RUN_KEYS.memory.frozenFloat])).toBe(4 * counts.frozen);
    expect(Number(r.params[RUN_KEYS.memory.optimizer])).toBe(8 * counts.trainable);
    expect(r.history['train loss'].map(p => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.history['train loss'].map(p => p.value)).toEqual(trainer.series('train loss').value);
    expect(r.history['val loss'].map(p => p.step)).toEqual([0, 3, 6]);
    expect(r.history['val perplexity'].map(p => p.value)).toEqual(trainer.evaluations.map(e => e.metrics.perplexity));
    expect(r.history['learning rate']).toHaveLength(6);
    const tps = trainer.series('tokens/s');
    expect(r.history['tokens/s'].map(p => p.value)).toEqual(tps.value);
    expect(r.history[RUN_KEYS.stepMs].map(p => p.value)).toEqual(tps.value.map(v => (1000 * 16) / v));
    expect(r.status).toBe('FINISHED');
    trainer.dispose();
    model.dispose();
  });
});
