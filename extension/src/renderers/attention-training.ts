/**
 * Attention over training: the same sentence's attention at saved checkpoints. A slider walks
 * through the steps (every frame is in the spec: no kernel round trip), selectors pick the layer
 * and head, and the heatmap recolors in place, so the learner sees structure appear.
 */
import { AttentionTrainingSpec, validateAttentionTrainingSpec } from '@llm-lab/kernel/dist/viz/spec';
import { indexSelect } from './attention';
import { CellDatum, drawHeatmap, isMasked } from './attention-heatmap';
import { element } from './dom';
import { formatWeight } from './format';
import { specRenderer } from './spec-renderer';

const SVG_NS = 'http://www.w3.org/2000/svg';
const HINT = 'Point at a cell to read its weight.';

export function describeFrameCell(spec: AttentionTrainingSpec, frame: number, layer: number, head: number, cell: CellDatum): string {
  const pair = `${spec.tokens[cell.q]} -> ${spec.tokens[cell.k]}`;
  if (isMasked(spec, cell)) return `${pair}: masked (a query cannot read a later token)`;
  const w = spec.frames[frame][layer][head][cell.q][cell.k];
  return `${pair} at step ${spec.steps[frame]}: ${w === null ? 'no value' : formatWeight(w)}`;
}

export function attentionTrainingView(spec: AttentionTrainingSpec): HTMLElement {
  const root = element('div', 'llm-lab-attention-training');
  const title = element('div', 'llm-lab-title', spec.title);

  const slider = element('input', 'llm-lab-step-slider');
  slider.type = 'range';
  slider.min = '0';
  slider.max = String(spec.steps.length - 1);
  slider.step = '1';
  slider.value = String(spec.frame);
  slider.setAttribute('aria-label', 'checkpoint');
  const stepLabel = element('span', 'llm-lab-step-label');
  const sliderLabel = element('label', 'llm-lab-attention-control llm-lab-step-control', 'Checkpoint ');
  sliderLabel.append(slider, stepLabel);
  const layer = indexSelect('Layer', 'llm-lab-layer-select', spec.nLayers, spec.layer);
  const head = indexSelect('Head', 'llm-lab-head-select', spec.nHeads, spec.head);
  const controls = element('div', 'llm-lab-attention-controls');
  controls.append(sliderLabel, layer.label, head.label);
  const readout = element('div', 'llm-lab-attention-readout', HINT);
  readout.setAttribute('aria-live', 'polite');

  const scroller = element('div', 'llm-lab-attention-scroll');
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'llm-lab-attention-heatmap');
  svg.setAttribute('role', 'img');
  scroller.append(svg);

  const selected = () => ({ frame: Number(slider.value), layer: Number(layer.select.value), head: Number(head.select.value) });
  const heatmap = drawHeatmap(svg, { tokens: spec.tokens, causal: spec.causal, weights: spec.frames[spec.frame] }, cell => {
    const s = selected();
    readout.textContent = cell ? describeFrameCell(spec, s.frame, s.layer, s.head, cell) : HINT;
  });
  const show = () => {
    const s = selected();
    stepLabel.textContent = `step ${spec.steps[s.frame]} (${s.frame + 1} of ${spec.steps.length})`;
    heatmap.showGrid(spec.frames[s.frame][s.layer][s.head]);
  };
  slider.addEventListener('input', show);
  slider.addEventListener('change', show);
  layer.select.addEventListener('change', show);
  head.select.addEventListener('change', show);
  show();

  const note = element(
    'div',
    'llm-lab-attention-note',
    'The same sentence through the model at each saved checkpoint: drag the slider to watch the attention pattern form during training. Rows are query tokens, columns key tokens; each row sums to 1.'
  );
  root.append(title, controls, readout, scroller, note);
  return root;
}

export const AttentionTrainingRenderer = specRenderer('attention-training', validateAttentionTrainingSpec, attentionTrainingView);
