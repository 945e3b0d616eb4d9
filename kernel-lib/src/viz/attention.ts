/**
 * The attention view: for one sentence, how much each token (query, a row) reads from each
 * earlier token (key, a column), in every layer and head of the model.
 */
import * as tf from '@tensorflow/tfjs';
import { GPT } from '../models/gpt';
import { bundleOf, display, MimeBundle } from './display';
import { roundWeights } from '../contract/format';
import { AttentionSpec } from '../contract/spec';
import { checkAttentionSize } from '../contract/limits';
import { num, svgDocument, text } from './svg';

/** Anything that turns text into ids and ids back into labels. */
export interface TokenLabeler {
  encode(text: string): number[];
  tokenStrings(ids: ArrayLike<number>): string[];
}

/** Make a token readable as an axis label: show spaces and newlines. */
export function tokenLabel(token: string): string {
  return token.replace(/ /g, '\u2423').replace(/\n/g, '\u21b5').replace(/\t/g, '\u21e5');
}

/** The tokens of `sentence` and the model's attention weights[layer][head][query][key] for them, rounded by roundWeights. */
export async function modelAttention(model: GPT, tokenizer: TokenLabeler, sentence: string, view = 'attention view'): Promise<{ tokens: string[]; weights: number[][][][] }> {
  const ids = encodeForView(model, tokenizer, sentence, view);
  const stacked = tf.tidy(() => {
    const { attentions } = model.forward(tf.tensor2d(ids, [1, ids.length], 'int32'), { attentions: true });
    return tf.concat(attentions!, 0); // (nLayer, nh, T, T): batch of 1 per layer
  });
  const weights = (await stacked.array()) as number[][][][];
  stacked.dispose();
  return { tokens: tokenizer.tokenStrings(ids).map(tokenLabel), weights: roundWeights(weights) };
}

/** The ids of `sentence`, checked to fit the model's context. */
export function encodeForView(model: GPT, tokenizer: TokenLabeler, sentence: string, view: string): number[] {
  const ids = tokenizer.encode(sentence);
  const { blockSize } = model.config;
  if (ids.length === 0) throw new Error(`${view}: the text is empty`);
  if (ids.length > blockSize) throw new Error(`${view}: the text has ${ids.length} tokens, longer than the context blockSize ${blockSize}`);
  return ids;
}

/** Throw, naming the valid range, unless `index` is one of 0..count-1. */
export function checkIndex(view: string, what: 'layer' | 'head' | 'token', index: number, count: number): void {
  if (!(Number.isInteger(index) && index >= 0 && index < count)) {
    throw new Error(`${view}: ${what} ${index} does not exist (the model has ${what}s 0..${count - 1})`);
  }
}

/**
 * What every self-attention view of a GPT carries: the tokens, the weights of every layer and
 * head, the sizes, and a title (`name`: sizes and length) unless one is given.
 */
export async function selfAttentionFields(model: GPT, tokenizer: TokenLabeler, sentence: string, view: string, name: string, title?: string) {
  const { nLayer, nHead } = model.config;
  // refuse before the forward pass: the weights of a long text would not fit a browser anyway
  checkAttentionSize(view, { nLayers: nLayer, nHeads: nHead, queries: encodeForView(model, tokenizer, sentence, view).length });
  const { tokens, weights } = await modelAttention(model, tokenizer, sentence, view);
  return { title: title ?? `${name}: ${nLayer} layers x ${nHead} heads, ${tokens.length} tokens`, tokens, nLayers: nLayer, nHeads: nHead, weights, causal: true };
}

/** Run the model on `text` and collect the attention weights of every layer and head. */
export async function attentionSpec(model: GPT, tokenizer: TokenLabeler, sentence: string, options: { layer?: number; head?: number; title?: string } = {}): Promise<AttentionSpec> {
  const { nLayer, nHead } = model.config;
  const layer = options.layer ?? nLayer - 1;
  const head = options.head ?? 0;
  encodeForView(model, tokenizer, sentence, 'attention view');
  checkIndex('attention view', 'layer', layer, nLayer);
  checkIndex('attention view', 'head', head, nHead);
  return {
    kind: 'attention',
    version: 1,
    ...(await selfAttentionFields(model, tokenizer, sentence, 'attention view', 'Self-attention', options.title)),
    layer,
    head
  };
}

