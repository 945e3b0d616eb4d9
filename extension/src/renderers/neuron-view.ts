/**
 * The neuron view: inside one head, how a query token scores every key. For the chosen query
 * token it shows the head's query vector q, each key vector k, their element-wise products
 * q[d] * k[d], the sum (the score q.k), the score scaled by 1/sqrt(d) and the softmax weight.
 * Positive numbers are one color, negative another, as strong as their size. Choose the query
 * token with the selector or by clicking a key's token; point at a cell to read its numbers.
 */
import { select } from 'd3';
import { NeuronRow, neuronRows, NeuronViewSpec, validateNeuronViewSpec } from '@llm-lab/kernel/contract';
import { shortToken } from './attention-lines';
import { element } from './dom';
import { formatWeight } from './format';
import { specRenderer } from './spec-renderer';

const SVG_NS = 'http://www.w3.org/2000/svg';
const HINT = 'Point at a cell to read its numbers; click a token to make it the query.';

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
const fixed = (v: number) => (v === null || !Number.isFinite(v) ? '?' : v.toFixed(3));
const sign = (v: number) => (v >= 0 ? 'llm-lab-nv-pos' : 'llm-lab-nv-neg');

function maxAbs(values: number[][]): number {
  let m = 0;
  for (const row of values) for (const v of row) m = Math.max(m, Math.abs(v ?? 0));
  return m || 1;
}

