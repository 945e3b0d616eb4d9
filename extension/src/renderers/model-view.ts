/**
 * The model view: every layer (rows) and head (columns) at once, each a small head view (lines
 * from query tokens on the left to key tokens on the right). Click one (or Enter on it) to see it
 * large below, with its token labels and pointer focus.
 */
import { select } from 'd3';
import { headColor, ModelViewSpec, validateModelViewSpec } from '@llm-lab/kernel/contract';
import { drawTokenLines } from './attention-lines';
import { element } from './dom';
import { describeFocus } from './head-view';
import { specRenderer } from './spec-renderer';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Thumbnails leave out fainter lines than the zoom does: at this size they would be a grey fog. */
export const THUMBNAIL_MIN_WEIGHT = 0.02;
const THUMB_W = 64;
const GAP = 10;
const LEFT = 52;
const TOP = 20;

export interface ThumbLine {
  q: number;
  k: number;
  w: number;
}

export function thumbnailLines(grid: number[][]): ThumbLine[] {
  const out: ThumbLine[] = [];
  grid.forEach((row, q) => row.forEach((w, k) => w !== null && w >= THUMBNAIL_MIN_WEIGHT && out.push({ q, k, w })));
  return out;
}

export function modelView(spec: ModelViewSpec): HTMLElement {
  const keys = spec.keyTokens ?? spec.tokens;
  const rows = Math.max(spec.tokens.length, keys.length);
  const rowH = Math.max(1.5, Math.min(8, 96 / rows));
  const thumbH = rows * rowH + 8;
  const width = LEFT + spec.nHeads * (THUMB_W + GAP);
  const height = TOP + spec.nLayers * (thumbH + GAP);

  const root = element('div', 'llm-lab-model-view');
  const title = element('div', 'llm-lab-title', spec.title);
  const note = element('div', 'llm-lab-attention-note', 'Rows are layers, columns heads; in each square, lines go from the token reading (left) to the token read (right). Click a square to zoom.');
  const scroller = element('div', 'llm-lab-attention-scroll');
  const svgNode = document.createElementNS(SVG_NS, 'svg');
  svgNode.setAttribute('class', 'llm-lab-mv-svg');
  scroller.append(svgNode);
  const zoom = element('div', 'llm-lab-mv-zoom');
  zoom.append(element('div', 'llm-lab-attention-note', 'No head selected.'));

  const svg = select(svgNode).attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
  const headers = svg.append('g').attr('class', 'llm-lab-hv-header');
  for (let h = 0; h < spec.nHeads; h++) {
    headers.append('text').attr('x', LEFT + h * (THUMB_W + GAP) + THUMB_W / 2).attr('y', 12).attr('text-anchor', 'middle').text(`head ${h}`);
  }
  for (let l = 0; l < spec.nLayers; l++) {
    headers.append('text').attr('x', LEFT - 8).attr('y', TOP + l * (thumbH + GAP) + thumbH / 2).attr('dy', '0.35em').attr('text-anchor', 'end').text(`layer ${l}`);
  }

  const cells = [];
  for (let l = 0; l < spec.nLayers; l++) for (let h = 0; h < spec.nHeads; h++) cells.push({ layer: l, head: h });
  const cell = svg
    .append('g')
    .selectAll('g.llm-lab-mv-cell')
    .data(cells)
    .join('g')
    .attr('class', 'llm-lab-mv-cell')
    .attr('transform', d => `translate(${LEFT + d.head * (THUMB_W + GAP)},${TOP + d.layer * (thumbH + GAP)})`)
    .attr('tabindex', 0)
    .attr('role', 'button')
    .attr('aria-label', d => `layer ${d.layer}, head ${d.head}: zoom`)
    .attr('data-layer', d => d.layer)
    .attr('data-head', d => d.head);
  cell.append('title').text(d => `layer ${d.layer}, head ${d.head}: click to zoom`);
  cell.append('rect').attr('class', 'llm-lab-mv-cell-bg').attr('width', THUMB_W).attr('height', thumbH);
  cell.each(function (d) {
    select(this)
      .selectAll('line')
      .data(thumbnailLines(spec.weights[d.layer][d.head]))
      .join('line')
      .attr('class', 'llm-lab-mv-line')
      .attr('x1', 6)
      .attr('x2', THUMB_W - 6)
      .attr('y1', t => 4 + (t.q + 0.5) * rowH)
      .attr('y2', t => 4 + (t.k + 0.5) * rowH)
      .attr('stroke', headColor(d.head))
      .attr('stroke-opacity', t => t.w);
  });

  function zoomTo(layer: number, head: number): void {
    cell.classed('llm-lab-mv-selected', d => d.layer === layer && d.head === head);
    const heading = element('div', 'llm-lab-mv-zoom-title', `Layer ${layer}, head ${head}`);
    const readout = element('div', 'llm-lab-attention-readout', 'Point at a token to see only its lines.');
    const big = document.createElementNS(SVG_NS, 'svg');
    big.setAttribute('class', 'llm-lab-hv-svg');
    const lines = drawTokenLines(big, spec.tokens, keys, {
      headers: spec.keyTokens ? ['target (query)', 'source (key)'] : ['query: reading', 'key: read'],
      onFocus: f => (readout.textContent = f ? describeFocus(spec, layer, [head], f) : 'Point at a token to see only its lines.')
    });
    lines.show(spec.weights[layer], [head]);
    const bigScroller = element('div', 'llm-lab-attention-scroll');
    bigScroller.append(big);
    zoom.replaceChildren(heading, readout, bigScroller);
  }
  cell.on('click', (_event, d) => zoomTo(d.layer, d.head));
  cell.on('keydown', (event: KeyboardEvent, d) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      zoomTo(d.layer, d.head);
    }
  });

  root.append(title, note, scroller, zoom);
  return root;
}

export const ModelViewRenderer = specRenderer('model-view', validateModelViewSpec, modelView);
