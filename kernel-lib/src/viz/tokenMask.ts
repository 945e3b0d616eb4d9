/**
 * Which tokens of a chat example the model learns from. Supervised fine-tuning computes the loss
 * on the answer only (mask 1) and not on the prompt (mask 0): the view colours the two apart,
 * outlines the chat template's special tokens, and, after a forward pass, shades each answer
 * token by its loss.
 */
import { VIEW_LIMITS } from '../contract/limits';
import { maxLoss, TokenMaskRow, visibleToken, TokenMaskSpec, tokenMaskSummary, tokenMaskTitle, validateTokenMaskSpec } from '../contract/finetune';
import { SPECIAL_TOKEN_NAMES, specialTokenText } from '../tokenizers/tokenizer';
import { bundleOf, display, MimeBundle } from './display';
import { escapeXml, num, opacity, svgDocument, text } from './svg';

export interface TokenMaskInput {
  tokens: string[];
  mask: (0 | 1)[];
  loss?: (number | null)[];
}

export interface TokenMaskOptions {
  title?: string;
  /** Tokens to mark as special; by default <pad>, <bos>, <eos>, ... and chat markers like <|user|>. */
  specialTokens?: string[];
}

const ROLE_TOKENS = new Set<string>(SPECIAL_TOKEN_NAMES.map(specialTokenText));
const CHAT_MARKER = /^<\|[^<>|]*\|>$/; // <|user|>, <|im_start|>, <|endoftext|>

const count = (n: number) => n.toLocaleString('en-US');

/** The spec of tokenized examples; keeps the first VIEW_LIMITS.exampleRows, each cut at VIEW_LIMITS.exampleTokens tokens, and says so. */
export function tokenMaskView(rows: TokenMaskInput[], options: TokenMaskOptions = {}): TokenMaskSpec {
  const isSpecial = options.specialTokens ? (t: string) => options.specialTokens!.includes(t) : (t: string) => ROLE_TOKENS.has(t) || CHAT_MARKER.test(t);
  const max = VIEW_LIMITS.exampleTokens;
  const kept = rows.slice(0, VIEW_LIMITS.exampleRows).map((r, i): TokenMaskRow => {
    if (r.mask.length !== r.tokens.length) throw new Error(`tokenMaskView: rows[${i}].mask has ${r.mask.length} entries for ${r.tokens.length} tokens`);
    if (r.loss && r.loss.length !== r.tokens.length) throw new Error(`tokenMaskView: rows[${i}].loss has ${r.loss.length} entries for ${r.tokens.length} tokens`);
    const tokens = r.tokens.slice(0, max);
    const row: TokenMaskRow = { tokens, mask: r.mask.slice(0, max), special: tokens.map(isSpecial) };
    // JSON has no NaN: a missing loss travels as null
    if (r.loss) row.loss = r.loss.slice(0, max).map(l => (typeof l === 'number' && Number.isFinite(l) ? l : null));
    return row;
  });
  const notes: string[] = [];
  if (rows.length > kept.length) notes.push(`showing the first ${count(kept.length)} of ${count(rows.length)} examples`);
  const cut = rows.slice(0, kept.length).filter(r => r.tokens.length > max).length;
  if (cut > 0) notes.push(`${cut} example${cut > 1 ? 's' : ''} cut at ${count(max)} tokens`);
  const spec: TokenMaskSpec = { kind: 'token-mask', version: 1, title: options.title ?? 'Loss mask: which tokens the model learns from', rows: kept };
  if (notes.length > 0) spec.note = notes.join('; ');
  return validateTokenMaskSpec(spec);
}

// the same hues as the extension's legend: prompt grey, answer green, loss red
const PROMPT = '#bab0ac';
const ANSWER = '#59a14f';
const LOSS = '#e15759';

