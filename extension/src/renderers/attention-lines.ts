/**
 * Attention as lines (the head view's picture, also used by the model view's zoom): query tokens
 * in a column on the left, key tokens on the right, one line per (query, key) pair and head,
 * colored by head and as opaque as the weight. Pointing at a token focuses it: only the lines
 * from that query (or into that key) stay.
 *
 * Token text is untrusted: it goes in with d3's .text() (textContent), never as markup.
 */
import { select, Selection } from 'd3';
import { headColor } from '@llm-lab/kernel/contract';

/** Lines fainter than this are not drawn: invisible anyway, and there are heads x n^2 of them. */
export const MIN_LINE_WEIGHT = 0.005;
const LABEL_CHARS = 14;

export interface LineDatum {
  head: number;
  q: number;
  k: number;
  w: number;
}

/** A token the pointer is on: a query (left column) or a key (right column). */
export interface Focus {
  side: 'query' | 'key';
  index: number;
}

export function shortToken(token: string): string {
  return token.length > LABEL_CHARS ? `${token.slice(0, LABEL_CHARS)}\u2026` : token;
}

/** The lines to draw: every selected head's weights above MIN_LINE_WEIGHT, restricted to the focus. */
export function lineData(weights: number[][][], heads: number[], focus: Focus | null): LineDatum[] {
  const out: LineDatum[] = [];
  for (const head of heads) {
    weights[head].forEach((row, q) => {
      if (focus?.side === 'query' && focus.index !== q) return;
      row.forEach((w, k) => {
        if (focus?.side === 'key' && focus.index !== k) return;
        if (w !== null && w >= MIN_LINE_WEIGHT) out.push({ head, q, k, w });
      });
    });
  }
  // strong lines last, so they are drawn on top of the faint ones of other heads
  return out.sort((a, b) => a.w - b.w);
}

/** A line's opacity: the weight, lifted a little so that 0.1-0.3 stay visible on dark themes. */
export function lineOpacity(w: number): number {
  return Math.min(1, w ** 0.75);
}

export interface TokenLines {
  /** Draw weights[head][query][key] of these heads. */
  show(weights: number[][][], heads: number[]): void;
  /** Focus a token as if the pointer were on it (null: none). */
  focus(focus: Focus | null): void;
}

export interface TokenLinesOptions {
  /** Titles above the two columns. */
  headers: [string, string];
  /** Called when the focus changes (pointer on a token, or off). */
  onFocus?: (focus: Focus | null) => void;
}

type G = Selection<SVGGElement, unknown, null, undefined>;

/** Draw two token columns into `svgNode` (emptied first); lines come with show(). */
export function drawTokenLines(svgNode: SVGSVGElement, queries: string[], keys: string[], options: TokenLinesOptions): TokenLines {
  const row = 20;
  const font = 12;
  const chars = Math.min(LABEL_CHARS + 1, Math.max(4, ...queries.map(t => shortToken(t).length), ...keys.map(t => shortToken(t).length)));
  const label = Math.max(100, Math.ceil(chars * font * 0.62) + 8); // at least the column titles' width
  const gap = 200;
  const top = 24;
  const x0 = label;
  const x1 = label + gap;
  const width = x1 + label;
  const height = top + Math.max(queries.length, keys.length) * row + 4;
  const y = (i: number) => top + i * row + row / 2;

  const svg = select(svgNode);
  svg.selectAll('*').remove();
  svg.attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
  const headers = svg.append('g').attr('class', 'llm-lab-hv-header');
  headers.append('text').attr('x', x0 - 6).attr('y', 12).attr('text-anchor', 'end').text(options.headers[0]);
  headers.append('text').attr('x', x1 + 6).attr('y', 12).text(options.headers[1]);

  const linesG: G = svg.append('g').attr('class', 'llm-lab-hv-lines');
  const labels = svg.append('g').attr('class', 'llm-lab-hv-labels').style('font-size', `${font}px`);
  const column = (tokens: string[], side: Focus['side']) =>
    labels
      .selectAll<SVGTextElement, string>(`text.llm-lab-hv-${side}`)
      .data(tokens)
      .join('text')
      .attr('class', `llm-lab-hv-token llm-lab-hv-${side}`)
      .attr('x', side === 'query' ? x0 - 6 : x1 + 6)
      .attr('y', (_, i) => y(i))
      .attr('dy', '0.35em')
      .attr('text-anchor', side === 'query' ? 'end' : 'start')
      .text(shortToken)
      // by index, not by text: a sentence repeats tokens
      .each(function (_, index) {
        select(this)
          .on('mouseenter', () => setFocus({ side, index }))
          .on('mouseleave', () => setFocus(null));
      });
  const queryLabels = column(queries, 'query');
  const keyLabels = column(keys, 'key');

  let current: { weights: number[][][]; heads: number[] } = { weights: [], heads: [] };
  let focused: Focus | null = null;

  function draw(): void {
    linesG
      .selectAll<SVGLineElement, LineDatum>('line')
      .data(lineData(current.weights, current.heads, focused))
      .join('line')
      .attr('class', 'llm-lab-hv-line')
      .attr('x1', x0)
      .attr('y1', d => y(d.q))
      .attr('x2', x1)
      .attr('y2', d => y(d.k))
      .attr('stroke', d => headColor(d.head))
      .attr('stroke-opacity', d => lineOpacity(d.w))
      .attr('data-weight', d => d.w)
      .attr('data-head', d => d.head)
      .attr('data-query', d => d.q)
      .attr('data-key', d => d.k);
    queryLabels.classed('llm-lab-attention-active', (_, i) => focused?.side === 'query' && focused.index === i);
    keyLabels.classed('llm-lab-attention-active', (_, i) => focused?.side === 'key' && focused.index === i);
  }

  function setFocus(f: Focus | null): void {
    focused = f;
    draw();
    options.onFocus?.(f);
  }

  return {
    show(weights, heads) {
      current = { weights, heads };
      draw();
    },
    focus: setFocus
  };
}
