/**
 * Attention over training: the same sentence's attention at saved checkpoints. A slider walks
 * through the steps (every frame is in the spec: no kernel round trip), Play steps through them on
 * its own, selectors pick the layer and head, and the heatmap recolors in place, so the learner
 * sees structure appear.
 */
import { AttentionTrainingSpec, validateAttentionTrainingSpec } from '@llm-lab/kernel/contract';
import { indexSelect } from './attention';
import { CellDatum, drawHeatmap, isMasked } from './attention-heatmap';
import { element } from './dom';
import { formatWeight } from './format';
import { specRenderer } from './spec-renderer';

const SVG_NS = 'http://www.w3.org/2000/svg';
const HINT = 'Point at a cell to read its weight.';
/** Milliseconds per checkpoint when playing. */
export const PLAY_INTERVAL_MS = 700;

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
  const play = element('button', 'llm-lab-step-play', '\u25b6 Play');
  play.type = 'button';
  play.setAttribute('aria-pressed', 'false');
  const controls = element('div', 'llm-lab-attention-controls');
  controls.append(play, sliderLabel, layer.label, head.label);
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
  // Play: step through the checkpoints from the start (or from here), then stop at the last.
  let timer: ReturnType<typeof setInterval> | null = null;
  const stop = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
    play.textContent = '\u25b6 Play';
    play.setAttribute('aria-pressed', 'false');
  };
  play.addEventListener('click', () => {
    if (timer !== null) return stop();
    if (Number(slider.value) >= spec.steps.length - 1) slider.value = '0';
    show();
    play.textContent = '\u23f8 Pause';
    play.setAttribute('aria-pressed', 'true');
    timer = setInterval(() => {
      const next = Number(slider.value) + 1;
      // the output may be gone (cleared, re-rendered): then stop too
      if (next >= spec.steps.length || !root.isConnected) return stop();
      slider.value = String(next);
      show();
    }, PLAY_INTERVAL_MS);
  });
  const byHand = () => {
    stop();
    show();
  };
  slider.addEventListener('input', byHand);
  slider.addEventListener('change', byHand);
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