export function attentionText(spec: AttentionSpec): string {
  return `${spec.title} (showing layer ${spec.layer}, head ${spec.head}): ${spec.tokens.join(' ')}`;
}

/** The selected layer and head as a static heatmap (darker = more attention). */
export function attentionSvg(spec: AttentionSpec): string {
  const n = spec.tokens.length;
  const cell = Math.max(10, Math.min(24, Math.floor(640 / n)));
  const font = Math.min(12, cell - 1);
  const left = 60;
  const top = 70;
  const W = left + n * cell + 20;
  const H = top + n * cell + 20;
  const grid = spec.weights[spec.layer][spec.head];
  const label = `fill="#222" font-family="monospace" font-size="${font}"`;
  const body = [
    text(8, 16, `${spec.title} - layer ${spec.layer}, head ${spec.head}`, 'font-size="12" fill="#222"'),
    text(8, 32, 'rows: query token, columns: key token; darker = more attention; grey = future (masked)', 'font-size="11" fill="#555"')
  ];
  for (let q = 0; q < n; q++) {
    body.push(text(left - 4, top + q * cell + cell * 0.75, spec.tokens[q], `text-anchor="end" ${label}`));
    const kx = left + q * cell + cell * 0.75;
    body.push(text(kx, top - 4, spec.tokens[q], `text-anchor="start" ${label} transform="rotate(-90 ${num(kx)} ${num(top - 4)})"`));
  }
  body.push(heatmapCells(grid, spec.causal, left, top, cell));
  return svgDocument(W, H, body);
}

/** Blue as dark as the weight: white at 0, rgb(33,75,180) at 1. */
function heatColor(w: number): string {
  return '#' + [222, 180, 75].map(c => Math.round(255 - c * w).toString(16).padStart(2, '0')).join('');
}

/**
 * The cells of one weights grid [query][key] for the static SVGs: darker blue = more attention,
 * grey = masked. One <path> per colour; cells that would be white (or weigh under `minWeight`)
 * are left out, the document's white background shows through. Masked cells are one dashed
 * stroke per row, the dashes being the cells.
 */
export function heatmapCells(grid: number[][], causal: boolean, left: number, top: number, cell: number, minWeight = 0): string {
  const side = Math.max(cell - 1, 0.5);
  const s = num(side);
  const byColor = new Map<string, string[]>();
  const masked: string[] = [];
  grid.forEach((row, q) => {
    const y = top + q * cell;
    if (causal && q + 1 < row.length) masked.push(`M${num(left + (q + 1) * cell)} ${num(y + side / 2)}H${num(left + row.length * cell)}`);
    row.forEach((weight, k) => {
      const w = weight ?? 0;
      if ((causal && k > q) || w < minWeight) return;
      const color = heatColor(w);
      if (color === '#ffffff') return;
      if (!byColor.has(color)) byColor.set(color, []);
      byColor.get(color)!.push(`M${num(left + k * cell)} ${num(y)}h${s}v${s}h-${s}z`);
    });
  });
  const cells = [...byColor].map(([color, d]) => `<path fill="${color}" d="${d.join('')}"/>`);
  if (masked.length) cells.push(`<path fill="none" stroke="#eeeeee" stroke-width="${s}" stroke-dasharray="${s} ${num(cell - side)}" d="${masked.join('')}"/>`);
  return cells.join('');
}

export function attentionBundle(spec: AttentionSpec): MimeBundle {
  return bundleOf(spec, attentionSvg(spec), attentionText(spec));
}

/** Show the attention of every layer and head for `sentence` (a notebook output). */
export async function showAttention(model: GPT, tokenizer: TokenLabeler, sentence: string, options: { layer?: number; head?: number; title?: string } = {}): Promise<void> {
  display(attentionBundle(await attentionSpec(model, tokenizer, sentence, options)));
}