export function tokenMaskSvg(spec: TokenMaskSpec): string {
  const W = 760;
  const charW = 6.8; // 11px monospace
  const lineH = 22;
  const top = 46;
  const body = [
    text(8, 16, spec.title, 'font-size="12" font-weight="bold" fill="#222"'),
    `<rect x="8" y="26" width="12" height="12" fill="${PROMPT}" fill-opacity=".35"/>`,
    text(24, 36, 'prompt (no loss)', 'fill="#444"'),
    `<rect x="130" y="26" width="12" height="12" fill="${ANSWER}" fill-opacity=".35"/>`,
    text(146, 36, 'answer (gets loss)', 'fill="#444"'),
    `<rect x="262" y="26" width="12" height="12" fill="none" stroke="#444" stroke-dasharray="2 2"/>`,
    text(278, 36, 'special token', 'fill="#444"')
  ];
  const highest = maxLoss(spec.rows);
  if (highest > 0) body.push(`<rect x="370" y="33" width="24" height="3" fill="${LOSS}"/>`, text(400, 36, `loss (darker = higher, up to ${highest.toFixed(2)})`, 'fill="#444"'));
  let y = top;
  spec.rows.forEach((row, r) => {
    y += 16;
    body.push(text(8, y, `example ${r + 1}: ${tokenMaskSummary(row)}`, 'fill="#555"'));
    y += 6;
    let x = 8;
    row.tokens.forEach((token, i) => {
      const shown = visibleToken(token);
      const w = Math.max(1, shown.length) * charW + 4;
      if (x + w > W - 8 && x > 8) {
        x = 8;
        y += lineH;
      }
      const fill = row.mask[i] === 1 ? ANSWER : PROMPT;
      const outline = row.special?.[i] ? ' stroke="#444" stroke-dasharray="2 2"' : '';
      body.push(`<rect x="${num(x)}" y="${y}" width="${num(w - 1)}" height="16" fill="${fill}" fill-opacity=".35"${outline}><title>${escapeXml(tokenMaskTitle(row, i))}</title></rect>`);
      body.push(text(x + 2, y + 12, shown, 'font-family="monospace" fill="#222" xml:space="preserve"'));
      const loss = row.loss?.[i];
      if (typeof loss === 'number') body.push(`<rect x="${num(x)}" y="${y + 16}" width="${num(w - 1)}" height="3" fill="${LOSS}" fill-opacity="${opacity(0.1 + (0.9 * loss) / (highest || 1))}"/>`);
      x += w;
      if (token.endsWith('\n')) {
        x = 8;
        y += lineH;
      }
    });
    y += lineH + 4;
  });
  if (spec.note) {
    body.push(text(8, y + 4, spec.note, 'fill="#555"'));
    y += 12;
  }
  return svgDocument(W, y + 4, body);
}

/** Each example: its numbers, then its text with the answer tokens in \u27e6 \u27e7. */
export function tokenMaskText(spec: TokenMaskSpec): string {
  const lines = [spec.title, '\u27e6 \u27e7 mark the tokens that get loss'];
  spec.rows.forEach((row, r) => {
    let s = '';
    row.tokens.forEach((t, i) => {
      const opens = row.mask[i] === 1 && (i === 0 || row.mask[i - 1] === 0);
      const closes = row.mask[i] === 1 && (i === row.tokens.length - 1 || row.mask[i + 1] === 0);
      s += (opens ? '\u27e6' : '') + t + (closes ? '\u27e7' : '');
    });
    lines.push(`example ${r + 1} (${tokenMaskSummary(row)}): ${s}`);
  });
  if (spec.note) lines.push(spec.note);
  return lines.join('\n');
}

export function tokenMaskBundle(spec: TokenMaskSpec): MimeBundle {
  return bundleOf(spec, tokenMaskSvg(spec), tokenMaskText(spec));
}

/** Show which tokens of each example get loss: tokenMaskView rows, e.g. from a chat template. */
export function showTokenMask(rows: TokenMaskInput[], options: TokenMaskOptions = {}): void {
  display(tokenMaskBundle(tokenMaskView(rows, options)));
}
