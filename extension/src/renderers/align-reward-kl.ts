/**
 * Mean reward against KL to the reference, a colour per run and a marker shape per method (PPO,
 * DPO, GRPO): how much reward each run bought with how far it moved from the reference. A run
 * logged over steps is a line, its last point drawn larger. Point at a point to read it.
 */
import { scaleLinear } from 'd3';
import { headColor, klDomain, markerPath, paddedDomain, rewardKlTitle, RewardKlSpec, runMethods, validateRewardKlSpec } from '@llm-lab/kernel/contract';
import { element } from './dom';
import { specRenderer } from './spec-renderer';
import { drawAxis, explain, readoutLine, svgElement } from './svg-dom';

const [W, H, LEFT, RIGHT, TOP, BOTTOM] = [620, 330, 60, 600, 14, 290];

function legendShape(shape: number, color: string): SVGSVGElement {
  const svg = svgElement('svg', { width: 14, height: 14, viewBox: '0 0 14 14' }, 'llm-lab-align-legend-marker');
  svg.append(svgElement('path', { d: markerPath(shape, 7, 7, 5), fill: color }));
  return svg;
}

export function rewardKlView(spec: RewardKlSpec): HTMLElement {
  const root = element('div', 'llm-lab-reward-kl');
  const readout = readoutLine('Point at a point to read its run, step, KL and reward.');
  const pts = spec.runs.flatMap(r => r.points);
  const x = scaleLinear().domain(klDomain(pts.map(p => p.kl))).nice().range([LEFT, RIGHT]);
  const y = scaleLinear().domain(paddedDomain(pts.map(p => p.reward))).nice().range([BOTTOM, TOP]);
  const methods = runMethods(spec.runs);
  const svg = svgElement('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}` }, 'llm-lab-q-svg');
  const legend = element('div', 'llm-lab-q-legend');
  spec.runs.forEach((r, i) => {
    const color = headColor(i);
    const shape = methods.indexOf(r.method);
    const g = svgElement('g', { 'data-run': r.run }, 'llm-lab-align-run');
    if (r.points.length > 1) g.append(svgElement('polyline', { points: r.points.map(p => `${x(p.kl)},${y(p.reward)}`).join(' '), stroke: color }, 'llm-lab-align-run-line'));
    r.points.forEach((p, k) => {
      const last = k === r.points.length - 1;
      const mark = svgElement('path', { d: markerPath(shape, x(p.kl), y(p.reward), last ? 6 : 4), fill: color }, `llm-lab-align-run-point${last ? ' llm-lab-align-run-last' : ''}`);
      explain(mark, rewardKlTitle(r, p), readout);
      g.append(mark);
    });
    svg.append(g);
    const entry = element('span', 'llm-lab-q-legend-entry');
    entry.append(legendShape(shape, color), element('span', 'llm-lab-q-legend-label', `${r.run} (${r.method})`));
    legend.append(entry);
  });
  drawAxis(svg, x, 'bottom', BOTTOM, 6);
  drawAxis(svg, y, 'left', LEFT, 6);
  svg.append(svgElement('text', { x: (LEFT + RIGHT) / 2, y: BOTTOM + 34 }, 'llm-lab-q-axis-title', spec.xTitle), svgElement('text', { x: 12, y: (TOP + BOTTOM) / 2, transform: `rotate(-90 12 ${(TOP + BOTTOM) / 2})` }, 'llm-lab-q-axis-title', spec.yTitle));
  const scroller = element('div', 'llm-lab-attention-scroll');
  scroller.append(svg);
  root.append(element('div', 'llm-lab-title', spec.title), legend, element('div', 'llm-lab-grpo-hint', 'a line per run over its steps; the larger marker is its last point'), readout, scroller);
  return root;
}

export const RewardKlRenderer = specRenderer('reward-kl', validateRewardKlSpec, rewardKlView);
