/**
 * The shapes table: every step of a GPT's forward pass with the shape of what it produces and the
 * parameters it owns, for a batch of B sequences of T tokens. B batch, T time, C channels
 * (nEmbd), nh heads, hs head size, V vocabulary.
 */
import { GPT } from '../models/gpt';
import { display, MimeBundle } from './display';
import { escapeXml } from './svg';

export interface ShapeRow {
  step: string;
  shape: number[];
  /** What the dimensions are, e.g. "(B, nh, T, hs)". */
  dims: string;
  /** Parameters of this step (0 for steps without weights). */
  params: number;
}

export function shapesTable(model: GPT, batch: number, time: number): ShapeRow[] {
  const { vocabSize: V, blockSize, nLayer, nHead: nh, nEmbd: C } = model.config;
  if (!(Number.isInteger(batch) && batch >= 1 && Number.isInteger(time) && time >= 1 && time <= blockSize)) {
    throw new Error(`shapesTable: need batch >= 1 and 1 <= time <= blockSize (${blockSize}), got batch ${batch}, time ${time}`);
  }
  const B = batch;
  const T = time;
  const hs = C / nh;
  // the parameters of each step are those of the module that does it, counted in the model's tree
  const p = (path: string) => model.getModule(path).numParams();
  const rows: ShapeRow[] = [
    { step: 'token ids', shape: [B, T], dims: '(B, T)', params: 0 },
    { step: 'token embedding (wte)', shape: [B, T, C], dims: '(B, T, C)', params: p('transformer.wte') },
    { step: '+ position embedding (wpe)', shape: [B, T, C], dims: '(B, T, C)', params: p('transformer.wpe') }
  ];
  for (let i = 0; i < nLayer; i++) {
    const h = `transformer.h.${i}`;
    const lin = (n: string) => p(`${h}.${n}`);
    rows.push(
      { step: `block ${i}: LayerNorm 1`, shape: [B, T, C], dims: '(B, T, C)', params: lin('ln_1') },
      { step: `block ${i}: q, k, v (c_attn)`, shape: [B, T, 3 * C], dims: '(B, T, 3C)', params: lin('attn.c_attn') },
      { step: `block ${i}: split into heads`, shape: [B, nh, T, hs], dims: '3 x (B, nh, T, hs)', params: 0 },
      { step: `block ${i}: attention weights softmax(q k^T / sqrt(hs))`, shape: [B, nh, T, T], dims: '(B, nh, T, T)', params: 0 },
      { step: `block ${i}: weights x v, heads merged`, shape: [B, T, C], dims: '(B, T, C)', params: 0 },
      { step: `block ${i}: output projection (c_proj), + residual`, shape: [B, T, C], dims: '(B, T, C)', params: lin('attn.c_proj') }
    );
    if (model.config.mlp === false) continue; // attention-only blocks
    rows.push(
      { step: `block ${i}: LayerNorm 2`, shape: [B, T, C], dims: '(B, T, C)', params: lin('ln_2') },
      { step: `block ${i}: MLP up (c_fc), GELU`, shape: [B, T, 4 * C], dims: '(B, T, 4C)', params: lin('mlp.c_fc') },
      { step: `block ${i}: MLP down (c_proj), + residual`, shape: [B, T, C], dims: '(B, T, C)', params: lin('mlp.c_proj') }
    );
  }
  rows.push(
    { step: 'final LayerNorm', shape: [B, T, C], dims: '(B, T, C)', params: p('transformer.ln_f') },
    { step: 'LM head (tied to wte): logits', shape: [B, T, V], dims: '(B, T, V)', params: p('lm_head') }
  );
  return rows;
}

export function shapesText(rows: ShapeRow[]): string {
  const w = Math.max(...rows.map(r => r.step.length));
  const total = rows.reduce((s, r) => s + r.params, 0);
  return [...rows.map(r => `${r.step.padEnd(w)}  ${`[${r.shape.join(', ')}]`.padEnd(18)} ${r.dims.padEnd(20)} ${r.params ? r.params.toLocaleString('en-US') : ''}`.trimEnd()), `total parameters: ${total.toLocaleString('en-US')}`].join('\n');
}

export function shapesHtml(rows: ShapeRow[]): string {
  const total = rows.reduce((s, r) => s + r.params, 0);
  const body = rows
    .map(r => `<tr><td>${escapeXml(r.step)}</td><td><code>[${r.shape.join(', ')}]</code></td><td><code>${escapeXml(r.dims)}</code></td><td style="text-align:right">${r.params ? r.params.toLocaleString('en-US') : ''}</td></tr>`)
    .join('');
  return `<table class="llm-lab-shapes"><tr><th>step</th><th>shape</th><th></th><th>parameters</th></tr>${body}` +
    `<tr><td colspan="3"><b>total</b></td><td style="text-align:right"><b>${total.toLocaleString('en-US')}</b></td></tr></table>`;
}

export function shapesBundle(model: GPT, batch: number, time: number): MimeBundle {
  const rows = shapesTable(model, batch, time);
  return { 'text/html': shapesHtml(rows), 'text/plain': shapesText(rows) };
}

/** Show the shapes table of a forward pass of `batch` sequences of `time` tokens. */
export function showShapes(model: GPT, batch: number, time: number): void {
  display(shapesBundle(model, batch, time));
}
