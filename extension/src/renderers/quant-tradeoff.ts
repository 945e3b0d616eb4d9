/**
 * Quality against size: the metric (perplexity, accuracy) of each model at each format, a line
 * per model, against bits per weight (left) and against the model's bytes (right), both on log
 * axes (formats halve the bits). Point at a point to read its format and numbers.
 */
import { scaleLinear, scaleLog } from 'd3';
import { clusterLabels, headColor, QuantTradeoffSpec, TradeoffPoint, tradeoffMetricDomain, tradeoffSeries, tradeoffTitle, tradeoffXDomain, validateQuantTradeoffSpec } from '@llm-lab/kernel/contract';
import { element } from './dom';
import { specRenderer } from './spec-renderer';
import { drawAxis, explain, legendEntry, readoutLine, svgElement } from './svg-dom';

const [PW, PH, TOP, GAP] = [330, 220, 22, 70];
const AXES = [
  { key: 'bitsPerWeight', title: 'bits per weight', base: 2, at: (p: TradeoffPoint) => p.bitsPerWeight },
  { key: 'bytes', title: 'model size (MB)', base: 10, at: (p: TradeoffPoint) => p.bytes / 1e6 }
] as const;

export function quantTradeoffView(spec: QuantTradeoffSpec): HTMLElement {
  const root = element('div', 'llm-lab-quant-tradeoff');
  const readout = readoutLine('Point at a point to read its format, size and score.');
  const names = tradeoffSeries(spec.points, 'bitsPerWeight').map(s => s.series);
  const y = scaleLinear().domain(tradeoffMetricDomain(spec.points)).nice().range([TOP + PH, TOP]);
  const width = 2 * (PW + GAP) + 20;
  const svg = svgElement('svg', { width, height: TOP + PH + 44, viewBox: `0 0 ${width} ${TOP + PH + 44}` }, 'llm-lab-q-svg');
  AXES.forEach(({ key, title, base, at }, k) => {
    const left = GAP - 10 + k * (PW + GAP);
    const x = scaleLog().base(base).domain(tradeoffXDomain(spec.points.map(at))).range([left, left + PW]);
    const panel = svgElement('g', { 'data-axis': key }, 'llm-lab-q-panel');
    for (const { series, points } of tradeoffSeries(spec.points, key)) {
      const color = headColor(names.indexOf(series));
      panel.append(svgElement('polyline', { points: points.map(p => `${x(at(p))},${y(p.metric)}`).join(' '), stroke: color }, 'llm-lab-q-series'));
      for (const p of points) {
        const dot = svgElement('circle', { cx: x(at(p)), cy: y(p.metric), r: 4.5, fill: color, 'data-series': series }, 'llm-lab-q-point');
        explain(dot, tradeoffTitle(p, spec.metricName), readout);
        panel.append(dot);
      }
      // points of nearly the same size and score share one label
      for (const l of clusterLabels(points.map(p => ({ x: x(at(p)), y: y(p.metric), label: p.label })))) panel.append(svgElement('text', { x: l.x + 6, y: l.y - 6 }, 'llm-lab-q-point-label', l.text));
    }
    drawAxis(panel, x, 'bottom', TOP + PH, 5);
    drawAxis(panel, y, 'left', left, 5);
    panel.append(
      svgElement('text', { x: left + PW / 2, y: TOP + PH + 36 }, 'llm-lab-q-axis-title', title),
      svgElement('text', { x: left - 40, y: TOP - 8 }, 'llm-lab-q-axis-title llm-lab-q-metric', `${spec.metricName} ${spec.lowerIsBetter ? '\u2193 lower is better' : '\u2191 higher is better'}`)
    );
    svg.append(panel);
  });
  const legend = element('div', 'llm-lab-q-legend');
  legend.append(...names.map((s, j) => legendEntry(s, 'llm-lab-q-swatch-color', headColor(j))));
  const scroller = element('div', 'llm-lab-attention-scroll');
  scroller.append(svg);
  root.append(element('div', 'llm-lab-title', spec.title), legend, readout, scroller);
  return root;
}

export const QuantTradeoffRenderer = specRenderer('quant-tradeoff', validateQuantTradeoffSpec, quantTradeoffView);
