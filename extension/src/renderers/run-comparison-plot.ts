/**
 * The run comparison's curves as plain plotly data (no DOM, so tests can read it): one trace per
 * run for the chosen curve, a colour per run (runColor, as in the table), a dashed line past the
 * tenth run (the colours repeat), the legend shared with the table's swatches.
 */
import type { PlotData, PlotLayout } from 'plotly.js-dist-min';
import { RunComparisonSpec, runColor } from '@llm-lab/kernel/contract';
import type { ThemeColors } from './theme';

/** Plotly reads names as a little HTML: escape them so that they show as typed. */
const plain = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function runCurveTraces(spec: RunComparisonSpec, curve: number): PlotData[] {
  return spec.runs
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.curves[curve].step.length > 0)
    .map(({ r, i }) => ({
      type: 'scatter',
      mode: r.curves[curve].step.length < 30 ? 'lines+markers' : 'lines',
      name: plain(r.name),
      x: r.curves[curve].step,
      y: r.curves[curve].value,
      line: { color: runColor(i), width: 2, dash: i >= 10 ? 'dash' : 'solid' },
      marker: { size: 5, color: runColor(i) },
      meta: plain(spec.curves[curve]),
      // names come from the trace, not written into the template: no %{...} in a name is read
      hovertemplate: '%{fullData.name}<br>step %{x}<br>%{meta} %{y:.4g}<extra></extra>'
    }));
}

export function runCurveLayout(spec: RunComparisonSpec, curve: number, theme: ThemeColors): PlotLayout {
  const axis = (title: string): PlotLayout => ({
    title: { text: plain(title), font: { size: 12, color: theme.fontMuted }, standoff: 6 },
    gridcolor: theme.grid,
    linecolor: theme.grid,
    zerolinecolor: theme.grid,
    tickfont: { size: 11, color: theme.font },
    automargin: true
  });
  return {
    height: 320,
    autosize: true,
    margin: { l: 56, r: 16, t: 8, b: 40 },
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { family: theme.fontFamily, size: 12, color: theme.font },
    showlegend: false, // the table is the legend: a swatch per run
    hovermode: 'closest',
    hoverlabel: { font: { family: theme.fontFamily } },
    modebar: { bgcolor: 'rgba(0,0,0,0)', color: theme.fontMuted, activecolor: theme.font },
    xaxis: axis('step'),
    yaxis: axis(spec.curves[curve]),
    uirevision: 'llm-lab-run-comparison'
  };
}
