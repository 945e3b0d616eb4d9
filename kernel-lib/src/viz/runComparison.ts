/**
 * The run comparison: many training runs of one task side by side. A row per run (what trains,
 * memory by part, time per step, final metrics) with bars on a shared scale per column, and the
 * runs' curves drawn over each other, a colour per run. The spec for JupyterLab, an SVG picture
 * for everywhere else, and a text table.
 */
import { line } from 'd3-shape';
import {
  bestRun,
  formatBytes,
  formatCount,
  formatPercent,
  formatStepMs,
  formatValue,
  MEMORY_PARTS,
  memoryTotal,
  RunComparisonRun,
  RunComparisonSpec,
  runColor,
  RUN_COMPARISON_LIMITS,
  shareBarFraction,
  trainableShare,
  validateRunComparisonSpec,
  ViewSizeError
} from '../contract';
import { bundleOf, display, MimeBundle } from './display';
import { axis, escapeXml, num, scaleLinear, svgDocument, text } from './svg';
import { thinSeries } from './training';

export type RunComparisonInput = Omit<RunComparisonSpec, 'kind' | 'version' | 'title' | 'note'>;

export interface RunComparisonOptions {
  title?: string;
}

/** Grey shades of the memory parts in the picture (the live view takes the theme's colours). */
const MEMORY_FILLS = ['#9e9e9e', '#c7b37a', '#4e79a7', '#f28e2b', '#e15759'];

/** The spec of a comparison: every curve thinned to VIEW_LIMITS.seriesPoints points; refuses more runs than a browser draws comfortably. */
export function runComparisonView(input: RunComparisonInput, options: RunComparisonOptions = {}): RunComparisonSpec {
  if (input.runs.length > RUN_COMPARISON_LIMITS.runs) throw new ViewSizeError(`the run comparison has ${input.runs.length} runs, more than ${RUN_COMPARISON_LIMITS.runs} a browser draws comfortably: compare fewer runs`);
  const finite = (v: number | null) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const runs = input.runs.map((r, i): RunComparisonRun => {
    if (r.final.length !== input.metrics.length) throw new Error(`runComparisonView: run ${i} (${JSON.stringify(r.name)}) has ${r.final.length} final values for ${input.metrics.length} metrics (${input.metrics.map(m => m.name).join(', ')})`);
    if (r.curves.length !== input.curves.length) throw new Error(`runComparisonView: run ${i} (${JSON.stringify(r.name)}) has ${r.curves.length} curves for ${input.curves.length} curve names (${input.curves.join(', ')})`);
    return { ...r, final: r.final.map(finite), curves: r.curves.map(c => thinSeries({ step: [...c.step], value: c.value.map(finite) as number[] })) }; // null: a gap
  });
  return validateRunComparisonSpec({ kind: 'run-comparison', version: 1, title: options.title ?? `${runs.length} runs compared`, metrics: input.metrics.map(m => ({ ...m })), curves: [...input.curves], runs });
}

const short = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '\u2026' : s);

const W = 820;
const ROW_H = 20;
const COLUMNS = { name: 8, method: 170, share: 240, memory: 400, step: 570, metric: 700 };
const BAR_W = { share: 90, memory: 100, step: 70, metric: 60 };

