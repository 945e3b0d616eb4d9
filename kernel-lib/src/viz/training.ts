/**
 * The training view: what a run has recorded so far, as a spec (live plot in JupyterLab), an SVG
 * picture (everywhere else, drawn once the run ends) and one line of text. A run records named
 * series with addPoint; the view draws each panel as a subplot, whatever the series are.
 */
import { line } from 'd3-shape';
import { bundleOf, MimeBundle } from './display';
import { seriesColor } from '../contract/palette';
import {
  defaultPanel,
  isStandardSeries,
  lastStep,
  LEARNING_RATE,
  LOSS_PANEL,
  panelCells,
  Series,
  TOKENS_PER_SEC,
  TRAIN_LOSS,
  TrainingPanel,
  trainingPanels,
  TrainingSample,
  TrainingSeries,
  TrainingSpec,
  trainingStatusFacts,
  VAL_LOSS
} from '../contract/spec';
import { VIEW_LIMITS, ViewSizeError } from '../contract/limits';
import type { ScaleLinear } from 'd3-scale';
import { axis, scaleLinear, svgDocument, text } from './svg';

/** A run that has not started: status running, step 0, no series yet, backend unknown (''). */
export function newTrainingSpec(title: string, totalSteps: number): TrainingSpec {
  return { kind: 'training', version: 2, title, status: 'running', step: 0, totalSteps, elapsedSec: 0, etaSec: null, tokensPerSec: null, backend: '', series: [], samples: [] };
}

export function seriesOf(spec: TrainingSpec, name: string): TrainingSeries | undefined {
  return spec.series.find(s => s.name === name);
}

/** The latest value of a series; undefined when it has none (or does not exist). */
export function lastValue(spec: TrainingSpec, name: string): number | undefined {
  return seriesOf(spec, name)?.value.at(-1);
}

/**
 * Record `value` at `step` in the series `name`, created on first use on `panel`: by default the
 * standard panel of a standard name (the losses share 'loss (nats/token)'), else a panel of its own.
 */
export function addPoint(spec: TrainingSpec, name: string, step: number, value: number, panel?: string): void {
  if (!name) throw new Error('addPoint: a series needs a name, got ""');
  let series = seriesOf(spec, name);
  if (!series) {
    if (spec.series.length >= VIEW_LIMITS.series) {
      throw new ViewSizeError(`addPoint: the training view already has ${spec.series.length} series, the most a browser draws comfortably; ${JSON.stringify(name)} would be one more: log fewer named values`);
    }
    series = { name, panel: panel ?? defaultPanel(name), step: [], value: [] };
    spec.series.push(series);
  } else if (panel !== undefined && panel !== series.panel) {
    throw new Error(`addPoint: series ${JSON.stringify(name)} is drawn on panel ${JSON.stringify(series.panel)}, not ${JSON.stringify(panel)}`);
  }
  series.step.push(step);
  series.value.push(value);
}

/**
 * Forget every point and sample after `step` (a run rewound to the weights of that step). The
 * series stay, emptied if need be, so that their panels keep their place.
 */
export function dropAfter(spec: TrainingSpec, step: number): void {
  for (const s of spec.series) {
    let kept = 0;
    for (let i = 0; i < s.step.length; i++) {
      if (s.step[i] > step) continue;
      s.step[kept] = s.step[i];
      s.value[kept] = s.value[i];
      kept += 1;
    }
    s.step.length = kept;
    s.value.length = kept;
  }
  spec.samples = spec.samples.filter(s => s.step <= step);
  spec.step = Math.min(spec.step, step);
}

export function trainingText(spec: TrainingSpec): string {
  const summary = `${spec.title}: ${spec.status}, ${trainingStatusFacts(spec).join(', ')}`;
  return spec.message ? `${summary}\n${spec.message}` : summary;
}

/** Colors of the standard series in the picture (the live view takes JupyterLab's theme colors). */
const STANDARD_COLORS: Record<string, string> = { [TRAIN_LOSS]: '#1f77b4', [VAL_LOSS]: '#ff7f0e', [LEARNING_RATE]: '#2ca02c', [TOKENS_PER_SEC]: '#7f7f7f' };

/** Series colors: the standard ones', then the palette's in order for the others. */
function seriesColors(spec: TrainingSpec): Map<string, string> {
  let others = 0;
  return new Map(spec.series.map(s => [s.name, isStandardSeries(s.name) ? STANDARD_COLORS[s.name] : seriesColor(others++)]));
}

/** Text of the picture cut to `max` characters, with control characters (invalid in XML) shown as U+FFFD. */
function printable(s: string, max: number): string {
  const clean = s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd');
  return clean.length > max ? clean.slice(0, max - 1) + '\u2026' : clean;
}

