/**
 * The reward model's reward (y) against the stand-in's score (x), one dot per continuation,
 * train and held-out in two colours, with Pearson's r and Spearman's rho per split. The points the
 * two rank most differently are ringed and numbered, and listed below with their text: where the
 * reward model is wrong (or the stand-in is). Point at a dot to read its continuation.
 */
import { scaleLinear } from 'd3';
import { disagreementLine, disagreements, headColor, paddedDomain, rewardPointTitle, RewardScatterSpec, scatterStats, splitStatsLine, validateRewardScatterSpec } from '@llm-lab/kernel/contract';
import { element } from './dom';
import { specRenderer } from './spec-renderer';
import { drawAxis, explain, legendEntry, readoutLine, svgElement } from './svg-dom';

const [W, H, LEFT, RIGHT, TOP, BOTTOM] = [620, 330, 56, 600, 14, 290];
const SPLIT_COLOR = { train: headColor(0), 'held-out': headColor(1) };

export function rewardScatterView(spec: RewardScatterSpec): HTMLElement {
  const root = element('div', 'llm-lab-reward-scatter');
  const readout = readoutLine('Point at a dot to read its scores and its text.');
  const stats = element('div', 'llm-lab-align-stats');
  for (const s of scatterStats(spec.points)) {
    const line = element('div', 'llm-lab-align-stat');
    line.dataset.split = s.split;
    const swatch = element('span', 'llm-lab-q-swatch');
    swatch.style.background = SPLIT_COLOR[s.split];
    line.append(swatch, element('span', '', ` ${splitStatsLine(s)}`));
    stats.append(line);
  }
  const x = scaleLinear().domain(paddedDomain(spec.points.map(p => p.x))).nice().range([LEFT, RIGHT]);
  const y = scaleLinear().domain(paddedDomain(spec.points.map(p => p.y))).nice().range([BOTTOM, TOP]);
  const svg = svgElement('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}` }, 'llm-lab-q-svg');
  spec.points.forEach((p, i) => {
    const dot = svgElement('circle', { cx: x(p.x), cy: y(p.y), r: 4, fill: SPLIT_COLOR[p.split], 'data-split': p.split, 'data-index': i }, 'llm-lab-align-point');
    explain(dot, rewardPointTitle(spec, p), readout);
    svg.append(dot);
  });
  const flagged = disagreements(spec.points, spec.flag);
  flagged.forEach((i, k) => {
    const p = spec.points[i];
    const ring = svgElement('circle', { cx: x(p.x), cy: y(p.y), r: 8, 'data-index': i }, 'llm-lab-align-flag');
    explain(ring, `${k + 1}. ${disagreementLine(spec.points, i)}: ${rewardPointTitle(spec, p)}`, readout);
    svg.append(ring, svgElement('text', { x: x(p.x) + 9, y: y(p.y) - 7 }, 'llm-lab-align-flag-label', String(k + 1)));
  });
  drawAxis(svg, x, 'bottom', BOTTOM, 6);
  drawAxis(svg, y, 'left', LEFT, 6);
  svg.append(svgElement('text', { x: (LEFT + RIGHT) / 2, y: BOTTOM + 34 }, 'llm-lab-q-axis-title', spec.xTitle), svgElement('text', { x: 12, y: (TOP + BOTTOM) / 2, transform: `rotate(-90 12 ${(TOP + BOTTOM) / 2})` }, 'llm-lab-q-axis-title', spec.yTitle));
  const legend = element('div', 'llm-lab-q-legend');
  legend.append(legendEntry('train', 'llm-lab-q-swatch-color', SPLIT_COLOR.train), legendEntry('held-out', 'llm-lab-q-swatch-color', SPLIT_COLOR['held-out']), legendEntry('ringed: ranked most differently by the two', 'llm-lab-align-swatch-flag'));
  const scroller = element('div', 'llm-lab-attention-scroll');
  scroller.append(svg);
  root.append(element('div', 'llm-lab-title', spec.title), stats, legend, readout, scroller);
  if (flagged.length > 0) {
    root.append(element('div', 'llm-lab-align-list-title', `Where the reward model and the stand-in disagree most (by rank), ${flagged.length} of ${spec.points.length}:`));
    const list = element('ol', 'llm-lab-align-disagree');
    for (const i of flagged) {
      const item = element('li', '');
      item.append(element('span', 'llm-lab-align-why', `${disagreementLine(spec.points, i)} (${spec.xTitle} ${+spec.points[i].x.toPrecision(3)}, ${spec.yTitle} ${+spec.points[i].y.toPrecision(3)}): `), element('span', 'llm-lab-align-sample', spec.points[i].text));
      list.append(item);
    }
    root.append(list);
  }
  return root;
}

export const RewardScatterRenderer = specRenderer('reward-scatter', validateRewardScatterSpec, rewardScatterView);
