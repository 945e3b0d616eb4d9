/**
 * The training view: what a run has done so far, as a spec (live plot in JupyterLab),
 * an SVG picture (everywhere else) and one line of text.
 */
import { line } from 'd3-shape';
import { bundleOf, MimeBundle } from './display';
import { Series, TrainingSpec } from './spec';
import { formatDuration } from './format';
import { axis, scaleLinear, svgDocument, text } from './svg';

export function emptySeries(): Series {
  return { step: [], value: [] };
}

function last(s: Series): number | undefined {
  return s.value.length ? s.value[s.value.length - 1] : undefined;
}

export function trainingText(spec: TrainingSpec): string {
  const parts = [`${spec.title}: ${spec.status}, step ${spec.step}/${spec.totalSteps}`];
  const tl = last(spec.trainLoss);
  const vl = last(spec.valLoss);
  if (tl !== undefined) parts.push(`train loss ${tl.toFixed(3)}`);
  if (vl !== undefined) parts.push(`val loss ${vl.toFixed(3)}`);
  if (spec.tokensPerSec !== null) parts.push(`${Math.round(spec.tokensPerSec)} tokens/s`);
  parts.push(`elapsed ${formatDuration(spec.elapsedSec)}`);
  if (spec.status === 'running' && spec.etaSec !== null) parts.push(`ETA ${formatDuration(spec.etaSec)}`);
  const summary = parts.join(', ');
  return spec.message ? `${summary}\n${spec.message}` : summary;
}

const COLORS = { train: '#1f77b4', val: '#ff7f0e' };

/** Loss curves as a static SVG (what nbconvert and GitHub show). */
export function trainingSvg(spec: TrainingSpec): string {
  const W = 640;
  const H = 300;
  const m = { left: 52, right: 16, top: 34, bottom: 40 };
  const points = [spec.trainLoss, spec.valLoss].flatMap(s => s.value.filter(v => v !== null && Number.isFinite(v)));
  const x = scaleLinear().domain([0, Math.max(1, spec.totalSteps)]).range([m.left, W - m.right]);
  const lo = points.length ? Math.min(...points) : 0;
  const hi = points.length ? Math.max(...points) : 1;
  const y = scaleLinear().domain([Math.max(0, lo - 0.1), hi + 0.1]).nice().range([H - m.bottom, m.top]);
  const path = (s: Series) =>
    line<number>()
      .defined(i => s.value[i] !== null && Number.isFinite(s.value[i]))
      .x(i => x(s.step[i]))
      .y(i => y(s.value[i]))(s.step.map((_, i) => i)) ?? '';
  const body = [
    text(m.left, 18, trainingText(spec).split('\n')[0], 'font-size="12" fill="#222"'),
    axis(x, 'bottom', H - m.bottom),
    axis(y, 'left', m.left),
    text((m.left + W - m.right) / 2, H - 6, 'step', 'text-anchor="middle" fill="#444"'),
    text(14, (m.top + H - m.bottom) / 2, 'loss (nats/token)', `text-anchor="middle" fill="#444" transform="rotate(-90 14 ${(m.top + H - m.bottom) / 2})"`),
    `<path d="${path(spec.trainLoss)}" fill="none" stroke="${COLORS.train}" stroke-width="1.5"/>`,
    `<path d="${path(spec.valLoss)}" fill="none" stroke="${COLORS.val}" stroke-width="2"/>`,
    `<rect x="${W - 150}" y="${m.top}" width="10" height="3" fill="${COLORS.train}"/>`,
    text(W - 135, m.top + 5, 'train loss', 'fill="#222"'),
    `<rect x="${W - 150}" y="${m.top + 14}" width="10" height="3" fill="${COLORS.val}"/>`,
    text(W - 135, m.top + 19, 'validation loss', 'fill="#222"')
  ];
  return svgDocument(W, H, body);
}

/**
 * At most `max` points of a series, evenly spread, the first and the last always kept. A plot
 * has a few hundred pixels across: more points only cost time to send and draw (a live update
 * of a 5,000-step run would otherwise carry every one of them, twice a second).
 */
export function thinSeries(s: Series, max = VIEW_POINTS): Series {
  const n = s.step.length;
  if (n <= max) return s;
  const pick = Array.from({ length: max }, (_, i) => Math.round((i * (n - 1)) / (max - 1)));
  return { step: pick.map(i => s.step[i]), value: pick.map(i => s.value[i]) };
}

/** Points per curve in the training view. */
export const VIEW_POINTS = 600;

export function trainingBundle(spec: TrainingSpec): MimeBundle {
  const view: TrainingSpec = {
    ...spec,
    trainLoss: thinSeries(spec.trainLoss),
    valLoss: thinSeries(spec.valLoss),
    learningRate: thinSeries(spec.learningRate),
    throughput: thinSeries(spec.throughput)
  };
  return bundleOf(view, trainingSvg(view), trainingText(view));
}
