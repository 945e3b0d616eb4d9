/**
 * Generations before and after fine-tuning, side by side: for each prompt, the reference answer
 * and every model's output (a column each: "base model", "after SFT"), with a tick or a cross
 * where the outputs were judged.
 */
import { VIEW_LIMITS } from '../contract/limits';
import { columnScore, CompareRow, CompareSpec, validateCompareSpec } from '../contract/finetune';
import { bundleOf, display, MimeBundle } from './display';
import { svgDocument, text } from './svg';

export interface CompareInput {
  /** One name per model, e.g. ['base model', 'after SFT']. */
  columns: string[];
  rows: CompareRow[];
}

export interface CompareOptions {
  title?: string;
}

const count = (n: number) => n.toLocaleString('en-US');

/** The spec of a comparison; keeps the first VIEW_LIMITS.exampleRows rows, cuts texts at VIEW_LIMITS.sampleChars characters, and says so. */
export function compareView(input: CompareInput, options: CompareOptions = {}): CompareSpec {
  const max = VIEW_LIMITS.sampleChars;
  let cut = 0;
  const fit = (s: string) => {
    if (s.length <= max) return s;
    cut += 1;
    return s.slice(0, max - 1) + '\u2026';
  };
  const rows = input.rows.slice(0, VIEW_LIMITS.exampleRows).map((r, i): CompareRow => {
    if (r.outputs.length !== input.columns.length) throw new Error(`compareView: rows[${i}] has ${r.outputs.length} outputs for ${input.columns.length} columns (${input.columns.join(', ')})`);
    const row: CompareRow = { prompt: fit(r.prompt), outputs: r.outputs.map(fit) };
    if (r.reference !== undefined) row.reference = fit(r.reference);
    if (r.correct !== undefined) row.correct = [...r.correct];
    return row;
  });
  const notes: string[] = [];
  if (input.rows.length > rows.length) notes.push(`showing the first ${count(rows.length)} of ${count(input.rows.length)} prompts`);
  if (cut > 0) notes.push(`${cut} text${cut > 1 ? 's' : ''} cut at ${count(max)} characters`);
  const spec: CompareSpec = { kind: 'compare', version: 1, title: options.title ?? `${input.columns.join(' vs ')}`, columns: [...input.columns], rows };
  if (notes.length > 0) spec.note = notes.join('; ');
  return validateCompareSpec(spec);
}

/** `s` in lines of at most `width` characters (at spaces where it can), at most `maxLines` of them. */
export function wrapText(s: string, width: number, maxLines = 10): string[] {
  const lines: string[] = [];
  for (const paragraph of s.split('\n')) {
    let rest = paragraph;
    do {
      let piece = rest.slice(0, width);
      const space = piece.lastIndexOf(' ');
      if (rest.length > width && space > width / 2) piece = piece.slice(0, space + 1);
      lines.push(piece);
      rest = rest.slice(piece.length);
    } while (rest.length > 0);
  }
  if (lines.length <= maxLines) return lines;
  return [...lines.slice(0, maxLines - 1), lines[maxLines - 1].slice(0, width - 1) + '\u2026'];
}

const MARK = { true: '\u2713', false: '\u2717' } as const;

export function compareSvg(spec: CompareSpec): string {
  const hasReference = spec.rows.some(r => r.reference !== undefined);
  const headers = ['prompt', ...(hasReference ? ['reference'] : []), ...spec.columns.map((c, j) => [c, columnScore(spec, j)].filter(Boolean).join(': '))];
  const colW = Math.max(160, Math.min(260, Math.floor(1000 / headers.length)));
  const charW = 6.6;
  const lineH = 14;
  const W = 8 + headers.length * colW + 8;
  const body = [text(8, 16, spec.title, 'font-size="12" font-weight="bold" fill="#222"')];
  // a header wraps within its column, as the cells do (bold text is a little wider)
  const headerLines = headers.map(h => wrapText(h, Math.floor((colW - 12) / (charW + 0.6)), 3));
  headerLines.forEach((lines, c) => lines.forEach((line, l) => body.push(text(8 + c * colW + 4, 38 + l * lineH, line, 'font-weight="bold" fill="#333"'))));
  let y = 46 + (Math.max(...headerLines.map(l => l.length)) - 1) * lineH;
  spec.rows.forEach(row => {
    const cells: { text: string; mark?: boolean }[] = [{ text: row.prompt }, ...(hasReference ? [{ text: row.reference ?? '' }] : []), ...row.outputs.map((o, j) => ({ text: o, mark: row.correct?.[j] }))];
    const wrapped = cells.map(c => wrapText(c.text, Math.floor((colW - 24) / charW)));
    const h = Math.max(...wrapped.map(w => w.length)) * lineH + 8;
    body.push(`<line x1="8" x2="${W - 8}" y1="${y}" y2="${y}" stroke="#ccc"/>`);
    cells.forEach((c, k) => {
      const x = 8 + k * colW + 4;
      const indent = c.mark === undefined ? 0 : 16;
      if (c.mark !== undefined) body.push(text(x, y + lineH, MARK[`${c.mark}`], `font-weight="bold" fill="${c.mark ? '#2e7d32' : '#c62828'}"`));
      wrapped[k].forEach((line, l) => body.push(text(x + indent, y + (l + 1) * lineH, line, 'font-family="monospace" fill="#222" xml:space="preserve"')));
    });
    y += h;
  });
  body.push(`<line x1="8" x2="${W - 8}" y1="${y}" y2="${y}" stroke="#ccc"/>`);
  if (spec.note) {
    y += 16;
    body.push(text(8, y, spec.note, 'fill="#555"'));
  }
  return svgDocument(W, y + 8, body);
}

/** Each prompt, its reference, and each column's output with \u2713 or \u2717. */
export function compareText(spec: CompareSpec): string {
  const scores = spec.columns.map((c, j) => columnScore(spec, j) && `${c}: ${columnScore(spec, j)}`).filter(Boolean);
  const lines = [spec.title, ...(scores.length > 0 ? [scores.join(', ')] : [])];
  spec.rows.forEach((row, i) => {
    lines.push(`[${i + 1}] prompt: ${row.prompt}`);
    if (row.reference !== undefined) lines.push(`    reference: ${row.reference}`);
    row.outputs.forEach((o, j) => lines.push(`    ${spec.columns[j]}${row.correct ? ` ${MARK[`${row.correct[j]}`]}` : ''}: ${o}`));
  });
  if (spec.note) lines.push(spec.note);
  return lines.join('\n');
}

export function compareBundle(spec: CompareSpec): MimeBundle {
  return bundleOf(spec, compareSvg(spec), compareText(spec));
}

/** Show generations side by side: showCompare({ columns: ['base model', 'after SFT'], rows }). */
export function showCompare(input: CompareInput, options: CompareOptions = {}): void {
  display(compareBundle(compareView(input, options)));
}
