/**
 * The quantization error of each layer: a group of bars per layer, one bar per method (a colour
 * each), so a layer that one format handles badly stands out. Point at a bar to read its numbers.
 */
import { scaleLinear } from 'd3';
import { errorGroups, formatPercent, headColor, layerErrorTitle, QuantErrorSpec, validateQuantErrorSpec } from '@llm-lab/kernel/contract';
import { element } from './dom';
import { specRenderer } from './spec-renderer';
import { drawAxis, explain, legendEntry, readoutLine, svgElement } from './svg-dom';

const BAR = 10;
const PLOT = 440;
const LABEL_CHARS = 34;

export function quantErrorView(spec: QuantErrorSpec): HTMLElement {
  const root = element('div', 'llm-lab-quant-error');
  const readout = readoutLine('Point at a bar to read the layer, the method and its error.');
  const { names, methods, at } = errorGroups(spec.layers);
  const labelW = Math.min(LABEL_CHARS, Math.max(...names.map(n => n.length))) * 7 + 12;
  const groupH = methods.length * BAR + 8;
  const [left, top] = [labelW, 6];
  const bottom = top + names.length * groupH;
  const width = left + PLOT + 60;
  const x = scaleLinear().domain([0, Math.max(...spec.layers.map(l => l.relError)) || 1]).nice().range([left, left + PLOT]);
  const svg = svgElement('svg', { width, height: bottom + 40, viewBox: `0 0 ${width} ${bottom + 40}` }, 'llm-lab-q-svg');
  names.forEach((name, i) => {
    const gy = top + i * groupH;
    // the full name on hover: the label may be cut
    const label = svgElement('g');
    label.append(svgElement('text', { x: left - 6, y: gy + groupH / 2 + 3 }, 'llm-lab-q-layer', name.length > LABEL_CHARS ? '\u2026' + name.slice(-(LABEL_CHARS - 1)) : name));
    explain(label, name, readout);
    svg.append(label);
    methods.forEach((m, j) => {
      const row = at(name, m);
      if (!row) return;
      const by = gy + 4 + j * BAR;
      const bar = svgElement('rect', { x: left, y: by, width: Math.max(x(row.relError) - left, 0.5), height: BAR - 1, fill: headColor(j), 'data-method': m }, 'llm-lab-q-error-bar');
      explain(bar, layerErrorTitle(row), readout);
      svg.append(bar);
      if (methods.length <= 3) svg.append(svgElement('text', { x: x(row.relError) + 4, y: by + BAR - 1 }, 'llm-lab-q-value', formatPercent(row.relError)));
    });
  });
  drawAxis(svg, x, 'bottom', bottom, 5, v => formatPercent(v));
  svg.append(svgElement('text', { x: left + PLOT / 2, y: bottom + 34 }, 'llm-lab-q-axis-title', 'relative error (usually \u2016W \u2212 Q(W)\u2016 / \u2016W\u2016)'));
  const legend = element('div', 'llm-lab-q-legend');
  legend.append(...methods.map((m, j) => legendEntry(m, 'llm-lab-q-swatch-color', headColor(j))));
  const scroller = element('div', 'llm-lab-attention-scroll');
  scroller.append(svg);
  root.append(element('div', 'llm-lab-title', spec.title), legend, readout, scroller);
  return root;
}

export const QuantErrorRenderer = specRenderer('quant-error', validateQuantErrorSpec, quantErrorView);