export function neuronView(spec: NeuronViewSpec): HTMLElement {
  const n = spec.tokens.length;
  const d = spec.headSize;
  const cell = clamp(Math.floor(256 / d), 3, 14);
  const rowH = 18;
  const label = Math.ceil(Math.min(15, Math.max(4, ...spec.tokens.map(t => shortToken(t).length))) * 7.5) + 10;
  const kX = label;
  const pX = kX + d * cell + 24;
  const scoreX = pX + d * cell + 16;
  const scaledX = scoreX + 64;
  const weightX = scaledX + 64;
  const width = weightX + 120;
  const top = 22; // header, then the q row
  const height = top + rowH + 8 + n * rowH + 4;
  const rowY = (key: number) => top + rowH + 8 + key * rowH;

  const root = element('div', 'llm-lab-neuron-view');
  const title = element('div', 'llm-lab-title', spec.title);
  const querySelect = element('select', 'llm-lab-query-select');
  spec.tokens.forEach((t, i) => {
    const option = element('option', '', `${i}: ${t}`);
    option.value = String(i);
    querySelect.append(option);
  });
  querySelect.value = String(spec.query);
  const queryLabel = element('label', 'llm-lab-attention-control', 'Query token ');
  queryLabel.append(querySelect);
  const controls = element('div', 'llm-lab-attention-controls');
  controls.append(queryLabel, element('span', 'llm-lab-nv-facts', `layer ${spec.layer}, head ${spec.head}, d = ${d} dimensions per head, scale 1/\u221a${d} = ${(1 / Math.sqrt(d)).toFixed(3)}; cells: blue > 0, orange < 0`));
  const readout = element('div', 'llm-lab-attention-readout', HINT);
  readout.setAttribute('aria-live', 'polite');

  const scroller = element('div', 'llm-lab-attention-scroll');
  const svgNode = document.createElementNS(SVG_NS, 'svg');
  svgNode.setAttribute('class', 'llm-lab-nv-svg');
  scroller.append(svgNode);
  const svg = select(svgNode).attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);

  const headers = svg.append('g').attr('class', 'llm-lab-hv-header');
  const header = (x: number, text: string, anchor = 'start') => headers.append('text').attr('x', x).attr('y', 12).attr('text-anchor', anchor).text(text);
  header(kX, 'q, then k of each key');
  header(pX, 'q \u00d7 k per dimension');
  header(scoreX + 52, 'q\u00b7k', 'end');
  header(scaledX + 52, '\u00f7\u221ad', 'end');
  header(weightX, 'softmax');

  const vectorScale = maxAbs([...spec.q, ...spec.k]);
  const qRow = svg.append('g').attr('class', 'llm-lab-nv-q').attr('transform', `translate(0,${top})`);
  const qLabel = qRow.append('text').attr('class', 'llm-lab-nv-token llm-lab-nv-query-token').attr('x', kX - 6).attr('y', rowH / 2).attr('dy', '0.35em').attr('text-anchor', 'end');
  const rowsG = svg.append('g').attr('class', 'llm-lab-nv-rows');

  function cells(g: ReturnType<typeof select<SVGGElement, unknown>>, cls: string, values: number[], x: number, scale: number, describe: (dim: number) => string): void {
    g.selectAll<SVGRectElement, number>(`rect.${cls}`)
      .data(values)
      .join('rect')
      .attr('class', v => `${cls} llm-lab-nv-cell ${sign(v)}`)
      .attr('x', (_, i) => x + i * cell)
      .attr('y', 2)
      .attr('width', Math.max(cell - 1, 1))
      .attr('height', rowH - 4)
      .attr('fill-opacity', v => clamp(Math.abs(v ?? 0) / scale, 0.04, 1))
      .attr('data-value', v => v)
      .each(function (_, dim) {
        select(this).on('mouseenter', () => (readout.textContent = describe(dim)));
      });
  }

  function draw(query: number): void {
    const q = spec.q[query];
    const rows = neuronRows(spec, query);
    const productScale = maxAbs(rows.filter(r => !r.masked).map(r => r.products));
    qLabel.text(`q: ${shortToken(spec.tokens[query])}`);
    cells(qRow, 'llm-lab-nv-qcell', q, kX, vectorScale, dim => `q[${dim}] of ${spec.tokens[query]} = ${fixed(q[dim])}`);

    const row = rowsG
      .selectAll<SVGGElement, NeuronRow>('g.llm-lab-nv-row')
      .data(rows)
      .join(enter => {
        const g = enter.append('g');
        g.append('text')
          .attr('class', 'llm-lab-nv-token llm-lab-nv-key-token')
          .attr('x', kX - 6)
          .attr('y', rowH / 2)
          .attr('dy', '0.35em')
          .attr('text-anchor', 'end')
          .text(r => shortToken(spec.tokens[r.key]))
          .on('click', (_e, r) => choose(r.key));
        g.append('text').attr('class', 'llm-lab-nv-score').attr('x', scoreX + 52).attr('y', rowH / 2).attr('dy', '0.35em').attr('text-anchor', 'end');
        g.append('text').attr('class', 'llm-lab-nv-scaled').attr('x', scaledX + 52).attr('y', rowH / 2).attr('dy', '0.35em').attr('text-anchor', 'end');
        g.append('rect').attr('class', 'llm-lab-nv-bar').attr('x', weightX).attr('y', 4).attr('height', rowH - 8);
        g.append('text').attr('class', 'llm-lab-nv-weight').attr('x', weightX + 64).attr('y', rowH / 2).attr('dy', '0.35em');
        return g;
      })
      .attr('class', r => (r.masked ? 'llm-lab-nv-row llm-lab-nv-masked' : 'llm-lab-nv-row'))
      .attr('transform', r => `translate(0,${rowY(r.key)})`);
    row.each(function (r) {
      const g = select<SVGGElement, unknown>(this);
      const k = spec.k[r.key];
      const pair = `${spec.tokens[query]} \u00b7 ${spec.tokens[r.key]}`;
      cells(g, 'llm-lab-nv-kcell', k, kX, vectorScale, dim => `k[${dim}] of ${spec.tokens[r.key]} = ${fixed(k[dim])}`);
      cells(g, 'llm-lab-nv-pcell', r.products, pX, productScale, dim => `${pair}, dimension ${dim}: q ${fixed(q[dim])} \u00d7 k ${fixed(k[dim])} = ${fixed(r.products[dim])}`);
      g.select('text.llm-lab-nv-score').text(fixed(r.score));
      g.select('text.llm-lab-nv-scaled').text(fixed(r.scaled));
      g.select('rect.llm-lab-nv-bar').attr('width', r.masked ? 0 : Math.max(0.5, r.weight * 60));
      g.select('text.llm-lab-nv-weight').text(r.masked ? 'masked' : formatWeight(r.weight));
    });
  }

  function choose(query: number): void {
    querySelect.value = String(query);
    draw(query);
  }
  querySelect.addEventListener('change', () => draw(Number(querySelect.value)));
  draw(spec.query);

  const note = element(
    'div',
    'llm-lab-attention-note',
    'Each key\u2019s score is the sum of the products q[d] \u00d7 k[d]; dividing by \u221ad keeps scores in a range where softmax is not saturated; softmax turns the scaled scores into weights that sum to 1.' +
      (spec.causal ? ' Keys after the query are masked (causal attention).' : '')
  );
  root.append(title, controls, readout, scroller, note);
  return root;
}

export const NeuronViewRenderer = specRenderer('neuron-view', validateNeuronViewSpec, neuronView);