/** Facts joined by `separator` into lines of at most `max` characters (a longer fact gets a line of its own). */
function lines(facts: string[], separator: string, max: number): string[] {
  const out: string[] = [];
  for (const fact of facts) {
    const last = out.length - 1;
    if (last >= 0 && out[last].length + separator.length + fact.length <= max) out[last] += separator + fact;
    else out.push(fact);
  }
  return out;
}

const W = 640;
/** Characters of 11 px text across the picture. */
const LINE_CHARS = 105;
/** The least room left of a panel's plot; a panel whose value labels are longer takes more (valueAxis). */
const PLOT_MARGIN = { left: 52, right: 14 };
/** The widest a character of the 11 px tick labels is drawn (a digit of DejaVu Sans, the widest common sans-serif). */
const TICK_CHAR = 7;
/** Pixels between a value label and the panel's left edge, and between the label and the axis (svg.ts axis). */
const TICK_PAD = { edge: 2, axis: 6 };
/** Heights of a row of panels: its title line, the plot, the step ticks under it. */
const ROW = { title: 18, first: 170, other: 80, ticks: 24 };
const SAMPLE_LINES = 4;

/**
 * The value (left) axis of a panel: its tick labels and the room they need left of the plot.
 * Values whose ticks need more than three decimals are written in e-notation, as the live view
 * writes them (a learning rate of 3e-5 reads 2e-5, not 0.00002); the room is measured from the
 * longest label, so that none runs off the picture's edge.
 */
function valueAxis(y: ScaleLinear<number, number>, count: number): { format: (t: number) => string; left: number } {
  const ticks = y.ticks(count);
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  const exponent = y.tickFormat(count, '~e');
  const format = step < 1e-3 ? (t: number) => (t === 0 ? '0' : exponent(t)) : y.tickFormat(count);
  const longest = Math.max(0, ...ticks.map(t => format(t).length));
  return { format, left: Math.max(PLOT_MARGIN.left, TICK_PAD.edge + longest * TICK_CHAR + TICK_PAD.axis) };
}

/** One panel at (x0..x1, top): its title and legend, axes, and one curve per series. */
function panelSvg(p: TrainingPanel, x0: number, x1: number, top: number, plotH: number, endStep: number, colors: Map<string, string>): string[] {
  const values = p.series.flatMap(s => s.value.filter(v => v !== null && Number.isFinite(v)));
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  // A loss lives far from 0: zoom on it (below 0 too: an RL objective's loss is minus a reward).
  // Other panels show 0, as the live view does.
  const domain = p.panel === LOSS_PANEL ? [lo >= 0 ? Math.max(0, lo - 0.1) : lo - 0.1, hi + 0.1] : [Math.min(0, lo), Math.max(0, hi) || 1];
  const plotTop = top + ROW.title;
  const y = scaleLinear().domain(domain).nice().range([plotTop + plotH, plotTop]);
  const yTicks = plotH > 100 ? 5 : 3;
  const valueLabels = valueAxis(y, yTicks);
  const left = x0 + valueLabels.left;
  const x = scaleLinear().domain([0, Math.max(1, endStep)]).range([left, x1 - PLOT_MARGIN.right]);
  const title = printable(p.panel, 40);
  const body = [text(left, top + 12, title, 'font-weight="bold" fill="#333"')];
  // The legend, right-aligned on the title line, names every series of a shared panel; where the
  // title already says what is measured ('train accuracy' on 'accuracy'), by the rest ('train').
  // Labels are cut (…) where they would run into the title.
  const named = p.series.length === 1 && p.series[0].name === p.panel ? [] : p.series;
  const short = (name: string) => (name.endsWith(` ${p.panel}`) ? name.slice(0, -p.panel.length - 1) : name);
  const room = x1 - PLOT_MARGIN.right - (left + title.length * 7 + 12) - named.length * 30;
  const chars = named.reduce((n, s) => n + Math.min(28, short(s.name).length), 0);
  const maxChars = chars * 6 <= room ? 28 : Math.max(4, Math.floor(room / 6 / Math.max(1, named.length)));
  let right = x1 - PLOT_MARGIN.right;
  for (const s of [...named].reverse()) {
    const label = printable(short(s.name), maxChars);
    right -= label.length * 6 + 8;
    body.push(`<rect x="${right - 14}" y="${top + 7}" width="10" height="3" fill="${colors.get(s.name)}"/>`, text(right, top + 12, label, 'fill="#333"'));
    right -= 22;
  }
  body.push(axis(x, 'bottom', plotTop + plotH), axis(y, 'left', left, yTicks, valueLabels.format));
  for (const s of p.series) {
    const finite = (i: number) => s.value[i] !== null && Number.isFinite(s.value[i]);
    const d = line<number>().defined(finite).x(i => x(s.step[i])).y(i => y(s.value[i]))(s.step.map((_, i) => i)) ?? '';
    const color = colors.get(s.name);
    body.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${s.name === TRAIN_LOSS ? 1.5 : 2}"/>`);
    // Validation runs every few steps: dots show where its points are.
    if (s.name === VAL_LOSS) {
      for (let i = 0; i < s.step.length; i++) if (finite(i)) body.push(`<circle cx="${x(s.step[i]).toFixed(1)}" cy="${y(s.value[i]).toFixed(1)}" r="2.5" fill="${color}"/>`);
    }
  }
  return body;
}

