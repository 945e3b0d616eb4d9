/**
 * The training figure as plain plotly data: spec + theme in, traces and layout out (no DOM,
 * so tests can read it). Top row: train and validation loss. Bottom row: learning rate
 * (left) and throughput (right). Every x axis is the optimizer step, from 0 to totalSteps,
 * so the curves grow to the right as the run progresses.
 */
import type { PlotConfig, PlotData, PlotLayout } from 'plotly.js-dist-min';
import type { Series, TrainingSpec } from '@llm-lab/kernel/dist/viz/spec';
import type { ThemeColors } from './theme';

/** Trace names: also the legend entries and what tests look for. */
export const TRACE_NAMES = {
  trainLoss: 'train loss',
  valLoss: 'validation loss',
  learningRate: 'learning rate',
  throughput: 'tokens/s'
} as const;

export const PLOT_HEIGHT = 440;

function line(series: Series, name: string, axes: string, color: string, extra: PlotData = {}): PlotData {
  return {
    type: 'scatter',
    mode: 'lines',
    name,
    x: series.step,
    y: series.value, // null (a NaN in the kernel) leaves a gap
    xaxis: `x${axes}`,
    yaxis: `y${axes}`,
    line: { color, width: 2 },
    hovertemplate: `step %{x}<br>${name} %{y:.4g}<extra></extra>`,
    ...extra
  };
}

export function trainingTraces(spec: TrainingSpec, theme: ThemeColors): PlotData[] {
  const traces: PlotData[] = [
    line(spec.trainLoss, TRACE_NAMES.trainLoss, '', theme.brand, { line: { color: theme.brand, width: 1.5 } }),
    // Validation runs every few steps: markers show where the points are.
    line(spec.valLoss, TRACE_NAMES.valLoss, '', theme.warn, { mode: 'lines+markers', marker: { size: 5, color: theme.warn } }),
    line(spec.learningRate, TRACE_NAMES.learningRate, '2', theme.accent, { showlegend: false }),
    line(spec.throughput, TRACE_NAMES.throughput, '3', theme.fontMuted, { showlegend: false })
  ];
  // An empty trace on the small subplots makes plotly draw NaN paths; they have no legend entry
  // to keep, so leave them out until their first point.
  return traces.filter(t => t.showlegend !== false || (t.x as number[]).length > 0);
}

/** The last step any series reached (a run may go past its planned total, e.g. when resumed). */
function lastStep(spec: TrainingSpec): number {
  const ends = [spec.trainLoss, spec.valLoss, spec.learningRate, spec.throughput].map(s => (s.step.length ? s.step[s.step.length - 1] : 0));
  return Math.max(spec.totalSteps, spec.step, ...ends);
}

export function trainingLayout(spec: TrainingSpec, theme: ThemeColors): PlotLayout {
  const end = lastStep(spec);
  const axis = (title: string, extra: PlotLayout = {}): PlotLayout => ({
    title: { text: title, font: { size: 12, color: theme.fontMuted }, standoff: 6 },
    gridcolor: theme.grid,
    linecolor: theme.grid,
    zerolinecolor: theme.grid,
    tickfont: { size: 11, color: theme.font },
    automargin: true,
    ...extra
  });
  // Plotly cannot autorange an axis with no points yet (it draws NaN paths): fix a range until data arrives.
  const valueRange = (...series: Series[]): PlotLayout => (series.some(s => s.step.length > 0) ? {} : { range: [0, 1], autorange: false });
  const stepAxis = (domain: [number, number], anchor: string): PlotLayout =>
    axis('step', { domain, anchor, ...(end > 0 ? { range: [0, end], autorange: false } : { autorange: true }) });
  return {
    height: PLOT_HEIGHT,
    autosize: true,
    margin: { l: 56, r: 16, t: 28, b: 40 },
    paper_bgcolor: 'rgba(0,0,0,0)', // the output area's own background shows through
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { family: theme.fontFamily, size: 12, color: theme.font },
    showlegend: true,
    legend: { orientation: 'h', x: 0, y: 1.02, xanchor: 'left', yanchor: 'bottom', font: { size: 12, color: theme.font } },
    hovermode: 'closest',
    hoverlabel: { font: { family: theme.fontFamily } },
    modebar: { bgcolor: 'rgba(0,0,0,0)', color: theme.fontMuted, activecolor: theme.font },
    // Live updates keep what the user zoomed or hid.
    uirevision: 'llm-lab-training',
    xaxis: stepAxis([0, 1], 'y'),
    yaxis: axis('loss (nats/token)', { domain: [0.44, 1], anchor: 'x', ...valueRange(spec.trainLoss, spec.valLoss) }),
    xaxis2: stepAxis([0, 0.44], 'y2'),
    yaxis2: axis(TRACE_NAMES.learningRate, { domain: [0, 0.26], anchor: 'x2', exponentformat: 'e', rangemode: 'tozero', ...valueRange(spec.learningRate) }),
    xaxis3: stepAxis([0.56, 1], 'y3'),
    yaxis3: axis(TRACE_NAMES.throughput, { domain: [0, 0.26], anchor: 'x3', rangemode: 'tozero', ...valueRange(spec.throughput) })
  };
}

export const PLOT_CONFIG: PlotConfig = {
  displaylogo: false,
  responsive: true,
  modeBarButtonsToRemove: ['select2d', 'lasso2d']
};
