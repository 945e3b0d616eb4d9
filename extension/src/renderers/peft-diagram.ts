/**
 * The PEFT diagram: for each method, one GPT-2 block (embeddings below, the head above) with each
 * part drawn as the method leaves it: frozen, trainable, quantized to 4 bits, or added by the
 * method (LoRA's A and B, adapters, prefixes, a soft prompt, IA3's scales). Several methods sit
 * side by side. Point at a part to read what it is and what the method does to it.
 */
import { DiagramLayout, panelHeading, PartRole, PeftDiagramPanel, PeftDiagramSpec, peftLayout, ROLE_NAMES, validatePeftDiagramSpec } from '@llm-lab/kernel/contract';
import { element } from './dom';
import { specRenderer } from './spec-renderer';
import { explain, legendEntry, readoutLine, svgElement, uniqueId } from './svg-dom';

const HINT = 'Point at a part of a diagram to read what the method does to it.';
const ROLES: PartRole[] = ['frozen', 'trainable', 'quantized', 'added', 'op'];

function defs(arrow: string, hatch: string): SVGDefsElement {
  const d = svgElement('defs');
  const marker = svgElement('marker', { id: arrow, viewBox: '0 0 8 8', refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto' });
  marker.append(svgElement('path', { d: 'M0,0 L8,4 L0,8 z' }, 'llm-lab-peft-arrow'));
  const pattern = svgElement('pattern', { id: hatch, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' });
  pattern.append(svgElement('line', { x1: 0, y1: 0, x2: 0, y2: 6 }, 'llm-lab-peft-hatch'));
  d.append(marker, pattern);
  return d;
}

function diagram(layout: DiagramLayout, readout: HTMLElement): SVGSVGElement {
  const svg = svgElement('svg', { width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}` }, 'llm-lab-peft-svg');
  const [arrow, hatch] = [uniqueId('llm-lab-peft-arrow'), uniqueId('llm-lab-peft-hatch')];
  svg.append(defs(arrow, hatch));
  const b = layout.block;
  svg.append(svgElement('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 6 }, 'llm-lab-peft-block'), svgElement('text', { x: b.labelX, y: b.labelY }, 'llm-lab-peft-block-label', '\u00d7 n_layer blocks'));
  for (const l of layout.lines) {
    const attrs: Record<string, string> = { points: l.points.map(p => p.join(',')).join(' ') };
    if (l.arrow) attrs['marker-end'] = `url(#${arrow})`;
    svg.append(svgElement('polyline', attrs, `llm-lab-peft-line${l.dashed ? ' llm-lab-peft-dashed' : ''}`));
  }
  for (const p of layout.parts) {
    const g = svgElement('g', { 'data-part': p.id, 'data-role': p.role }, `llm-lab-peft-part llm-lab-peft-${p.role}`);
    const shape =
      p.shape === 'circle'
        ? svgElement('circle', { cx: p.x + p.w / 2, cy: p.y + p.h / 2, r: p.w / 2 }, 'llm-lab-peft-shape')
        : svgElement('rect', { x: p.x, y: p.y, width: p.w, height: p.h, rx: 3 }, 'llm-lab-peft-shape');
    g.append(shape);
    if (p.role === 'quantized') g.append(svgElement('rect', { x: p.x, y: p.y, width: p.w, height: p.h, fill: `url(#${hatch})` }, 'llm-lab-peft-hatched'));
    const [cx, cy] = [p.x + p.w / 2, p.y + p.h / 2];
    if (p.sub) g.append(svgElement('text', { x: cx, y: cy - 2 }, 'llm-lab-peft-label', p.label), svgElement('text', { x: cx, y: cy + 10 }, 'llm-lab-peft-sub', p.sub));
    else g.append(svgElement('text', { x: cx, y: cy + 4 }, 'llm-lab-peft-label', p.label));
    explain(g, p.title, readout);
    svg.append(g);
  }
  return svg;
}

function panelView(panel: PeftDiagramPanel, readout: HTMLElement): HTMLElement {
  const root = element('div', 'llm-lab-peft-panel');
  root.dataset.method = panel.method;
  const [name, ...lines] = panelHeading(panel);
  const heading = element('div', 'llm-lab-peft-heading');
  heading.append(element('div', 'llm-lab-peft-name', name), ...lines.map(l => element('div', 'llm-lab-peft-line-text', l)));
  root.append(heading, diagram(peftLayout(panel), readout));
  return root;
}

export function peftDiagramView(spec: PeftDiagramSpec): HTMLElement {
  const root = element('div', 'llm-lab-peft');
  const readout = readoutLine(HINT);
  const legend = element('div', 'llm-lab-q-legend');
  legend.append(...ROLES.map(r => legendEntry(ROLE_NAMES[r], `llm-lab-peft-swatch-${r}`)));
  const panels = element('div', 'llm-lab-peft-panels');
  panels.append(...spec.panels.map(p => panelView(p, readout)));
  root.append(element('div', 'llm-lab-title', spec.title), legend, readout, panels);
  return root;
}

export const PeftDiagramRenderer = specRenderer('peft-diagram', validatePeftDiagramSpec, peftDiagramView);
