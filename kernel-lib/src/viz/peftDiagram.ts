/**
 * What each parameter-efficient fine-tuning method changes in a GPT-2 block, drawn: the block
 * with its parts frozen, trainable, quantized or added by the method, one diagram per method
 * side by side. showPeftDiagram({ method: 'lora', targets: ['c_attn'], rank: 8, alpha: 16 }).
 */
import { panelHeading, PEFT_METHOD_INFO, PeftDiagramPanel, PeftDiagramSpec, PeftMethod, validatePeftDiagramSpec } from '../contract/peft';
import { DiagramLayout, PartRole, peftLayout, ROLE_NAMES } from '../contract/peftLayout';
import { bundleOf, display, MimeBundle } from './display';
import { escapeXml, num, svgDocument, text } from './svg';

/** What a notebook passes: a method and, where it has them, its sizes (PEFT's names: r is rank, lora_alpha is alpha). */
export interface PeftDiagramInput {
  method: PeftMethod;
  /** LoRA/QLoRA target modules; default ['c_attn'] (PEFT's default for GPT-2). */
  targets?: string[];
  rank?: number;
  alpha?: number;
  prefixLength?: number;
  promptLength?: number;
  bottleneck?: number;
  /** The model's width d; default 768 (GPT-2 small). */
  dModel?: number;
  trainableParams?: number;
  totalParams?: number;
}

export interface PeftDiagramOptions {
  title?: string;
}

/** The defaults of each method's sizes: PEFT's LoRA (r 8, alpha 16 as commonly set), Houlsby's m = 64. */
const DEFAULTS: Partial<Record<PeftMethod, Partial<PeftDiagramInput>>> = {
  lora: { targets: ['c_attn'], rank: 8, alpha: 16 },
  qlora: { targets: ['c_attn'], rank: 8, alpha: 16 },
  adapter: { bottleneck: 64 },
  prefix: { prefixLength: 10 },
  prompt: { promptLength: 20 }
};

function panelOf(input: PeftDiagramInput): PeftDiagramPanel {
  const panel = { ...DEFAULTS[input.method], ...input, dModel: input.dModel ?? 768 } as PeftDiagramPanel;
  if (panel.targets) panel.targets = [...panel.targets];
  for (const key of Object.keys(panel) as (keyof PeftDiagramPanel)[]) if (panel[key] === undefined) delete panel[key];
  return panel;
}

/** The spec of one or several methods' diagrams (at most PEFT_MAX_PANELS), validated: a bad size names its panel and value. */
export function peftDiagramSpec(input: PeftDiagramInput | PeftDiagramInput[], options: PeftDiagramOptions = {}): PeftDiagramSpec {
  const inputs = Array.isArray(input) ? input : [input];
  const names = inputs.map(i => PEFT_METHOD_INFO[i.method]?.name ?? String(i.method));
  const title = options.title ?? (inputs.length === 1 ? `${names[0]}: what trains in a GPT-2 block` : `What trains: ${names.join(' vs ')}`);
  return validatePeftDiagramSpec({ kind: 'peft-diagram', version: 1, title, panels: inputs.map(panelOf) });
}

// the static picture's colours (the extension's view takes the theme's)
const FILL: Record<PartRole, string> = { frozen: '#e8e8e8', trainable: '#cfe3f7', quantized: '#fde3c4', added: '#cdebd0', op: '#ffffff' };
const STROKE: Record<PartRole, string> = { frozen: '#9e9e9e', trainable: '#1976d2', quantized: '#e65100', added: '#2e7d32', op: '#9e9e9e' };

