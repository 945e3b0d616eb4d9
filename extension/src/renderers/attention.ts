/**
 * The attention view: a heatmap of one layer's one head, with selectors for every layer and
 * head of the spec (all weights are in the spec: switching needs no kernel round trip) and a
 * readout of the cell under the pointer, "query -> key: weight".
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { AttentionSpec, parseSpecData, validateAttentionSpec } from '@llm-lab/kernel/contract';
import { CellDatum, drawHeatmap, isMasked } from './attention-heatmap';
import { element } from './dom';
import { errorBox } from './error';
import { formatWeight } from './format';

const SVG_NS = 'http://www.w3.org/2000/svg';
const READOUT_HINT = 'Point at a cell to read its weight.';

/** A labelled <select> of 0..count-1. */
export function indexSelect(label: string, className: string, count: number, selected: number): { label: HTMLLabelElement; select: HTMLSelectElement } {
  const select = element('select', className);
  for (let i = 0; i < count; i++) {
    const option = element('option', '', String(i));
    option.value = String(i);
    select.append(option);
  }
  select.value = String(selected);
  const wrapper = element('label', 'llm-lab-attention-control', `${label} `);
  wrapper.append(select);
  return { label: wrapper, select };
}

/** What the readout says for one cell of weights[layer][head]. */
export function describeCell(spec: AttentionSpec, layer: number, head: number, cell: CellDatum): string {
  const pair = `${spec.tokens[cell.q]} -> ${spec.tokens[cell.k]}`;
  if (isMasked(spec, cell)) return `${pair}: masked (a query cannot read a later token)`;
  const w = spec.weights[layer][head][cell.q][cell.k];
  return w === null ? `${pair}: no value` : `${pair}: ${formatWeight(w)}`;
}

/** Builds the whole view for one spec; the renderer replaces it when a new spec arrives. */
function attentionView(spec: AttentionSpec): HTMLElement {
  const root = element('div', 'llm-lab-attention');
  const title = element('div', 'llm-lab-title', spec.title);
  const layer = indexSelect('Layer', 'llm-lab-layer-select', spec.nLayers, spec.layer);
  const head = indexSelect('Head', 'llm-lab-head-select', spec.nHeads, spec.head);
  const readout = element('span', 'llm-lab-attention-readout', READOUT_HINT);
  readout.setAttribute('aria-live', 'polite');
  const controls = element('div', 'llm-lab-attention-controls');
  controls.append(layer.label, head.label, readout);

  const scroller = element('div', 'llm-lab-attention-scroll');
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'llm-lab-attention-heatmap');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `attention weights, ${spec.tokens.length} by ${spec.tokens.length} tokens`);
  scroller.append(svg);

  const note = element(
    'div',
    'llm-lab-attention-note',
    spec.causal
      ? 'Each row is a query token; it reads the earlier tokens (columns) in the proportions shown, and each row sums to 1. Hatched cells are later tokens, masked out (causal attention).'
      : 'Each row is a query token; it reads every token (columns) in the proportions shown, and each row sums to 1.'
  );

  const selected = () => ({ layer: Number(layer.select.value), head: Number(head.select.value) });
  const heatmap = drawHeatmap(svg, spec, cell => {
    const { layer: l, head: h } = selected();
    readout.textContent = cell ? describeCell(spec, l, h, cell) : READOUT_HINT;
  });
  const show = () => heatmap.show(selected().layer, selected().head);
  layer.select.addEventListener('change', show);
  head.select.addEventListener('change', show);
  show();

  root.append(title, controls, scroller, note);
  return root;
}

export class AttentionRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(private readonly options: IRenderMime.IRendererOptions) {
    super();
    this.addClass('llm-lab-output');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    try {
      const spec = validateAttentionSpec(parseSpecData(model.data[this.options.mimeType]));
      this.node.replaceChildren(attentionView(spec));
    } catch (error) {
      this.node.replaceChildren(errorBox('attention', error));
    }
    return Promise.resolve();
  }
}
