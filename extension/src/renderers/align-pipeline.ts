/**
 * The alignment pipeline of the reading, drawn once: pretrained model -> SFT -> preference pairs
 * -> reward model -> RLHF with PPO -> aligned policy, with DPO's shortcut, GRPO and constitutional
 * AI. Each box says what trains and what is frozen; a highlighted step is drawn strong and the rest
 * faint, so a notebook walks through the pipeline one step at a time. Point at a box to read it.
 */
import { ALIGN_ROLE_NAMES, ALIGN_STEP_INFO, AlignPipelineSpec, AlignRole, alignPipelineLayout, emphasised, validateAlignPipelineSpec } from '@llm-lab/kernel/contract';
import type { AlignStep } from '@llm-lab/kernel/contract';
import { element } from './dom';
import { specRenderer } from './spec-renderer';
import { explain, legendEntry, readoutLine, svgElement, uniqueId } from './svg-dom';

const ROLES: AlignRole[] = ['trains', 'frozen', 'data', 'model'];

/** 'llm-lab-align-lit' on the highlighted path, 'llm-lab-align-dim' off it, nothing without a highlight. */
function emphasis(steps: AlignStep[], highlight: AlignStep | null): string {
  if (highlight === null) return '';
  return emphasised(steps, highlight) ? ' llm-lab-align-lit' : ' llm-lab-align-dim';
}

export function alignPipelineView(spec: AlignPipelineSpec): HTMLElement {
  const root = element('div', 'llm-lab-align-pipeline');
  const h = spec.highlight;
  const layout = alignPipelineLayout();
  const readout = readoutLine('Point at a box to read what trains there and what is frozen.');
  const svg = svgElement('svg', { width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}` }, 'llm-lab-align-svg');
  const arrow = uniqueId('llm-lab-align-arrow');
  const defs = svgElement('defs');
  const marker = svgElement('marker', { id: arrow, viewBox: '0 0 8 8', refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto' });
  marker.append(svgElement('path', { d: 'M0,0 L8,4 L0,8 z' }, 'llm-lab-align-arrowhead'));
  defs.append(marker);
  svg.append(defs);
  for (const f of layout.frames) {
    const g = svgElement('g', { 'data-frame': f.id }, `llm-lab-align-frame-group${emphasis(f.steps, h)}`);
    g.append(svgElement('rect', { x: f.x, y: f.y, width: f.w, height: f.h, rx: 6 }, 'llm-lab-align-frame'), svgElement('text', { x: f.x + 8, y: f.y + 15 }, 'llm-lab-align-label', f.label), svgElement('text', { x: f.x + 8, y: f.y + 29 }, 'llm-lab-align-caption', f.lines.join(' ')));
    explain(g, f.title, readout);
    svg.append(g);
  }
  for (const e of layout.edges) {
    const g = svgElement('g', { 'data-edge': `${e.from}>${e.to}` }, `llm-lab-align-edge-group${emphasis(e.steps, h)}`);
    g.append(svgElement('polyline', { points: e.points.map(p => p.join(',')).join(' '), 'marker-end': `url(#${arrow})` }, 'llm-lab-align-edge'));
    if (e.label) g.append(svgElement('text', { x: e.label.x, y: e.label.y, 'text-anchor': e.label.anchor }, 'llm-lab-align-edge-label', e.label.text));
    svg.append(g);
  }
  for (const b of layout.boxes) {
    const g = svgElement('g', { 'data-box': b.id, 'data-role': b.role }, `llm-lab-align-box llm-lab-align-${b.role}${emphasis(b.steps, h)}`);
    g.append(svgElement('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 4 }, 'llm-lab-align-shape'), svgElement('text', { x: b.x + 6, y: b.y + 16 }, 'llm-lab-align-label', b.label));
    b.lines.forEach((l, i) => g.append(svgElement('text', { x: b.x + 6, y: b.y + 30 + i * 12 }, 'llm-lab-align-caption', l)));
    explain(g, b.title, readout);
    svg.append(g);
  }
  const legend = element('div', 'llm-lab-q-legend');
  legend.append(...ROLES.map(r => legendEntry(ALIGN_ROLE_NAMES[r], `llm-lab-align-swatch-${r}`)));
  root.append(element('div', 'llm-lab-title', spec.title));
  if (h !== null) {
    const step = element('div', 'llm-lab-align-step');
    step.append(element('strong', '', `${ALIGN_STEP_INFO[h].name}: `), document.createTextNode(ALIGN_STEP_INFO[h].what));
    root.append(step);
  }
  root.append(legend, readout, svg);
  return root;
}

export const AlignPipelineRenderer = specRenderer('align-pipeline', validateAlignPipelineSpec, alignPipelineView);
