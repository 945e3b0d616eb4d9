/**
 * Where each part of a PEFT diagram goes: one pre-LayerNorm GPT-2 block read bottom to top
 * (embeddings, ln_1, c_attn, attention, c_proj, +, ln_2, c_fc, GELU, c_proj, +, then ln_f and the
 * head), each part with its role under a method (frozen, trainable, quantized, added, or an
 * operation without weights), and the parts a method adds in a column to the right. Pure data:
 * the kernel's SVG and the extension's view both draw this, so the two pictures agree.
 */
import { BLOCK_LINEARS, BlockLinear, matchTargets, PeftDiagramPanel, PeftMethod } from './peft';

export type PartRole = 'frozen' | 'trainable' | 'quantized' | 'added' | 'op';

export interface DiagramPart {
  id: string;
  label: string;
  /** A second, smaller line: sizes, what it computes. */
  sub?: string;
  x: number;
  y: number;
  w: number;
  h: number;
  role: PartRole;
  shape: 'box' | 'circle';
  /** The hover text: what the part is and what the method does to it. */
  title: string;
}

/** A polyline; `arrow` puts a head at its last point, `dashed` marks a side connection. */
export interface DiagramLine {
  points: [number, number][];
  arrow: boolean;
  dashed: boolean;
}

export interface DiagramLayout {
  width: number;
  height: number;
  parts: DiagramPart[];
  lines: DiagramLine[];
  /** The frame around the repeated block, and where its "x n_layer" label goes. */
  block: { x: number; y: number; w: number; h: number; labelX: number; labelY: number };
}

export const ROLE_NAMES: Record<PartRole, string> = {
  frozen: 'frozen',
  trainable: 'trainable',
  quantized: 'quantized (4-bit, frozen)',
  added: 'added (trainable)',
  op: 'operation (no weights)'
};

const ROLE_WORDS: Record<PartRole, string> = {
  frozen: 'frozen: no gradient, no optimizer state',
  trainable: 'trainable: gradient and AdamW state',
  quantized: 'frozen, stored as 4-bit NF4 (16 levels times one absmax per block of 64 weights)',
  added: 'added by the method, trainable',
  op: 'an operation: no weights'
};

// geometry (pixels): the main column, the bias strip at its right end, the side column, the skip line
const W = 340;
const MX = 44;
const MW = 156;
const MC = MX + MW / 2;
const STRIP = 18;
const SX = 222;
const SW = 110;
const SKIP = 20;
const RH = 30;
const RS = 42;
const R = 10; // radius of a "+" node
const rowY = (i: number) => 6 + i * RS;
const mid = (i: number) => rowY(i) + RH / 2;

/** The rows from the top: the part in the main column (a linear by its path). */
const ROWS = ['head', 'ln_f', 'add_2', 'mlp.c_proj', 'gelu', 'mlp.c_fc', 'ln_2', 'add_1', 'attn.c_proj', 'attention', 'attn.c_attn', 'ln_1', 'add_0', 'embeddings'] as const;
type Row = (typeof ROWS)[number];
const row = (id: string) => ROWS.indexOf(id as Row);

/** A linear's weight as (in, out) multiples of d. */
const LINEAR_SHAPE: Record<BlockLinear, [number, number]> = { 'attn.c_attn': [1, 3], 'attn.c_proj': [1, 1], 'mlp.c_fc': [1, 4], 'mlp.c_proj': [4, 1] };
const LINEAR_TEXT: Record<BlockLinear, { label: string; sub: string }> = {
  'attn.c_attn': { label: 'c_attn', sub: 'x \u2192 q, k, v' },
  'attn.c_proj': { label: 'attn.c_proj', sub: 'heads \u2192 d' },
  'mlp.c_fc': { label: 'c_fc', sub: 'd \u2192 4d' },
  'mlp.c_proj': { label: 'mlp.c_proj', sub: '4d \u2192 d' }
};

type Group = 'embedding' | 'ln' | 'linear' | 'head';

/** The role of a weight (or a bias, `bias`) of a group of parameters under a method. */
function roleOf(method: PeftMethod, group: Group, bias: boolean): PartRole {
  if (method === 'full') return 'trainable';
  if (method === 'head') return group === 'head' ? 'trainable' : 'frozen';
  if (method === 'bitfit') return bias ? 'trainable' : 'frozen';
  if (method === 'qlora') return group === 'linear' && !bias ? 'quantized' : 'frozen';
  if (method === 'adapter') return group === 'ln' ? 'trainable' : 'frozen'; // Houlsby et al. train the LayerNorms too
  return 'frozen';
}