/** The run as a static SVG (what nbconvert and GitHub show): every panel, each series named, the latest sample. */
export function trainingSvg(spec: TrainingSpec): string {
  const body = [text(8, 18, printable(spec.title, 90), 'font-size="13" font-weight="bold" fill="#222"')];
  let top = 22;
  for (const l of lines([spec.status, ...trainingStatusFacts(spec)], ' \u00b7 ', LINE_CHARS)) {
    body.push(text(8, top + 13, printable(l, LINE_CHARS), 'fill="#444"'));
    top += 16;
  }
  for (const l of lines(spec.message?.split(' ') ?? [], ' ', LINE_CHARS)) {
    body.push(text(8, top + 13, printable(l, LINE_CHARS), 'fill="#a33"'));
    top += 16;
  }
  top += 6;
  const panels = trainingPanels(spec);
  const cells = panelCells(panels.length);
  const colors = seriesColors(spec);
  const endStep = lastStep(spec);
  const rows = cells.length ? cells[cells.length - 1].row + 1 : 0;
  for (let row = 0; row < rows; row++) {
    const plotH = row === 0 ? ROW.first : ROW.other;
    cells.forEach((cell, i) => {
      if (cell.row !== row) return;
      const x0 = (cell.column * W) / 2;
      body.push(...panelSvg(panels[i], x0, x0 + (cell.span * W) / 2, top, plotH, endStep, colors));
    });
    top += ROW.title + plotH + ROW.ticks;
    if (row === 0) {
      // the x axis of every panel: under the first, which spans the width
      body.push(text(W / 2, top + 6, 'step', 'text-anchor="middle" fill="#444"'));
      top += 14;
    }
  }
  const sample = spec.samples.at(-1);
  if (sample) {
    body.push(text(8, top + 14, `latest sample (step ${sample.step}):`, 'fill="#444"'));
    sample.text.split('\n').slice(0, SAMPLE_LINES).forEach((l, i) => body.push(text(8, top + 30 + i * 14, printable(l, LINE_CHARS - 10), 'font-family="monospace" fill="#222" xml:space="preserve"')));
    top += 22 + 14 * Math.min(SAMPLE_LINES, sample.text.split('\n').length);
  }
  return svgDocument(W, top + 8, body);
}

/**
 * At most `max` points of a series, evenly spread, the first and the last always kept. A plot
 * has a few hundred pixels across: more points only cost time to send and draw (a live update
 * of a 5,000-step run would otherwise carry every one of them, twice a second).
 */
export function thinSeries<S extends Series>(s: S, max = VIEW_POINTS): S {
  const n = s.step.length;
  if (n <= max) return s;
  const pick = Array.from({ length: max }, (_, i) => Math.round((i * (n - 1)) / (max - 1)));
  return { ...s, step: pick.map(i => s.step[i]), value: pick.map(i => s.value[i]) };
}

/** Points per curve in the training view. */
export const VIEW_POINTS = VIEW_LIMITS.seriesPoints;

/** A sample as the view shows it: cut to VIEW_LIMITS.sampleChars characters, an ellipsis marking the cut. */
function shortSample(s: TrainingSample): TrainingSample {
  return s.text.length <= VIEW_LIMITS.sampleChars ? s : { ...s, text: s.text.slice(0, VIEW_LIMITS.sampleChars - 1) + '\u2026' };
}

/**
 * The bundle of a training view, every series thinned, the latest VIEW_LIMITS.samples samples
 * kept (each cut to VIEW_LIMITS.sampleChars characters). A live update carries the spec and the
 * line of text; the final one (`final: true`, when the run ends) also the SVG picture, which is
 * what nbconvert and GitHub show: the last state of a display is the one saved.
 */
export function trainingBundle(spec: TrainingSpec, options: { final?: boolean } = {}): MimeBundle {
  const view: TrainingSpec = { ...spec, series: spec.series.map(s => thinSeries(s)), samples: spec.samples.slice(-VIEW_LIMITS.samples).map(shortSample) };
  return bundleOf(view, options.final ? trainingSvg(view) : null, trainingText(view));
}
