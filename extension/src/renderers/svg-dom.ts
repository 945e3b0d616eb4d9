/**
 * What the PEFT and quantization views share to draw SVG in the DOM: elements, axes whose lines
 * and labels take the theme's text colour (d3 draws them in currentColor), and marks that say
 * what they are when pointed at (a native tooltip and the view's readout line).
 */
import { axisBottom, axisLeft, AxisScale, select } from 'd3';
import { element } from './dom';

const NS = 'http://www.w3.org/2000/svg';

/** A new SVG element with attributes and a class; `text` is inserted as text. */
export function svgElement<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, className = '', text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (className) el.setAttribute('class', className);
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A left or bottom axis at `at` (y for bottom, x for left). */
export function drawAxis(parent: SVGElement, scale: AxisScale<number>, orient: 'bottom' | 'left', at: number, ticks = 5, format?: (n: number) => string): SVGGElement {
  const g = svgElement('g', { transform: orient === 'bottom' ? `translate(0,${at})` : `translate(${at},0)` }, 'llm-lab-q-axis');
  parent.append(g);
  const make = orient === 'bottom' ? axisBottom(scale) : axisLeft(scale);
  make.ticks(ticks);
  if (format) make.tickFormat(d => format(d as number));
  select(g).call(make);
  return g;
}

/** The line under a view's title that reads out what the pointer is on. */
export function readoutLine(hint: string): HTMLElement {
  const readout = element('div', 'llm-lab-attention-readout llm-lab-q-readout', hint);
  readout.setAttribute('aria-live', 'polite');
  return readout;
}

/** `node` shows `text` as its tooltip and in the readout when pointed at. */
export function explain(node: Element, text: string, readout: HTMLElement): void {
  if (node instanceof SVGElement) node.append(svgElement('title', {}, '', text));
  else (node as HTMLElement).title = text;
  node.addEventListener('mouseenter', () => (readout.textContent = text));
}

/** A legend entry: a swatch (a class, or a colour) and its label. */
export function legendEntry(label: string, swatchClass: string, color?: string): HTMLElement {
  const entry = element('span', 'llm-lab-q-legend-entry');
  const swatch = element('span', `llm-lab-q-swatch ${swatchClass}`);
  if (color) swatch.style.background = color;
  entry.append(swatch, element('span', 'llm-lab-q-legend-label', label));
  return entry;
}

let ids = 0;
/** A document-unique id for a pattern or marker (several views share one page). */
export function uniqueId(prefix: string): string {
  return `${prefix}-${++ids}`;
}
