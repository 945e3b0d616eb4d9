/**
 * A static line chart: a few named curves over the same x values, e.g. activation functions, or
 * the similarity of two positions' encodings against their distance. SVG + one line of text per
 * curve; no spec kind of its own (nothing in it needs interaction).
 */
import { line } from 'd3-shape';
import { display, MimeBundle } from './display';
import { checkMarks } from '../contract/limits';
import { axis, scaleLinear, scaleLog, svgDocument, text } from './svg';

export interface LinesOptions {
  /** x of each point; 0, 1, 2, ... when left out. */
  x?: number[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** y range; from the data when left out. */
  yDomain?: [number, number];
  /** A logarithmic x axis, labelled at the x values (e.g. 8, 32, 128, 512 examples); every x must be > 0. */
  xLog?: boolean;
  /** Curves drawn dashed: references such as chance or a perfect learner, beside the measured ones. */
  dashed?: string[];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

function checkSeries(series: Record<string, number[]>, x: number[]): void {
  const names = Object.keys(series);
  if (names.length === 0) throw new Error('lines: give at least one curve, e.g. { GELU: values }');
  for (const name of names) {
    if (series[name].length !== x.length) throw new Error(`lines: curve ${JSON.stringify(name)} has ${series[name].length} values, but there are ${x.length} x values`);
  }
  checkMarks('lines view', names.length * x.length, `points (${names.length} curves x ${x.length} x values)`, 'use fewer x values');
}

function checkDashed(series: Record<string, number[]>, dashed: string[]): void {
  const unknown = dashed.filter(name => !(name in series));
  if (unknown.length > 0) throw new Error(`lines: dashed names ${unknown.map(n => JSON.stringify(n)).join(', ')}, which are not curves; the curves are ${Object.keys(series).map(n => JSON.stringify(n)).join(', ')}`);
}

function checkLogX(x: number[]): void {
  const bad = x.findIndex(v => !(v > 0));
  if (bad >= 0) throw new Error(`lines: a log x axis needs every x > 0, got x[${bad}] = ${x[bad]}`);
}

/** x values of a chart: options.x, or 0..n-1 for curves of n values. */
function xValues(series: Record<string, number[]>, options: LinesOptions): number[] {
  const first = Object.values(series)[0] ?? [];
  return options.x ?? first.map((_, i) => i);
}

export function linesSvg(series: Record<string, number[]>, options: LinesOptions = {}): string {
  const xs = xValues(series, options);
  checkSeries(series, xs);
  // the legend sits right of the plot: as wide as the longest name (about 6.5 px a character)
  const legend = Math.round(40 + 6.5 * Math.max(...Object.keys(series).map(n => n.length)));
  const W = 410 + legend;
  const H = 300;
  const m = { left: 52, right: legend, top: options.title ? 30 : 12, bottom: 40 };
  const finite = Object.values(series).flat().filter(Number.isFinite);
  const [lo, hi] = options.yDomain ?? [Math.min(...finite), Math.max(...finite)];
  if (options.xLog) checkLogX(xs);
  const dashed = new Set(options.dashed ?? []);
  checkDashed(series, [...dashed]);
  const x = (options.xLog ? scaleLog() : scaleLinear()).domain([Math.min(...xs), Math.max(...xs)]).range([m.left, W - m.right]);
  const y = scaleLinear().domain(lo === hi ? [lo - 1, hi + 1] : [lo, hi]).nice().range([H - m.bottom, m.top]);
  const body: string[] = [];
  if (options.title) body.push(text(m.left, 18, options.title, 'font-size="12" fill="#222"'));
  body.push(axis(x, 'bottom', H - m.bottom, options.xLog ? [...new Set(xs)] : 5), axis(y, 'left', m.left));
  const [y0, y1] = y.domain();
  if (y0 < 0 && y1 > 0) body.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}" stroke="#ccc" stroke-dasharray="3 3"/>`);
  if (options.xLabel) body.push(text((m.left + W - m.right) / 2, H - 6, options.xLabel, 'text-anchor="middle" fill="#444"'));
  if (options.yLabel) {
    const cy = (m.top + H - m.bottom) / 2;
    body.push(text(14, cy, options.yLabel, `text-anchor="middle" fill="#444" transform="rotate(-90 14 ${cy})"`));
  }
  Object.entries(series).forEach(([name, values], k) => {
    const color = COLORS[k % COLORS.length];
    const d = line<number>()
      .defined(i => Number.isFinite(values[i]))
      .x(i => x(xs[i]))
      .y(i => y(values[i]))(xs.map((_, i) => i)) ?? '';
    const dash = dashed.has(name) ? ' stroke-dasharray="5 3"' : '';
    const ly = m.top + 16 * k + 5.5;
    body.push(
      `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"${dash}/>`,
      `<line x1="${W - m.right + 12}" x2="${W - m.right + 24}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"${dashed.has(name) ? ' stroke-dasharray="3 2"' : ''}/>`,
      text(W - m.right + 28, m.top + 16 * k + 9, name, 'fill="#222"')
    );
  });
  return svgDocument(W, H, body);
}

/** One line per curve: its name and a few of its values, "x -> y". */
export function linesText(series: Record<string, number[]>, options: LinesOptions = {}): string {
  const xs = xValues(series, options);
  checkSeries(series, xs);
  // x = 0, 1, 2, ... (distances): 0, 1, 2, 4, 8, ...; other x: 7 points evenly spread
  const n = xs.length;
  const picks = n <= 7 ? xs.map((_, i) => i) : options.x ? Array.from({ length: 7 }, (_, k) => Math.round((k * (n - 1)) / 6)) : [0, 1, 2, 4, 8, 16, 32, 64, 128].filter(i => i < n);
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : String(v));
  const head = options.title ? [options.title] : [];
  return [...head, ...Object.entries(series).map(([name, values]) => `${name}: ${picks.map(i => `${xs[i]} -> ${fmt(values[i])}`).join(', ')}`)].join('\n');
}

export function linesBundle(series: Record<string, number[]>, options: LinesOptions = {}): MimeBundle {
  return { 'image/svg+xml': linesSvg(series, options), 'text/plain': linesText(series, options) };
}

/** Show named curves over the same x values: showLines({ GELU: g, ReLU: r }, { x, title }). */
export function showLines(series: Record<string, number[]>, options: LinesOptions = {}): void {
  display(linesBundle(series, options));
}
