/**
 * The training figure as plain plotly data: spec + theme in, traces and layout out (no DOM,
 * so tests can read it). One subplot per panel of the spec's series, in the order the panels
 * first appear: the first (the loss) across the top, the others two to a row below it
 * (panelCells). Every x axis is the optimizer step, from 0 to totalSteps, so the curves grow to
 * the right as the run progresses.
 */
import type { PlotConfig, PlotData, PlotLayout } from 'plotly.js-dist-min';
import {
  isStandardSeries,
  lastStep,
  LEARNING_RATE,
  LOSS_PANEL,
  panelCells,
  seriesColor,
  TOKENS_PER_SEC,
  TRAIN_LOSS,
  trainingPanels,
  TrainingSeries,
  TrainingSpec,
  VAL_LOSS
} from '@llm-lab/kernel/contract';
import type { ThemeColors } from './theme';

/** Pixel heights: margins, the first row's plot, and each further row (the gap above it holds the step axis). */
const MARGIN = { l: 56, r: 16, t: 28, b: 40 };
const FIRST_ROW = 208;
const ROW = 97;
const ROW_GAP = 67;
/** Fraction of the width between the two columns. */
const COLUMN_GAP = 0.12;

/** Plotly reads names and titles as a little HTML: escape them so that they show as typed. */
function plain(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The height of the figure, from its number of panels. */
export function plotHeight(panels: number): number {
  const rows = panels > 1 ? Math.ceil((panels - 1) / 2) : 0;
  return MARGIN.t + MARGIN.b + FIRST_ROW + rows * (ROW_GAP + ROW);
}

/** plotly's axis names of the i-th subplot: x/y, x2/y2, ... */
function axisId(i: number): string {
  return i === 0 ? '' : String(i + 1);
}

function seriesColors(spec: TrainingSpec, theme: ThemeColors): Map<string, string> {
  const standard: Record<string, string> = { [TRAIN_LOSS]: theme.brand, [VAL_LOSS]: theme.warn, [LEARNING_RATE]: theme.accent, [TOKENS_PER_SEC]: theme.fontMuted };
  let others = 0;
  return new Map(spec.series.map(s => [s.name, isStandardSeries(s.name) ? standard[s.name] : seriesColor(others++)]));
}

/** A series needs a legend entry unless it is alone on a panel of its own name (the axis title names it). */
function inLegend(s: TrainingSeries, spec: TrainingSpec): boolean {
  return s.name !== s.panel || spec.series.some(o => o !== s && o.panel === s.panel);
}

/**
 * One trace per series that has points. An empty trace makes plotly draw NaN paths, so a series
 * appears with its first point; its panel's axes are there from the start.
 */
export function trainingTraces(spec: TrainingSpec, theme: ThemeColors): PlotData[] {
  const colors = seriesColors(spec, theme);
  return trainingPanels(spec).flatMap((panel, i) =>
    panel.series
      .filter(s => s.step.length > 0)
      .map(s => {
        const color = colors.get(s.name)!;
        const trace: PlotData = {
          type: 'scatter',
          mode: 'lines',
          name: plain(s.name),
          x: s.step,
          y: s.value, // null (a NaN in the kernel) leaves a gap
          xaxis: `x${axisId(i)}`,
          yaxis: `y${axisId(i)}`,
          line: { color, width: s.name === TRAIN_LOSS ? 1.5 : 2 },
          showlegend: inLegend(s, spec),
          // the name comes from the trace, not written into the template: no %{...} in a name is read
          hovertemplate: 'step %{x}<br>%{fullData.name} %{y:.4g}<extra></extra>'
        };
        // Validation runs every few steps: markers show where the points are.
        if (s.name === VAL_LOSS) Object.assign(trace, { mode: 'lines+markers', marker: { size: 5, color } });
        return trace;
      })
  );
}

export function trainingLayout(spec: TrainingSpec, theme: ThemeColors): PlotLayout {
  const end = lastStep(spec);
  const panels = trainingPanels(spec);
  const height = plotHeight(panels.length);
  const inner = height - MARGIN.t - MARGIN.b;
  const axis = (title: string, extra: PlotLayout = {}): PlotLayout => ({
    title: { text: plain(title), font: { size: 12, color: theme.fontMuted }, standoff: 6 },
    gridcolor: theme.grid,
    linecolor: theme.grid,
    zerolinecolor: theme.grid,
    tickfont: { size: 11, color: theme.font },
    automargin: true,
    ...extra
  });
  const layout: PlotLayout = {
    height,
    autosize: true,
    margin: MARGIN,
    paper_bgcolor: 'rgba(0,0,0,0)', // the output area's own background shows through
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { family: theme.fontFamily, size: 12, color: theme.font },
    showlegend: true,
    legend: { orientation: 'h', x: 0, y: 1, xanchor: 'left', yanchor: 'bottom', font: { size: 12, color: theme.font } },
    hovermode: 'closest',
    hoverlabel: { font: { family: theme.fontFamily } },
    modebar: { bgcolor: 'rgba(0,0,0,0)', color: theme.fontMuted, activecolor: theme.font },
    // Live updates keep what the user zoomed or hid.
    uirevision: 'llm-lab-training'
  };
  panelCells(panels.length).forEach((cell, i) => {
    // pixels from the top of the plotting area to this row's plot
    const top = cell.row === 0 ? 0 : FIRST_ROW + (cell.row - 1) * (ROW_GAP + ROW) + ROW_GAP;
    const bottom = top + (cell.row === 0 ? FIRST_ROW : ROW);
    const x: [number, number] = cell.span === 2 ? [0, 1] : cell.column === 0 ? [0, (1 - COLUMN_GAP) / 2] : [(1 + COLUMN_GAP) / 2, 1];
    const { panel, series } = panels[i];
    const id = axisId(i);
    // Plotly cannot autorange an axis with no points yet (it draws NaN paths): fix a range until data arrives.
    const empty = series.every(s => s.step.length === 0) ? { range: [0, 1], autorange: false } : {};
    layout[`xaxis${id}`] = axis('step', { domain: x, anchor: `y${id}`, ...(end > 0 ? { range: [0, end], autorange: false } : { autorange: true }) });
    layout[`yaxis${id}`] = axis(panel, {
      domain: [1 - bottom / inner, 1 - top / inner],
      anchor: `x${id}`,
      // A loss lives far from 0: zoom on it; other panels show 0. Small rates read 3e-4, throughput 16k.
      ...(panel === LOSS_PANEL ? {} : { rangemode: 'tozero' }),
      ...(panel === TOKENS_PER_SEC ? {} : { exponentformat: 'e' }),
      ...empty
    });
  });
  return layout;
}

export const PLOT_CONFIG: PlotConfig = {
  displaylogo: false,
  responsive: true,
  modeBarButtonsToRemove: ['select2d', 'lasso2d']
};
