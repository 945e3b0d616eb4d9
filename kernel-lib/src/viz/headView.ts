/**
 * The head view and the model view of attention, built from a GPT (self-attention) or from
 * plain arrays (cross-attention of a seq2seq model: target tokens read source tokens).
 *
 * Head view: the query tokens in a column on the left, the key tokens on the right, a line from
 * each query to each key it reads, as opaque as the weight, one color per head.
 * Model view: the same picture in miniature for every layer (rows) and head (columns).
 */
import { GPT } from '../models/gpt';
import { checkIndex, heatmapCells, selfAttentionFields, TokenLabeler, tokenLabel } from './attention';
import { bundleOf, display, MimeBundle } from './display';
import { roundWeights } from '../contract/format';
import { headColor } from '../contract/palette';
import { HeadViewSpec, ModelViewSpec, validateHeadViewSpec } from '../contract/spec';
import { checkAttentionSize } from '../contract/limits';
import { num, opacity, svgDocument, text } from './svg';

export interface HeadViewOptions {
  /** The layer shown first (default: the last). */
  layer?: number;
  /** The heads whose lines are drawn first (default: all). */
  heads?: number[];
  title?: string;
}

/** Self-attention of `sentence` in every layer and head, as a head view. */
export async function headViewSpec(model: GPT, tokenizer: TokenLabeler, sentence: string, options: HeadViewOptions = {}): Promise<HeadViewSpec> {
  const { nLayer, nHead } = model.config;
  const layer = options.layer ?? nLayer - 1;
  const heads = options.heads ?? Array.from({ length: nHead }, (_, h) => h);
  checkIndex('head view', 'layer', layer, nLayer);
  heads.forEach(h => checkIndex('head view', 'head', h, nHead));
  return {
    kind: 'head-view',
    version: 1,
    ...(await selfAttentionFields(model, tokenizer, sentence, 'head view', 'Self-attention, head view', options.title)),
    layer,
    heads
  };
}

/** Self-attention of `sentence` in every layer and head, as a model view. */
export async function modelViewSpec(model: GPT, tokenizer: TokenLabeler, sentence: string, options: { title?: string } = {}): Promise<ModelViewSpec> {
  return {
    kind: 'model-view',
    version: 1,
    ...(await selfAttentionFields(model, tokenizer, sentence, 'model view', 'Self-attention, model view', options.title))
  };
}

/**
 * From a Seq2Seq model (a batch of one source and one target):
 *   const { crossAttentions } = model.forward(src, tgtIn, { attentions: true }); // per layer (1, nh, T, S)
 *   const weights = (await tf.concat(crossAttentions!, 0).array()) as number[][][][]; // (layers, nh, T, S)
 *   showCrossAttention({ sourceTokens, targetTokens, weights });
 */
export interface CrossAttentionInput {
  /** Encoder tokens (the keys), as labels. */
  sourceTokens: string[];
  /** Decoder tokens (the queries), as labels. */
  targetTokens: string[];
  /** weights[layer][head][target][source]: arrays, e.g. from `await tensor.array()`. */
  weights: number[][][][];
  title?: string;
  layer?: number;
  heads?: number[];
}

/** Cross-attention (decoder tokens reading encoder tokens) as a head view; checked like any spec. */
export function crossAttentionSpec(input: CrossAttentionInput): HeadViewSpec {
  const nLayers = input.weights.length;
  const nHeads = input.weights[0]?.length ?? 0;
  checkAttentionSize('cross-attention view', { nLayers, nHeads, queries: input.targetTokens.length, keys: input.sourceTokens.length });
  const spec = {
    kind: 'head-view' as const,
    version: 1 as const,
    title: input.title ?? `Cross-attention: ${input.targetTokens.length} target tokens reading ${input.sourceTokens.length} source tokens`,
    tokens: input.targetTokens.map(tokenLabel),
    keyTokens: input.sourceTokens.map(tokenLabel),
    nLayers,
    nHeads,
    weights: input.weights,
    causal: false,
    layer: input.layer ?? nLayers - 1,
    heads: input.heads ?? Array.from({ length: nHeads }, (_, h) => h)
  };
  try {
    const valid = validateHeadViewSpec(spec);
    return { ...valid, weights: roundWeights(valid.weights) };
  } catch (e) {
    throw new Error(`crossAttentionSpec: ${(e as Error).message} (weights must be [layer][head][target][source])`);
  }
}

const ROW = 18;
const LABEL_CHARS = 14;
/** The model view's SVG leaves out cells under this weight, as the interactive view's thumbnails do (THUMBNAIL_MIN_WEIGHT). */
const MODEL_VIEW_MIN_WEIGHT = 0.02;
const short = (t: string) => (t.length > LABEL_CHARS ? `${t.slice(0, LABEL_CHARS)}\u2026` : t);

/**
 * Lines from query rows (x0) to key rows (x1), one color per head, opacity = weight;
 * weights under 1% are left out (invisible anyway, and they would bloat the SVG). One <g> per
 * head carries the colour and width its lines share.
 */
export function attentionLinesSvg(weights: number[][][], heads: number[], x0: number, x1: number, top: number, row: number, width = 2): string {
  const groups: string[] = [];
  for (const h of heads) {
    const lines: string[] = [];
    weights[h].forEach((keys, q) =>
      keys.forEach((w, k) => {
        if (w === null || w < 0.01) return;
        const y0 = top + q * row + row / 2;
        const y1 = top + k * row + row / 2;
        lines.push(`<path d="M${num(x0)} ${num(y0)}L${num(x1)} ${num(y1)}" stroke-opacity="${opacity(w)}"/>`);
      })
    );
    if (lines.length) groups.push(`<g stroke="${headColor(h)}" stroke-width="${num(width)}">${lines.join('')}</g>`);
  }
  return groups.join('');
}

