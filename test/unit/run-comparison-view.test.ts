import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterEach, describe, expect, it } from 'vitest';
import { mimeTypeFor, validateRunComparisonSpec } from '../../kernel-lib/src/contract';
import { listRuns, openExperiment, RUN_KEYS, RunDashboard, runComparisonSpec, showRunComparison } from '../../kernel-lib/src/runs';
import { setDisplaySink } from '../../kernel-lib/src/viz/display';
import { runComparisonBundle, runComparisonView } from '../../kernel-lib/src/viz/runComparison';
import { svgOfImgForm } from './img-form';

const folders: string[] = [];
afterEach(() => {
  setDisplaySink(null);
  for (const d of folders.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tempRoot(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-lab-cmp-'));
  folders.push(dir);
  return path.join(dir, 'mlruns');
}

/** A run as recordTrainer leaves it: sizes and memory as params, curves and step times as metrics. */
function recordRun(root: string, name: string, method: string, trainable: number, valLoss: number[], stepMs: number[]) {
  const total = 1_000_000;
  const run = openExperiment(root, 'peft').startRun({
    name,
    params: {
      method,
      [RUN_KEYS.trainableParams]: trainable,
      [RUN_KEYS.totalParams]: total,
      [RUN_KEYS.memory.frozenFloat]: 4 * (total - trainable),
      [RUN_KEYS.memory.frozenQuantized]: 0,
      [RUN_KEYS.memory.trainable]: 4 * trainable,
      [RUN_KEYS.memory.gradients]: 4 * trainable,
      [RUN_KEYS.memory.optimizer]: 8 * trainable
    }
  });
  valLoss.forEach((v, i) => run.logMetric('val loss', v, i * 10));
  valLoss.forEach((v, i) => run.logMetric('train loss', v + 0.1, i * 10));
  stepMs.forEach((ms, i) => run.logMetric(RUN_KEYS.stepMs, ms, i));
  run.end();
  return run;
}

describe('run comparison from run records', () => {
  it('reads each run: method, parameter counts, memory by part, median step time, final val loss, curves', () => {
    const root = tempRoot();
    recordRun(root, 'full', 'full', 1_000_000, [3, 2.5, 2.0], [50, 40, 44]);
    recordRun(root, 'lora r=8', 'lora', 8_192, [3, 2.7, 2.3], [30, 20, 22, 90]);
    const spec = runComparisonSpec(listRuns(root, 'peft'), { title: 'PEFT' });
    expect(spec.metrics).toEqual([{ name: 'val loss', better: 'lower' }]);
    expect(spec.curves).toEqual(['val loss', 'train loss']);
    expect(spec.runs.map(r => [r.name, r.method, r.trainableParams, r.totalParams, r.stepMs, r.final, r.status])).toEqual([
      ['full', 'full', 1_000_000, 1_000_000, 44, [2], 'finished'],
      ['lora r=8', 'lora', 8_192, 1_000_000, 26, [2.3], 'finished']
    ]);
    expect(spec.runs[1].memory).toEqual({ frozenFloat: 4 * (1_000_000 - 8_192), frozenQuantized: 0, trainable: 4 * 8_192, gradients: 4 * 8_192, optimizer: 8 * 8_192 });
    expect(spec.runs[1].curves[0]).toEqual({ step: [0, 10, 20], value: [3, 2.7, 2.3] });
    expect(spec.runs[1].curves[1].value).toEqual([3, 2.7, 2.3].map(v => v + 0.1));
  });

  it('a run without its parameter counts is named in the error, with how to record them', () => {
    const root = tempRoot();
    openExperiment(root, 'peft').startRun({ name: 'bare' }).end();
    expect(() => runComparisonSpec(listRuns(root))).toThrow(`run "bare" has no param trainable_params: recordTrainer logs it, or run.logParam('trainable_params', n)`);
  });

  it('RunDashboard redraws the same output (one display id) as runs are added and updated', () => {
    const root = tempRoot();
    const shown: { id?: string; update: boolean; runs: string[] }[] = [];
    setDisplaySink((m, update) => shown.push({ id: m.transient.display_id, update, runs: JSON.parse(m.data[mimeTypeFor('run-comparison')]).runs.map((r: { name: string; status: string }) => `${r.name}:${r.status}`) }));
    const board = new RunDashboard({ title: 'growing' });
    board.add(recordRun(root, 'full', 'full', 1_000_000, [3, 2], [40]));
    const lora = openExperiment(root, 'peft').startRun({ name: 'lora', params: { method: 'lora', [RUN_KEYS.trainableParams]: 10, [RUN_KEYS.totalParams]: 100 } });
    board.add(lora);
    lora.logMetric('val loss', 2.5, 10);
    lora.end();
    board.update(lora);
    expect(shown.map(s => [s.update, s.runs])).toEqual([
      [false, ['full:finished']],
      [true, ['full:finished', 'lora:running']],
      [true, ['full:finished', 'lora:finished']]
    ]);
    expect(new Set(shown.map(s => s.id)).size).toBe(1);
    expect(board.spec().runs[1].final).toEqual([2.5]);
  });

  it('showRunComparison takes a run folder and an experiment, and shows spec, SVG (also as an <img>) and text', () => {
    const root = tempRoot();
    recordRun(root, 'bitfit <b>', 'bitfit', 1_000, [3, 2.9], [10]);
    const bundles: Record<string, string>[] = [];
    setDisplaySink(m => bundles.push(m.data));
    const spec = showRunComparison(root, { experiment: 'peft' });
    expect(spec.title).toBe('peft');
    expect(Object.keys(bundles[0]).sort()).toEqual([mimeTypeFor('run-comparison'), 'image/svg+xml', 'text/html', 'text/plain']);
    expect(svgOfImgForm(bundles[0]['text/html'])).toBe(bundles[0]['image/svg+xml']);
    expect(bundles[0]['image/svg+xml']).toContain('bitfit &lt;b&gt;');
    expect(bundles[0]['image/svg+xml']).not.toContain('<b>');
    expect(bundles[0]['text/plain']).toBe(['peft', 'run         method  trainable      memory  step     val loss (lower better)', 'bitfit <b>  bitfit  1,000 (0.10%)  4 MB    10.0 ms  2.900'].join('\n'));
  });
});

describe('run comparison spec: checks', () => {
  const base = () =>
    runComparisonView({
      metrics: [{ name: 'accuracy', better: 'higher' }],
      curves: ['val loss'],
      runs: [{ name: 'a', method: 'lora', trainableParams: 1, totalParams: 10, memory: null, stepMs: 12, final: [0.5], curves: [{ step: [1, 2], value: [2, 1] }] }]
    });

  it('NaN and Infinity travel as null; curves are thinned to 600 points', () => {
    const steps = Array.from({ length: 5000 }, (_, i) => i);
    const spec = runComparisonView({ metrics: [{ name: 'm', better: 'lower' }], curves: ['c'], runs: [{ name: 'a', method: 'x', trainableParams: 1, totalParams: 1, memory: null, stepMs: null, final: [NaN], curves: [{ step: steps, value: steps.map(s => (s === 0 ? Infinity : s)) }] }] });
    expect(spec.runs[0].final).toEqual([null]);
    expect(spec.runs[0].curves[0].step).toHaveLength(600);
    expect(spec.runs[0].curves[0].value[0]).toBeNull();
  });

  const cases: [string, (s: Record<string, unknown>) => unknown, string][] = [
    ['more trainable than total parameters', s => ({ ...s, runs: [{ ...(s.runs as object[])[0], trainableParams: 11 }] }), 'runs[0].trainableParams (11) must be <= runs[0].totalParams (10)'],
    ['a metric direction that is neither', s => ({ ...s, metrics: [{ name: 'accuracy', better: 'up' }] }), 'metrics[0].better must be "higher" or "lower", got "up"'],
    ['a final value missing', s => ({ ...s, runs: [{ ...(s.runs as object[])[0], final: [] }] }), 'runs[0].final must have length 1, got 0'],
    ['a curve whose steps and values differ in length', s => ({ ...s, runs: [{ ...(s.runs as object[])[0], curves: [{ step: [1, 2], value: [1] }] }] }), 'runs[0].curves[0].value must have length 2, got 1'],
    ['a negative step time', s => ({ ...s, runs: [{ ...(s.runs as object[])[0], stepMs: -3 }] }), 'runs[0].stepMs must be a number > 0 or null, got -3'],
    ['memory with a part missing', s => ({ ...s, runs: [{ ...(s.runs as object[])[0], memory: { frozenFloat: 1 } }] }), 'runs[0].memory.frozenQuantized must be a finite number, got undefined'],
    ['33 runs', s => ({ ...s, runs: Array.from({ length: 33 }, () => (s.runs as object[])[0]) }), 'the run comparison has 33 runs, more than 32 a browser draws comfortably: compare fewer runs']
  ];
  for (const [what, change, message] of cases) {
    it(`${what}: ${message}`, () => {
      expect(() => validateRunComparisonSpec(change(base() as unknown as Record<string, unknown>))).toThrow(message);
    });
  }

  it('the SVG is well-formed with markup and control characters in names', () => {
    const spec = base();
    spec.runs[0].name = 'x < y & \u0007';
    const svg = runComparisonBundle(spec)['image/svg+xml'];
    expect(svg).toContain('x &lt; y &amp; \u2407');
    expect(svg).not.toMatch(/[\u0000-\u0008]/);
  });
});
