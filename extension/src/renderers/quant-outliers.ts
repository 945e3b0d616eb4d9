/**
 * Outlier channels: the largest |x| of each channel as a bar, the ones over k x the median
 * flagged in the theme's error colour above a dashed threshold, and, in this layer's numbers,
 * why they hurt per-tensor int8 (one outlier sets the step for every channel).
 */
import { scaleLinear } from 'd3';
import { int8Explanation, outlierChannels, outlierSummary, QuantOutliersSpec, validateQuantOutliersSpec } from '@llm-lab/kernel/contract';
import { element } from './dom';
import { specRenderer } from './spec-renderer';
import { drawAxis, explain, legendEntry, readoutLine, svgElement } from './svg-dom';

const [W, H, LEFT, RIGHT, TOP, BOTTOM] = [720, 240, 52, 704, 12, 200];

export function quantOutliersView(spec: QuantOutliersSpec): HTMLElement {
  const root = element('div', 'llm-lab-quant-outliers');
  const readout = readoutLine('Point at a channel to read its largest |x|.');
  const n = spec.channelAbsMax.length;
  const { median, threshold, flagged } = outlierChannels(spec.channelAbsMax, spec.k);
  const outlier = new Set(flagged);
  const why = int8Explanation(spec.channelAbsMax, median);
  const x = scaleLinear().domain([0, n]).range([LEFT, RIGHT]);
  const y = scaleLinear().domain([0, Math.max(...spec.channelAbsMax, threshold) || 1]).nice().range([BOTTOM, TOP]);
  const svg = svgElement('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}` }, 'llm-lab-q-svg');
  const bw = (RIGHT - LEFT) / n;
  spec.channelAbsMax.forEach((v, i) => {
    const bad = outlier.has(i);
    // an outlier is drawn at least 2 px wide, so a thin one among thousands still shows
    const w = bad ? Math.max(bw, 2) : Math.max(bw - (bw > 3 ? 1 : 0), 0.6);
    const bar = svgElement('rect', { x: x(i), y: y(v), width: w, height: BOTTOM - y(v), 'data-channel': i }, `llm-lab-q-channel${bad ? ' llm-lab-q-outlier' : ''}`);
    explain(bar, `channel ${i}: max |x| ${v.toPrecision(3)} = ${(median > 0 ? v / median : 0).toFixed(1)} \u00d7 median${bad ? ` \u2014 an outlier. ${why}` : ''}`, readout);
    svg.append(bar);
  });
  svg.append(svgElement('line', { x1: LEFT, x2: RIGHT, y1: y(threshold), y2: y(threshold) }, 'llm-lab-q-threshold'));
  svg.append(svgElement('text', { x: RIGHT, y: y(threshold) - 4 }, 'llm-lab-q-threshold-label', `${spec.k} \u00d7 median = ${threshold.toPrecision(3)}`));
  drawAxis(svg, x, 'bottom', BOTTOM);
  drawAxis(svg, y, 'left', LEFT, 4);
  svg.append(svgElement('text', { x: (LEFT + RIGHT) / 2, y: H - 4 }, 'llm-lab-q-axis-title', `channel of ${spec.name}`));
  const legend = element('div', 'llm-lab-q-legend');
  legend.append(legendEntry('channel', 'llm-lab-q-swatch-bar'), legendEntry(`outlier (over ${spec.k} \u00d7 median)`, 'llm-lab-q-swatch-outlier'));
  const scroller = element('div', 'llm-lab-attention-scroll');
  scroller.append(svg);
  const list = flagged.slice(0, 12).map(i => `${i} (${spec.channelAbsMax[i].toPrecision(3)})`).join(', ') + (flagged.length > 12 ? ', \u2026' : '');
  root.append(element('div', 'llm-lab-title', spec.title), element('div', 'llm-lab-q-summary', outlierSummary(spec)), legend, readout, scroller);
  if (flagged.length > 0) root.append(element('div', 'llm-lab-q-outlier-list', `outlier channels: ${list}`));
  root.append(element('div', 'llm-lab-attention-note llm-lab-q-why', why));
  return root;
}

export const QuantOutliersRenderer = specRenderer('quant-outliers', validateQuantOutliersSpec, quantOutliersView);