/** The layout of one panel's diagram. */
export function peftLayout(panel: PeftDiagramPanel): DiagramLayout {
  const d = panel.dModel;
  const { method } = panel;
  const parts: DiagramPart[] = [];
  const lines: DiagramLine[] = [];
  const line = (points: [number, number][], arrow = true, dashed = false) => lines.push({ points, arrow, dashed });
  const says = (name: string, role: PartRole, what: string) => `${name} (${what}): ${ROLE_WORDS[role]}`;

  /** A part with weights in the main column; a bias strip at its right end when it has one. */
  const weighted = (id: string, group: Group, label: string, sub: string | undefined, what: string, bias?: string) => {
    const i = row(id);
    const role = roleOf(method, group, false);
    const w = bias ? MW - STRIP : MW;
    parts.push({ id, label, sub, x: MX, y: rowY(i), w, h: RH, role, shape: 'box', title: says(id, role, what) });
    if (bias) {
      const b = roleOf(method, group, true);
      parts.push({ id: `${id}.bias`, label: group === 'ln' ? '\u03b2' : 'b', x: MX + w, y: rowY(i), w: STRIP, h: RH, role: b, shape: 'box', title: says(`${id} ${group === 'ln' ? 'bias \u03b2' : 'bias'}`, b, bias) });
    }
  };
  const op = (id: string, label: string, title: string) => {
    const i = row(id);
    parts.push({ id, label, x: MX, y: rowY(i), w: MW, h: RH, role: 'op', shape: 'box', title: `${title}: ${ROLE_WORDS.op}` });
  };
  const add = (id: string, title: string) => {
    const i = row(id);
    parts.push({ id, label: '+', x: MC - R, y: mid(i) - R, w: 2 * R, h: 2 * R, role: 'op', shape: 'circle', title: `${title}: ${ROLE_WORDS.op}` });
  };

  weighted('head', 'head', 'lm_head / score', undefined, `d \u2192 vocabulary or classes, ${d} x out`);
  weighted('ln_f', 'ln', 'ln_f', 'LayerNorm', `\u03b3: ${d}`, `${d} numbers`);
  add('add_2', 'residual add after the MLP');
  add('add_1', 'residual add after attention');
  add('add_0', 'token + position embedding');
  for (const ln of ['ln_2', 'ln_1'] as const) weighted(ln, 'ln', ln, 'LayerNorm', `\u03b3: ${d}`, `${d} numbers`);
  const quantized = method === 'qlora';
  for (const id of BLOCK_LINEARS) {
    const [a, b] = LINEAR_SHAPE[id];
    const { label, sub } = LINEAR_TEXT[id];
    weighted(id, 'linear', label, quantized ? `NF4 \u00b7 ${sub}` : sub, `weight ${a * d} x ${b * d}`, `${b * d} numbers`);
  }
  op('gelu', 'GELU', 'GELU on the 4d hidden activation');
  op('attention', 'softmax(q k\u1d40/\u221ad) v', 'causal self-attention of the heads');
  // the embeddings share the bottom row
  const e = rowY(row('embeddings'));
  const half = (MW - 6) / 2;
  for (const [k, id, sub, what] of [[0, 'wte', 'token emb.', `vocabulary x ${d}`], [1, 'wpe', 'position emb.', `context x ${d}`]] as const) {
    const role = roleOf(method, 'embedding', false);
    parts.push({ id, label: id, sub, x: MX + k * (half + 6), y: e, w: half, h: RH, role, shape: 'box', title: says(id, role, what) });
    line([[MX + k * (half + 6) + half / 2, e], [MC + (k === 0 ? -R : R) * 0.7, mid(row('add_0')) + R * 0.7]]);
  }

  // the main path, bottom to top: from the top of each part to the bottom of the one above
  const bottom = (i: number) => (ROWS[i].startsWith('add') ? mid(i) + R : rowY(i) + RH);
  const top = (i: number) => (ROWS[i].startsWith('add') ? mid(i) - R : rowY(i));
  for (let i = row('add_0'); i > 0; i--) line([[MC, top(i)], [MC, bottom(i - 1)]]);
  // the residual stream skips each sublayer: from below its LayerNorm into the "+" above it
  for (const [from, to] of [[row('ln_1'), row('add_1')], [row('ln_2'), row('add_2')]]) {
    const y = (top(from + 1) + bottom(from)) / 2;
    line([[MC, y], [SKIP, y], [SKIP, mid(to)], [MC - R, mid(to)]]);
  }

  // what the method adds, in the side column
  const side = (id: string, label: string, sub: string, i: number, title: string, x = SX, w = SW) => {
    parts.push({ id, label, sub, x, y: rowY(i), w, h: RH, role: 'added', shape: 'box', title: `${title}: ${ROLE_WORDS.added}` });
  };
  const link = (i: number, x = SX) => line([[MX + MW, mid(i)], [x, mid(i)]], false, true);
  if (method === 'lora' || method === 'qlora') {
    const r = panel.rank!;
    const scale = panel.alpha! / r;
    const targets = new Set((panel.targets ?? []).flatMap(matchTargets));
    for (const id of BLOCK_LINEARS.filter(l => targets.has(l))) {
      const i = row(id);
      const [a, b] = LINEAR_SHAPE[id];
      const bw = (SW - 8) / 2;
      side(`${id}.lora_A`, 'A', `${a * d}\u00d7${r}`, i, `LoRA A of ${id} (${a * d} x ${r}, random at start)`, SX, bw);
      side(`${id}.lora_B`, 'B', `${r}\u00d7${b * d}`, i, `LoRA B of ${id} (${r} x ${b * d}, zero at start: the model starts unchanged); adds (\u03b1/r) B A x = ${+scale.toFixed(3)} B A x`, SX + bw + 8, bw);
      link(i);
      line([[SX + bw, mid(i)], [SX + bw + 8, mid(i)]]);
    }
  }
  if (method === 'adapter') {
    const m = panel.bottleneck!;
    for (const [id, sum, where] of [['attn.c_proj', 'add_1', 'attention'], ['mlp.c_proj', 'add_2', 'MLP']] as const) {
      const i = row(id);
      side(`${id}.adapter`, 'adapter', `${d}\u2192${m}\u2192${d}`, i, `Houlsby adapter after the ${where}: down-project ${d} \u2192 ${m}, GELU, up-project ${m} \u2192 ${d}, plus its own skip (starts near the identity)`);
      link(i);
      line([[SX + SW / 2, rowY(i)], [SX + SW / 2, mid(row(sum))], [MC + R, mid(row(sum))]]);
    }
  }
  if (method === 'prefix') {
    const n = panel.prefixLength!;
    side('attention.prefix', 'P_k, P_v', `${n} \u00d7 ${d} each`, row('attention'), `prefix tuning: ${n} learned keys and ${n} learned values put before this layer's own (every layer has its pair); queries attend to them like to earlier tokens`);
    link(row('attention'));
  }
  if (method === 'prompt') {
    const n = panel.promptLength!;
    const i = row('embeddings');
    side('soft_prompt', 'soft prompt', `${n} \u00d7 ${d}`, i, `prompt tuning: ${n} learned vectors put before the text's token embeddings (they take positions too)`);
    line([[SX + SW / 2, rowY(i)], [SX + SW / 2, mid(row('add_0'))], [MC + R, mid(row('add_0'))]]);
  }
  if (method === 'ia3') {
    side('attn.ia3', 'l_k, l_v', `${d} each`, row('attn.c_attn'), `IA\u00b3: k \u2299 l_k and v \u2299 l_v, one learned scale per channel (starts at 1)`);
    link(row('attn.c_attn'));
    side('mlp.ia3', 'l_ff', `${4 * d}`, row('gelu'), `IA\u00b3: the MLP's hidden activation \u2299 l_ff, ${4 * d} learned scales (start at 1)`);
    link(row('gelu'));
  }

  const blockTop = rowY(row('add_2')) - 4;
  const blockBottom = rowY(row('ln_1')) + RH + 5;
  return {
    width: W,
    height: rowY(ROWS.length - 1) + RH + 4,
    parts,
    lines,
    block: { x: 8, y: blockTop, w: W - 10, h: blockBottom - blockTop, labelX: SX, labelY: mid(row('ln_1')) + 4 }
  };
}
