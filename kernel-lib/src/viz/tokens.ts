/**
 * How a text splits into tokens, under one or more tokenizers side by side: each token a coloured
 * span (hover: its id), with the vocabulary size, the number of tokens and characters per token.
 * The picture of why BPE's sequences are shorter than characters', and what it costs (a bigger
 * vocabulary, and pieces that are not words).
 */
import { Tokenizer } from '../tokenizers/tokenizer';
import { checkMarks } from '../contract/limits';
import { display, MimeBundle } from './display';
import { escapeXml } from './svg';

export interface TokenRow {
  name: string;
  vocabSize: number;
  ids: number[];
  pieces: string[];
}

// light tints that read in both themes behind the theme's text colour
const TINTS = ['rgba(31,119,180,0.3)', 'rgba(255,127,14,0.35)', 'rgba(44,160,44,0.3)', 'rgba(214,39,40,0.28)', 'rgba(148,103,189,0.3)'];

export function tokenRows(tokenizers: Record<string, Tokenizer>, text: string): TokenRow[] {
  return Object.entries(tokenizers).map(([name, tok]) => {
    const ids = tok.encode(text);
    return { name, vocabSize: tok.vocabSize, ids, pieces: tok.tokenStrings(ids) };
  });
}

export function tokensText(rows: TokenRow[], text: string): string {
  return rows.map(r => `${r.name}: ${r.ids.length} tokens (vocabulary ${r.vocabSize}, ${(text.length / Math.max(1, r.ids.length)).toFixed(2)} chars/token): ${r.pieces.join('|')}`).join('\n');
}

export function tokensHtml(rows: TokenRow[], text: string): string {
  const body = rows
    .map(r => {
      const spans = r.pieces
        .map((p, i) => `<span title="id ${r.ids[i]}" style="background:${TINTS[i % TINTS.length]};white-space:pre-wrap;border-radius:3px;margin-right:2px;padding:1px 0">${escapeXml(p)}</span>`)
        .join('');
      const stats = `${r.ids.length} tokens · vocabulary ${r.vocabSize.toLocaleString('en-US')} · ${(text.length / Math.max(1, r.ids.length)).toFixed(2)} chars/token`;
      return `<div style="margin:4px 0"><b>${escapeXml(r.name)}</b> <span style="opacity:0.7">${stats}</span><div style="font-family:monospace;line-height:1.7">${spans}</div></div>`;
    })
    .join('');
  return `<div class="llm-lab-tokens">${body}</div>`;
}

export function tokensBundle(tokenizers: Record<string, Tokenizer>, text: string): MimeBundle {
  const rows = tokenRows(tokenizers, text);
  const sizes = rows.map(r => `${r.name}: ${r.ids.length}`).join(', ');
  checkMarks('tokens view', rows.reduce((sum, r) => sum + r.ids.length, 0), `tokens (${sizes})`, 'show a shorter text');
  return { 'text/html': tokensHtml(rows, text), 'text/plain': tokensText(rows, text) };
}

/** The merges a BPE tokenizer learned, in order: "a" + "b" -> "ab" (the first ones are the most frequent pairs). */
export interface MergeSource {
  merges: ReadonlyArray<readonly [number, number]>;
  tokenStrings(ids: ArrayLike<number>): string[];
}

export function mergesBundle(bpe: MergeSource, count = 30): MimeBundle {
  const shown = bpe.merges.slice(0, count).map(([a, b], i) => {
    const [left, right, joined] = bpe.tokenStrings([a, b, 256 + i]);
    return { id: 256 + i, left, right, joined };
  });
  const q = (t: string) => JSON.stringify(t);
  const text = shown.map(m => `${m.id}: ${q(m.left)} + ${q(m.right)} -> ${q(m.joined)}`).join('\n');
  const cell = (t: string) => `<code style="white-space:pre">${escapeXml(q(t))}</code>`;
  const rows = shown.map(m => `<tr><td>${m.id}</td><td>${cell(m.left)}</td><td>+</td><td>${cell(m.right)}</td><td>→</td><td>${cell(m.joined)}</td></tr>`).join('');
  const more = bpe.merges.length > count ? `<p style="opacity:0.7">… and ${bpe.merges.length - count} more merges</p>` : '';
  return { 'text/html': `<table class="llm-lab-merges"><tr><th>id</th><th colspan="5">merge</th></tr>${rows}</table>${more}`, 'text/plain': text };
}

/** Show the first `count` merges of a BPE tokenizer. */
export function showMerges(bpe: MergeSource, count = 30): void {
  display(mergesBundle(bpe, count));
}

/** Show how `text` splits under each tokenizer, e.g. showTokens({ characters: char, BPE: bpe }, text). */
export function showTokens(tokenizers: Record<string, Tokenizer>, text: string): void {
  display(tokensBundle(tokenizers, text));
}