function keyTokensOf(spec: HeadViewSpec | ModelViewSpec): string[] {
  return spec.keyTokens ?? spec.tokens;
}

export function headViewSvg(spec: HeadViewSpec): string {
  const keys = keyTokensOf(spec);
  const rows = Math.max(spec.tokens.length, keys.length);
  const label = 7.5 * Math.min(LABEL_CHARS + 1, Math.max(...spec.tokens.map(t => short(t).length), ...keys.map(t => short(t).length)));
  const top = 58;
  const x0 = 12 + label;
  const x1 = x0 + 180;
  // wide enough for the title, the explanation and the head legend
  const W = Math.max(x1 + label + 24, 560, 16 + spec.heads.length * 62);
  const H = top + rows * ROW + 12;
  const font = 'font-family="monospace" font-size="12" fill="#222"';
  const body = [
    text(8, 16, `${spec.title} - layer ${spec.layer}, heads ${spec.heads.join(', ')}`, 'font-size="12" fill="#222"'),
    text(8, 32, spec.keyTokens ? 'left: target token (query), right: source token (key); stronger line = more attention' : 'left: token reading (query), right: token read (key); stronger line = more attention', 'font-size="11" fill="#555"'),
    ...spec.heads.map((h, i) => `<rect x="${8 + i * 62}" y="38" width="10" height="10" fill="${headColor(h)}"/>` + text(22 + i * 62, 47, `head ${h}`, 'font-size="11" fill="#555"')),
    attentionLinesSvg(spec.weights[spec.layer], spec.heads, x0 + 4, x1 - 4, top, ROW)
  ];
  spec.tokens.forEach((t, i) => body.push(text(x0 - 4, top + i * ROW + 13, short(t), `text-anchor="end" ${font}`)));
  keys.forEach((t, i) => body.push(text(x1 + 4, top + i * ROW + 13, short(t), font)));
  return svgDocument(W, H, body);
}

export function headViewText(spec: HeadViewSpec): string {
  const what = spec.keyTokens ? `${spec.tokens.join(' ')} <- ${spec.keyTokens.join(' ')}` : spec.tokens.join(' ');
  return `${spec.title} (layer ${spec.layer}, heads ${spec.heads.join(', ')}): ${what}`;
}

export function headViewBundle(spec: HeadViewSpec): MimeBundle {
  return bundleOf(spec, headViewSvg(spec), headViewText(spec));
}

/** The model view's static picture: a small heatmap per layer and head (lines would blur at this size). */
export function modelViewSvg(spec: ModelViewSpec): string {
  const keys = keyTokensOf(spec);
  const cell = Math.max(1, Math.min(6, Math.floor(120 / Math.max(spec.tokens.length, keys.length))));
  const size = Math.max(spec.tokens.length, keys.length) * cell;
  const gap = 14;
  const left = 56;
  const top = 70;
  const W = Math.max(left + spec.nHeads * (size + gap) + 8, 580);
  const H = top + spec.nLayers * (size + gap) + 8;
  const body = [
    text(8, 16, spec.title, 'font-size="12" fill="#222"'),
    text(8, 32, 'rows: layers, columns: heads; in each square rows are queries, columns keys, darker = more attention', 'font-size="11" fill="#555"'),
    text(8, 48, spec.keyTokens ? `${spec.tokens.join(' ')} <- ${spec.keyTokens.join(' ')}` : spec.tokens.join(' '), 'font-family="monospace" font-size="11" fill="#222"')
  ];
  for (let h = 0; h < spec.nHeads; h++) body.push(text(left + h * (size + gap), top - 6, `head ${h}`, 'font-size="11" fill="#555"'));
  for (let l = 0; l < spec.nLayers; l++) {
    const y = top + l * (size + gap);
    body.push(text(8, y + 12, `layer ${l}`, 'font-size="11" fill="#555"'));
    for (let h = 0; h < spec.nHeads; h++) body.push(heatmapCells(spec.weights[l][h], spec.causal, left + h * (size + gap), y, cell, MODEL_VIEW_MIN_WEIGHT));
  }
  return svgDocument(W, H, body);
}

export function modelViewText(spec: ModelViewSpec): string {
  return `${spec.title}: ${spec.tokens.join(' ')}`;
}

export function modelViewBundle(spec: ModelViewSpec): MimeBundle {
  return bundleOf(spec, modelViewSvg(spec), modelViewText(spec));
}

/** Show the head view of `sentence`: one layer, lines per head, hover a token to focus it. */
export async function showHeadView(model: GPT, tokenizer: TokenLabeler, sentence: string, options: HeadViewOptions = {}): Promise<void> {
  display(headViewBundle(await headViewSpec(model, tokenizer, sentence, options)));
}

/** Show every layer and head of `sentence` at once; click one to zoom. */
export async function showModelView(model: GPT, tokenizer: TokenLabeler, sentence: string, options: { title?: string } = {}): Promise<void> {
  display(modelViewBundle(await modelViewSpec(model, tokenizer, sentence, options)));
}

/** Show cross-attention weights (from a seq2seq model) as a head view. */
export function showCrossAttention(input: CrossAttentionInput): void {
  display(headViewBundle(crossAttentionSpec(input)));
}