export function runComparisonSvg(spec: RunComparisonSpec): string {
  const body = [text(8, 18, short(spec.title, 110), 'font-size="13" font-weight="bold" fill="#222"')];
  const metric = spec.metrics[0];
  const heads: [number, string][] = [
    [COLUMNS.name, 'run'],
    [COLUMNS.method, 'method'],
    [COLUMNS.share, 'trainable % (log)'],
    [COLUMNS.memory, 'memory'],
    [COLUMNS.step, 'step time'],
    ...(metric ? [[COLUMNS.metric, short(`${metric.name} (${metric.better === 'lower' ? '\u2193' : '\u2191'})`, 20)] as [number, string]] : [])
  ];
  let y = 40;
  for (const [x, h] of heads) body.push(text(x, y, h, 'font-weight="bold" fill="#333"'));
  const maxMemory = Math.max(1, ...spec.runs.map(r => (r.memory ? memoryTotal(r.memory) : 0)));
  const maxStep = Math.max(1e-9, ...spec.runs.map(r => r.stepMs ?? 0));
  const metricValues = spec.runs.map(r => r.final[0]).filter((v): v is number => typeof v === 'number');
  const maxMetric = Math.max(1e-9, ...metricValues.map(Math.abs));
  const best = metric ? bestRun(spec, 0) : null;
  spec.runs.forEach((r, i) => {
    y += ROW_H;
    const mid = y - 4;
    const bar = (x: number, w: number, fill: string, title: string) => `<rect x="${num(x)}" y="${mid - 6}" width="${num(Math.max(0, w))}" height="10" fill="${fill}"><title>${escapeXml(title)}</title></rect>`;
    body.push(`<rect x="${COLUMNS.name}" y="${mid - 5}" width="8" height="8" fill="${runColor(i)}"/>`, text(COLUMNS.name + 12, y, short(r.name, 24), 'fill="#222"'), text(COLUMNS.method, y, short(r.method, 10), 'fill="#444"'));
    const share = trainableShare(r);
    body.push(bar(COLUMNS.share, shareBarFraction(share) * BAR_W.share, '#4e79a7', `${formatPercent(share)} of ${formatCount(r.totalParams)} parameters train`), text(COLUMNS.share + BAR_W.share + 4, y, formatPercent(share), 'fill="#222"'));
    if (r.memory) {
      let x = COLUMNS.memory;
      MEMORY_PARTS.forEach(([part, label], k) => {
        const w = (r.memory![part] / maxMemory) * BAR_W.memory;
        if (w > 0) body.push(bar(x, w, MEMORY_FILLS[k], `${label}: ${formatBytes(r.memory![part])}`));
        x += w;
      });
      body.push(text(COLUMNS.memory + BAR_W.memory + 4, y, formatBytes(memoryTotal(r.memory)), 'fill="#222"'));
    } else body.push(text(COLUMNS.memory, y, '\u2013', 'fill="#888"'));
    if (r.stepMs !== null) body.push(bar(COLUMNS.step, (r.stepMs / maxStep) * BAR_W.step, '#76b7b2', `${formatStepMs(r.stepMs)} per step`), text(COLUMNS.step + BAR_W.step + 4, y, formatStepMs(r.stepMs), 'fill="#222"'));
    else body.push(text(COLUMNS.step, y, '\u2013', 'fill="#888"'));
    if (metric) {
      const v = r.final[0];
      if (typeof v === 'number') body.push(bar(COLUMNS.metric, (Math.abs(v) / maxMetric) * BAR_W.metric, '#59a14f', `${metric.name} ${formatValue(v)}`));
      body.push(text(COLUMNS.metric + BAR_W.metric + 4, y, formatValue(v) + (best === i ? ' \u2605' : ''), `fill="#222"${best === i ? ' font-weight="bold"' : ''}`));
    }
  });
  y += 16;
  // the memory bar's parts, each with its colour (activations are not counted)
  let lx = 8;
  MEMORY_PARTS.forEach(([, label], k) => {
    body.push(`<rect x="${lx}" y="${y - 8}" width="8" height="8" fill="${MEMORY_FILLS[k]}"/>`, text(lx + 11, y, label, 'fill="#555"'));
    lx += 11 + label.length * 5.6 + 12;
  });
  y += 16;
  body.push(text(8, y, 'memory: weights, gradients and optimizer state; activations not counted', 'fill="#666"'));
  y += 10;
  if (spec.curves.length > 0) {
    const c = 0;
    const all = spec.runs.flatMap(r => r.curves[c].value.filter((v): v is number => typeof v === 'number'));
    const steps = spec.runs.flatMap(r => r.curves[c].step);
    if (all.length > 0) {
      const top = y + 24;
      const h = 200;
      const x = scaleLinear().domain([0, Math.max(1, ...steps)]).range([60, W - 20]);
      const ys = scaleLinear().domain([Math.min(...all), Math.max(...all)]).nice().range([top + h, top]);
      body.push(text(60, top - 8, `${spec.curves[c]} per step, one colour per run`, 'font-weight="bold" fill="#333"'), axis(x, 'bottom', top + h), axis(ys, 'left', 60));
      spec.runs.forEach((r, i) => {
        const curve = r.curves[c];
        const d = line<number>().defined(k => curve.value[k] !== null).x(k => x(curve.step[k])).y(k => ys(curve.value[k] as number))(curve.step.map((_, k) => k)) ?? '';
        body.push(`<path d="${d}" fill="none" stroke="${runColor(i)}" stroke-width="1.8"><title>${escapeXml(r.name)}</title></path>`);
      });
      y = top + h + 30;
    }
  }
  if (spec.note) {
    y += 14;
    body.push(text(8, y, spec.note, 'fill="#555"'));
  }
  return svgDocument(W, y + 8, body);
}

/** A table: one line per run. */
export function runComparisonText(spec: RunComparisonSpec): string {
  const header = ['run', 'method', 'trainable', 'memory', 'step', ...spec.metrics.map(m => `${m.name} (${m.better} better)`)];
  const rows = spec.runs.map(r => [
    r.name.replace(/\s/g, ' '),
    r.method,
    `${formatCount(r.trainableParams)} (${formatPercent(trainableShare(r))})`,
    r.memory ? formatBytes(memoryTotal(r.memory)) : '\u2013',
    r.stepMs === null ? '\u2013' : formatStepMs(r.stepMs),
    ...r.final.map(v => formatValue(v))
  ]);
  const widths = header.map((h, k) => Math.min(28, Math.max(h.length, ...rows.map(row => row[k].length))));
  const fmt = (cells: string[]) => cells.map((c, k) => short(c, widths[k]).padEnd(widths[k])).join('  ').trimEnd();
  return [spec.title, fmt(header), ...rows.map(fmt), ...(spec.note ? [spec.note] : [])].join('\n');
}

export function runComparisonBundle(spec: RunComparisonSpec): MimeBundle {
  return bundleOf(spec, runComparisonSvg(spec), runComparisonText(spec));
}

/** Show a comparison from its input (runs as the view takes them); runs/dashboard.ts builds one from run records. */
export function showRunComparisonView(input: RunComparisonInput, options: RunComparisonOptions = {}): void {
  display(runComparisonBundle(runComparisonView(input, options)));
}
