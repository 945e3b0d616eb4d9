/**
 * The attention heatmap, drawn with d3 into an <svg>: one row per query token, one column per
 * key token, a cell's color is how much that query reads from that key. Future keys of a causal
 * model are hatched. Changing layer or head only recolors the existing cells.
 *
 * Token text is untrusted (it comes from whatever the learner typed): it goes in with d3's
 * .text(), which sets textContent, never as markup.
 */
import { axisRight, format, interpolateViridis, scaleSequentialSqrt, scaleSqrt, select, Selection } from 'd3';
import type { AttentionSpec } from '@llm-lab/kernel/contract';

/** Weight -> color. sqrt spreads the small weights that long sequences produce. */
export const attentionColor = scaleSequentialSqrt(interpolateViridis).domain([0, 1]);

const LEGEND_TICKS = [0, 0.05, 0.2, 0.5, 1];
/** Longer tokens are cut in the axis labels (the readout shows them whole). */
const LABEL_CHARS = 12;

export interface CellDatum {
  q: number;
  k: number;
}

/** Sizes in px, from the number of tokens and their longest label. */
export interface HeatmapLayout {
  cell: number;
  font: number;
  left: number;
  top: number;
  grid: number;
  legendX: number;
  legendHeight: number;
  width: number;
  height: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

export function heatmapLayout(tokens: string[]): HeatmapLayout {
  const n = tokens.length;
  const cell = clamp(Math.round(640 / n), 10, 28);
  const font = clamp(cell - 2, 8, 13);
  const chars = clamp(Math.max(...tokens.map(t => shortLabel(t).length)), 1, LABEL_CHARS + 1);
  const labels = Math.ceil(chars * font * 0.62) + 8; // monospace glyphs are ~0.6em wide
  const left = 22 + labels; // 22: the rotated "query" axis title
  const top = 22 + labels;
  const grid = n * cell;
  const legendX = left + grid + 24;
  const legendHeight = Math.max(grid, 120);
  return { cell, font, left, top, grid, legendX, legendHeight, width: legendX + 12 + 44, height: top + legendHeight + 8 };
}

export function shortLabel(token: string): string {
  return token.length > LABEL_CHARS ? `${token.slice(0, LABEL_CHARS)}\u2026` : token;
}

export function isMasked(spec: Pick<AttentionSpec, 'causal'>, d: CellDatum): boolean {
  return spec.causal && d.k > d.q;
}

let instances = 0;

export interface Heatmap {
  /** Recolor the cells with weights[layer][head]. */
  show(layer: number, head: number): void;
  /** Recolor the cells with a grid of weights [query][key] (e.g. another checkpoint's). */
  showGrid(weights: number[][]): void;
}

type SvgSelection = Selection<SVGSVGElement, unknown, null, undefined>;

/**
 * Draw the heatmap of `spec` into `svg` (emptied first). `onHover` gets the cell under the
 * pointer, or null when the pointer leaves the grid.
 */
export function drawHeatmap(svgNode: SVGSVGElement, spec: Pick<AttentionSpec, 'tokens' | 'causal' | 'weights'>, onHover: (cell: CellDatum | null) => void): Heatmap {
  const n = spec.tokens.length;
  const L = heatmapLayout(spec.tokens);
  const ids = { hatch: `llm-lab-hatch-${++instances}`, gradient: `llm-lab-gradient-${instances}` };
  const svg: SvgSelection = select(svgNode);
  svg.selectAll('*').remove();
  svg.attr('width', L.width).attr('height', L.height).attr('viewBox', `0 0 ${L.width} ${L.height}`);
  defineHatch(svg, ids.hatch);

  axisTitles(svg, L);
  const labels = tokenLabels(svg, spec.tokens, L);

  const cells: CellDatum[] = [];
  for (let q = 0; q < n; q++) for (let k = 0; k < n; k++) cells.push({ q, k });
  const grid = svg.append('g').attr('class', 'llm-lab-attention-grid').attr('transform', `translate(${L.left},${L.top})`);
  const rects = grid
    .selectAll<SVGRectElement, CellDatum>('rect.llm-lab-attention-cell')
    .data(cells)
    .join('rect')
    .attr('class', d => (isMasked(spec, d) ? 'llm-lab-attention-cell llm-lab-attention-masked' : 'llm-lab-attention-cell'))
    .attr('x', d => d.k * L.cell)
    .attr('y', d => d.q * L.cell)
    .attr('width', L.cell)
    .attr('height', L.cell);
  const focus = grid.append('rect').attr('class', 'llm-lab-attention-focus').attr('width', L.cell).attr('height', L.cell).attr('visibility', 'hidden');

  // One listener for the whole grid rather than n^2 of them.
  grid.on('mouseover', (event: MouseEvent) => {
    const target = event.target as Element;
    if (!target.classList.contains('llm-lab-attention-cell')) return;
    const d = select<Element, CellDatum>(target).datum();
    focus.attr('x', d.k * L.cell).attr('y', d.q * L.cell).attr('visibility', 'visible');
    labels.rows.classed('llm-lab-attention-active', (_, i) => i === d.q);
    labels.columns.classed('llm-lab-attention-active', (_, i) => i === d.k);
    onHover(d);
  });
  grid.on('mouseleave', () => {
    focus.attr('visibility', 'hidden');
    labels.rows.classed('llm-lab-attention-active', false);
    labels.columns.classed('llm-lab-attention-active', false);
    onHover(null);
  });

  legend(svg, L, ids.gradient);

  const showGrid = (weights: number[][]) => {
    rects.attr('fill', d => {
      const w = weights[d.q][d.k];
      if (isMasked(spec, d) || w === null) return `url(#${ids.hatch})`;
      return attentionColor(w);
    });
  };
  return { show: (layer, head) => showGrid(spec.weights[layer][head]), showGrid };
}

/** Diagonal stripes on the background: "no weight here" in any theme (colors from CSS). */
function defineHatch(svg: SvgSelection, id: string): void {
  const pattern = svg
    .append('defs')
    .append('pattern')
    .attr('id', id)
    .attr('width', 6)
    .attr('height', 6)
    .attr('patternUnits', 'userSpaceOnUse')
    .attr('patternTransform', 'rotate(45)');
  pattern.append('rect').attr('class', 'llm-lab-hatch-background').attr('width', 6).attr('height', 6);
  pattern.append('line').attr('class', 'llm-lab-hatch-line').attr('x1', 0).attr('y1', 0).attr('x2', 0).attr('y2', 6);
}

function axisTitles(svg: SvgSelection, L: HeatmapLayout): void {
  const titles = svg.append('g').attr('class', 'llm-lab-attention-axis-title');
  titles
    .append('text')
    .attr('x', L.left + L.grid / 2)
    .attr('y', 12)
    .attr('text-anchor', 'middle')
    .text('key: the token being read');
  const y = L.top + L.grid / 2;
  titles
    .append('text')
    .attr('transform', `translate(12,${y}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .text('query: the token reading');
}

function tokenLabels(svg: SvgSelection, tokens: string[], L: HeatmapLayout) {
  const g = svg.append('g').attr('class', 'llm-lab-attention-labels').style('font-size', `${L.font}px`);
  const rows = g
    .selectAll('text.llm-lab-attention-row')
    .data(tokens)
    .join('text')
    .attr('class', 'llm-lab-attention-row')
    .attr('x', L.left - 4)
    .attr('y', (_, i) => L.top + i * L.cell + L.cell / 2)
    .attr('dy', '0.35em')
    .attr('text-anchor', 'end')
    .text(shortLabel);
  const columns = g
    .selectAll('text.llm-lab-attention-column')
    .data(tokens)
    .join('text')
    .attr('class', 'llm-lab-attention-column')
    .attr('transform', (_, i) => `translate(${L.left + i * L.cell + L.cell / 2},${L.top - 4}) rotate(-90)`)
    .attr('dy', '0.35em')
    .text(shortLabel);
  return { rows, columns };
}

/** A vertical color bar with sqrt-spaced ticks, matching attentionColor. */
function legend(svg: SvgSelection, L: HeatmapLayout, id: string): void {
  // Along the bar, position p (0 at the bottom) shows weight p^2, whose color is viridis(p).
  const gradient = svg.select('defs').append('linearGradient').attr('id', id).attr('x1', 0).attr('y1', 1).attr('x2', 0).attr('y2', 0);
  for (let i = 0; i <= 10; i++) {
    gradient.append('stop').attr('offset', `${i * 10}%`).attr('stop-color', interpolateViridis(i / 10));
  }
  const g = svg.append('g').attr('class', 'llm-lab-attention-legend').attr('transform', `translate(${L.legendX},${L.top})`);
  g.append('rect').attr('width', 12).attr('height', L.legendHeight).attr('fill', `url(#${id})`);
  const scale = scaleSqrt().domain([0, 1]).range([L.legendHeight, 0]);
  g.append('g').attr('transform', 'translate(12,0)').call(axisRight(scale).tickValues(LEGEND_TICKS).tickFormat(format('~g')).tickSize(4));
  g.append('text').attr('class', 'llm-lab-attention-legend-title').attr('x', 6).attr('y', -8).attr('text-anchor', 'middle').text('weight');
}
