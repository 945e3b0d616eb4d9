/**
 * The weight histogram under the quantization grid: how many weights fall in each bin, and a
 * vertical line at every level the format can store. Weights between two lines are rounded to
 * the nearer one; where the bars are dense and the lines sparse, the rounding error is large.
 */
import { scaleLinear } from 'd3';
import { histogramBins, histogramRange, histogramSummary, nearestLevel, QuantHistogramSpec, validateQuantHistogramSpec } from '@llm-lab/kernel/contract';
import { element } from './dom';
import { specRenderer } from './spec-renderer';
import { drawAxis, explain, legendEntry, readoutLine, svgElement } from './svg-dom';

/** Bars of the histogram: the same as the static picture's. */
export const BINS = 80;
const [W, H, LEFT, RIGHT, TOP, BOTTOM] = [700, 250, 52, 684, 10, 210];

const short = (x: number) => x.toPrecision(3);

export function quantHistogramView(spec: QuantHistogramSpec): HTMLElement {
  const root = element('div', 'llm-lab-quant-histogram');
  const readout = readoutLine('Point at a bar or a level line to read it.');
  const [lo, hi] = histogramRange(spec.values, spec.levels);
  const counts = histogramBins(spec.values, lo, hi, BINS);
  const x = scaleLinear().domain([lo, hi]).range([LEFT, RIGHT]);
  const y = scaleLinear().domain([0, Math.max(...counts)]).nice().range([BOTTOM, TOP]);
  const svg = svgElement('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}` }, 'llm-lab-q-svg');
  const bw = (RIGHT - LEFT) / BINS;
  counts.forEach((c, b) => {
    if (c === 0) return;
    const [from, to] = [lo + b * ((hi - lo) / BINS), lo + (b + 1) * ((hi - lo) / BINS)];
    const bar = svgElement('rect', { x: LEFT + b * bw, y: y(c), width: Math.max(bw - 1, 0.5), height: BOTTOM - y(c) }, 'llm-lab-q-bar');
    explain(bar, `${c} weights in [${short(from)}, ${short(to)}), stored as ${short(nearestLevel(spec.levels, (from + to) / 2))} (the nearest level)`, readout);
    svg.append(bar);
  });
  const dense = spec.levels.length > 32;
  spec.levels.forEach((level, i) => {
    const line = svgElement('line', { x1: x(level), x2: x(level), y1: TOP, y2: BOTTOM }, `llm-lab-q-level${dense ? ' llm-lab-q-level-dense' : ''}`);
    explain(line, `level ${i + 1} of ${spec.levels.length}: ${level.toPrecision(4)}`, readout);
    svg.append(line);
  });
  drawAxis(svg, x, 'bottom', BOTTOM);
  drawAxis(svg, y, 'left', LEFT, 4);
  svg.append(svgElement('text', { x: (LEFT + RIGHT) / 2, y: H - 4 }, 'llm-lab-q-axis-title', `weight of ${spec.name}`));
  const legend = element('div', 'llm-lab-q-legend');
  legend.append(legendEntry('weights per bin', 'llm-lab-q-swatch-bar'), legendEntry(`the ${spec.levels.length} levels of ${spec.method} (${spec.bits} bits)`, 'llm-lab-q-swatch-level'));
  const scroller = element('div', 'llm-lab-attention-scroll');
  scroller.append(svg);
  root.append(element('div', 'llm-lab-title', spec.title), element('div', 'llm-lab-q-summary', histogramSummary(spec)), legend, readout, scroller);
  return root;
}

export const QuantHistogramRenderer = specRenderer('quant-histogram', validateQuantHistogramSpec, quantHistogramView);
