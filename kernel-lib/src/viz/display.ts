/**
 * Display transport: one MIME bundle per output, as Jupyter defines it:
 *   application/vnd.llm-lab.<kind>.v<N>+json  the spec, drawn by the JupyterLab extension
 *   image/svg+xml                             a static picture for nbconvert, GitHub, no extension
 *   text/html                                 the same picture as an <img> (added when sent, see staticHtml)
 *   text/plain                                a one-line summary
 * Live outputs keep one display_id and are replaced with update_display_data.
 *
 * tslab's public display API sends one MIME type per call; a full bundle goes through its
 * jupyter module's writer (internal API, wrapped here and nowhere else).
 */
import * as path from 'path';
import { mimeTypeFor, Spec } from '../contract/spec';

export type MimeBundle = Record<string, string>;

interface DisplayMessage {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

/** Where bundles go: the kernel's iopub in tslab; tests install their own. */
export type DisplaySink = (message: DisplayMessage, update: boolean) => void;

type TslabWriter = ((message: DisplayMessage, update: boolean) => void) | null;

/**
 * The writer of the cell that is running now, from tslab's jupyter module. The kernel may run
 * a project-local tslab started by a global one, so look next to the main script and in the
 * project, and take the module that holds a writer.
 */
function tslabWriter(): TslabWriter {
  const candidates: string[] = [];
  const main = require.main?.filename;
  if (main) candidates.push(path.join(path.dirname(main), '..', 'dist', 'jupyter.js'));
  candidates.push(path.join(process.cwd(), 'node_modules', 'tslab', 'dist', 'jupyter.js'), 'tslab/dist/jupyter');
  for (const c of candidates) {
    try {
      const writer = (require(c) as { lastWriteDisplayData?: TslabWriter }).lastWriteDisplayData;
      if (writer) return writer;
    } catch {
      // not installed there
    }
  }
  return null;
}

let sinkOverride: DisplaySink | null = null;

/** Route displays somewhere else (tests); null restores the default. */
export function setDisplaySink(sink: DisplaySink | null): void {
  sinkOverride = sink;
}

/** The sink for a display made now. tslab's writer belongs to the cell that is running. */
function currentSink(): DisplaySink {
  if (sinkOverride) return sinkOverride;
  const writer = tslabWriter();
  if (writer) return writer;
  // Plain Node (a script, a test): show the one-line summary.
  return message => console.log(message.data['text/plain'] ?? '');
}

let counter = 0;

/** An output that can be replaced later, e.g. a training plot while it trains. */
export class LiveDisplay {
  private readonly sink: DisplaySink;
  private readonly id = `llm-lab-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  private shown = false;

  constructor() {
    this.sink = currentSink(); // keep the writer of the cell that created the view
  }

  /** Show the bundle the first time, replace it afterwards. */
  show(bundle: MimeBundle): void {
    this.sink({ data: withStaticHtml(bundle), metadata: {}, transient: { display_id: this.id } }, this.shown);
    this.shown = true;
  }
}

/** Show one bundle once. */
export function display(bundle: MimeBundle): void {
  currentSink()({ data: withStaticHtml(bundle), metadata: {}, transient: {} }, false);
}

/**
 * The SVG as a data URI, percent-encoding only what a URL or an HTML attribute quoted with ' would
 * misread: '%', '#' (a fragment), '&' (a character reference), "'" and the whitespace a URL parser
 * drops. Far smaller than base64; browsers read it alike.
 */
export function svgDataUri(svg: string): string {
  return 'data:image/svg+xml,' + svg.replace(/[%#&'\t\n\r]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

/**
 * The picture as HTML: an <img> of the SVG, sized like it, its alt the first line of the text.
 * Renderers that sanitize inline SVG show this instead: nbconvert 6.5.1 to 7.6 (Debian 12's and
 * Ubuntu 24.04's 6.5.3 among them) put image/svg+xml through an HTML cleaner that drops every
 * tag that is not HTML (rect, path, text...), leaving blank space and loose text, whether the
 * notebook is trusted or not; they rank text/html first and leave it as it is unless told to
 * sanitize. An <img> keeps the SVG's markup out of the page, as newer nbconvert does itself.
 */
export function staticHtml(svg: string, text: string): string {
  const size = /^<svg\b[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"/.exec(svg);
  const attr = (s: string) => s.replace(/[&'<>"]/g, c => `&#${c.charCodeAt(0)};`);
  const alt = attr((text.split('\n')[0] ?? '').slice(0, 200));
  return `<img src='${svgDataUri(svg)}'${size ? ` width='${size[1]}' height='${size[2]}'` : ''} alt='${alt}'>`;
}

/** The bundle as sent: with the <img> form of its picture, unless it has no picture or its own HTML. */
export function withStaticHtml(bundle: MimeBundle): MimeBundle {
  const svg = bundle['image/svg+xml'];
  if (svg === undefined || bundle['text/html'] !== undefined) return bundle;
  return { ...bundle, 'text/html': staticHtml(svg, bundle['text/plain'] ?? '') };
}

/**
 * The spec as JSON. JSON has no NaN or Infinity: they become null (the renderer leaves a gap).
 * Fractions keep 5 significant digits: plenty for a plot, and notebooks stay small.
 */
export function specJson(spec: Spec): string {
  return JSON.stringify(spec, (_k, v) => {
    if (typeof v !== 'number' || Number.isInteger(v)) return v;
    return Number.isFinite(v) ? Number(v.toPrecision(5)) : null;
  });
}

/**
 * The bundle of a spec: the spec itself, an SVG picture of it, and a line of text. A live view's
 * updates may leave the picture out (null): drawing it each time costs the kernel time, and only
 * the last update of a display is saved.
 */
export function bundleOf(spec: Spec, svg: string | null, text: string): MimeBundle {
  const bundle: MimeBundle = { [mimeTypeFor(spec.kind)]: specJson(spec) };
  if (svg !== null) bundle['image/svg+xml'] = svg;
  bundle['text/plain'] = text;
  return bundle;
}