/** One diagram as SVG marks, shifted by (dx, dy). */
export function diagramMarks(layout: DiagramLayout, dx: number, dy: number): string[] {
  const at = (x: number, y: number) => `${num(x + dx)},${num(y + dy)}`;
  const b = layout.block;
  const marks = [
    `<rect x="${num(b.x + dx)}" y="${num(b.y + dy)}" width="${b.w}" height="${b.h}" rx="6" fill="none" stroke="#bbb" stroke-dasharray="4 3"/>`,
    text(b.labelX + dx, b.labelY + dy, '\u00d7 n_layer blocks', 'fill="#777"')
  ];
  for (const l of layout.lines) {
    marks.push(`<polyline points="${l.points.map(([x, y]) => at(x, y)).join(' ')}" fill="none" stroke="#888"${l.dashed ? ' stroke-dasharray="3 2"' : ''}${l.arrow ? ' marker-end="url(#peft-arrow)"' : ''}/>`);
  }
  for (const p of layout.parts) {
    const title = `<title>${escapeXml(p.title)}</title>`;
    const style = `fill="${FILL[p.role]}" stroke="${STROKE[p.role]}" stroke-width="${p.role === 'frozen' || p.role === 'op' ? 1 : 2}"${p.role === 'op' ? ' stroke-dasharray="3 2"' : ''}`;
    if (p.shape === 'circle') marks.push(`<circle cx="${num(p.x + dx + p.w / 2)}" cy="${num(p.y + dy + p.h / 2)}" r="${p.w / 2}" ${style}>${title}</circle>`);
    else marks.push(`<rect x="${num(p.x + dx)}" y="${num(p.y + dy)}" width="${num(p.w)}" height="${p.h}" rx="3" ${style}>${title}</rect>`);
    if (p.role === 'quantized') marks.push(`<rect x="${num(p.x + dx)}" y="${num(p.y + dy)}" width="${num(p.w)}" height="${p.h}" fill="url(#peft-hatch)" pointer-events="none"/>`);
    const cx = p.x + dx + p.w / 2;
    const cy = p.y + dy + p.h / 2;
    if (p.sub) marks.push(text(cx, cy - 2, p.label, 'text-anchor="middle" fill="#222"'), text(cx, cy + 10, p.sub, 'text-anchor="middle" font-size="9" fill="#555"'));
    else marks.push(text(cx, cy + 4, p.label, 'text-anchor="middle" fill="#222"'));
  }
  return marks;
}

const DEFS =
  '<defs><marker id="peft-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#888"/></marker>' +
  '<pattern id="peft-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#e65100" stroke-opacity=".35" stroke-width="2"/></pattern></defs>';

export function peftDiagramSvg(spec: PeftDiagramSpec): string {
  const layouts = spec.panels.map(peftLayout);
  const perRow = 3;
  const headH = 66;
  const pw = layouts[0].width + 12;
  const ph = headH + layouts[0].height + 8;
  const cols = Math.min(perRow, layouts.length);
  const rows = Math.ceil(layouts.length / perRow);
  const top = 44;
  const body = [DEFS, text(8, 16, spec.title, 'font-size="12" font-weight="bold" fill="#222"')];
  // the legend, one swatch per role
  let lx = 8;
  for (const role of ['frozen', 'trainable', 'quantized', 'added', 'op'] as PartRole[]) {
    body.push(`<rect x="${lx}" y="25" width="14" height="10" fill="${FILL[role]}" stroke="${STROKE[role]}"${role === 'op' ? ' stroke-dasharray="3 2"' : ''}/>`);
    if (role === 'quantized') body.push(`<rect x="${lx}" y="25" width="14" height="10" fill="url(#peft-hatch)"/>`);
    body.push(text(lx + 18, 34, ROLE_NAMES[role], 'fill="#444"'));
    lx += 26 + ROLE_NAMES[role].length * 6;
  }
  layouts.forEach((layout, i) => {
    const x = 8 + (i % perRow) * pw;
    const y = top + Math.floor(i / perRow) * ph;
    panelHeading(spec.panels[i]).forEach((line, l) => body.push(text(x + 4, y + 14 + l * 14, line, l === 0 ? 'font-weight="bold" fill="#222"' : 'fill="#555"')));
    body.push(...diagramMarks(layout, x, y + headH));
  });
  return svgDocument(Math.max(8 + cols * pw, lx + 8), top + rows * ph, body);
}

/** Each method: its heading lines and the parts in each role. */
export function peftDiagramText(spec: PeftDiagramSpec): string {
  const lines = [spec.title];
  for (const panel of spec.panels) {
    lines.push(panelHeading(panel).join(' \u00b7 '));
    const parts = peftLayout(panel).parts.filter(p => p.role !== 'op');
    for (const role of ['trainable', 'quantized', 'added'] as PartRole[]) {
      const ids = parts.filter(p => p.role === role).map(p => p.id);
      if (ids.length > 0) lines.push(`  ${ROLE_NAMES[role]}: ${ids.join(', ')}`);
    }
  }
  return lines.join('\n');
}

export function peftDiagramBundle(spec: PeftDiagramSpec): MimeBundle {
  return bundleOf(spec, peftDiagramSvg(spec), peftDiagramText(spec));
}

/** Show what one method trains in a GPT-2 block: showPeftDiagram({ method: 'lora', rank: 8, alpha: 16 }). */
export function showPeftDiagram(input: PeftDiagramInput, options: PeftDiagramOptions = {}): void {
  display(peftDiagramBundle(peftDiagramSpec(input, options)));
}

/** Show several methods side by side in one output: showPeftDiagrams([{ method: 'full' }, { method: 'lora' }]). */
export function showPeftDiagrams(inputs: PeftDiagramInput[], options: PeftDiagramOptions = {}): void {
  display(peftDiagramBundle(peftDiagramSpec(inputs, options)));
}
