/**
 * The parameter-efficient fine-tuning lesson's view spec: one pre-LayerNorm GPT-2 block (with the
 * embeddings below and the head above) per method, drawn side by side, with what each method
 * trains, freezes, quantizes or adds. The drawing itself is laid out by peftLayout.ts, the same
 * for the kernel's SVG and the extension's view. Re-exported by index.ts.
 */
import { arr, fail, header, int, num, obj, SpecError, str } from './check';

/** The methods the diagram knows, in the order the lesson teaches them. */
export const PEFT_METHODS = ['full', 'head', 'bitfit', 'lora', 'qlora', 'adapter', 'prefix', 'prompt', 'ia3'] as const;
export type PeftMethod = (typeof PEFT_METHODS)[number];

/** The Linear layers of a GPT-2 block, by their path in the block (Hugging Face GPT-2's names). */
export const BLOCK_LINEARS = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const;
export type BlockLinear = (typeof BLOCK_LINEARS)[number];

/** One method's diagram: what the builder was given, with every default filled in. */
export interface PeftDiagramPanel {
  method: PeftMethod;
  /** Target modules of LoRA / QLoRA, matched as PEFT matches them: a path or its last names ('c_attn', 'c_proj'). */
  targets?: string[];
  /** LoRA rank r and scale alpha (the update is (alpha / r) B A x). */
  rank?: number;
  alpha?: number;
  /** Prefix tuning: key/value vectors per layer; prompt tuning: soft-prompt vectors. */
  prefixLength?: number;
  promptLength?: number;
  /** Houlsby adapter's bottleneck width m (d -> m -> d). */
  bottleneck?: number;
  /** The model's width d (768 in GPT-2 small): the sizes in the labels. */
  dModel: number;
  trainableParams?: number;
  totalParams?: number;
}

export interface PeftDiagramSpec {
  kind: 'peft-diagram';
  version: 1;
  title: string;
  /** One diagram each, drawn left to right (small multiples). */
  panels: PeftDiagramPanel[];
}

/** At most this many diagrams in one output: six narrow panels fill a notebook's width. */
export const PEFT_MAX_PANELS = 6;

/** The name and one line of what each method changes, as the panel's heading says it. */
export const PEFT_METHOD_INFO: Record<PeftMethod, { name: string; what: string }> = {
  full: { name: 'Full fine-tuning', what: 'every weight trains' },
  head: { name: 'Head only', what: 'only the head trains; the body is frozen' },
  bitfit: { name: 'BitFit', what: 'only the biases train' },
  lora: { name: 'LoRA', what: 'W frozen; h = W x + (\u03b1/r) B A x, A and B train' },
  qlora: { name: 'QLoRA', what: 'W stored in 4-bit NF4, frozen; LoRA A and B train' },
  adapter: { name: 'Adapters (Houlsby)', what: 'bottleneck layers after attention and MLP (+ LayerNorms)' },
  prefix: { name: 'Prefix tuning', what: 'learned keys and values P_k, P_v in every layer' },
  prompt: { name: 'Prompt tuning', what: 'learned soft-prompt vectors before the input' },
  ia3: { name: 'IA\u00b3', what: 'learned scales l_k, l_v on keys and values, l_ff on the MLP' }
};

/** The block's linears a LoRA target names: 'c_proj' matches attn.c_proj and mlp.c_proj, as PEFT's target_modules do. */
export function matchTargets(target: string): BlockLinear[] {
  return BLOCK_LINEARS.filter(l => l === target || l.endsWith(`.${target}`));
}

const LORA_LIKE: readonly PeftMethod[] = ['lora', 'qlora'];
/** Which size field each method needs, and the methods that may not have it. */
const METHOD_FIELDS: Record<string, readonly PeftMethod[]> = {
  rank: LORA_LIKE,
  alpha: LORA_LIKE,
  targets: LORA_LIKE,
  prefixLength: ['prefix'],
  promptLength: ['prompt'],
  bottleneck: ['adapter']
};

function checkPanel(v: unknown, path: string): PeftDiagramPanel {
  const p = obj(v, path);
  const method = p.method as PeftMethod;
  if (!PEFT_METHODS.includes(method)) fail(`${path}.method`, `one of ${PEFT_METHODS.join(', ')}`, p.method);
  const dModel = int(p.dModel, `${path}.dModel`, 1);
  for (const [field, methods] of Object.entries(METHOD_FIELDS)) {
    if (p[field] !== undefined && !methods.includes(method)) throw new SpecError(`${path}.${field} (${JSON.stringify(p[field])}) applies to ${methods.join(' and ')}, not to ${method}`);
  }
  if (LORA_LIKE.includes(method)) {
    const targets = arr(p.targets, `${path}.targets`);
    if (targets.length === 0) fail(`${path}.targets`, 'a non-empty array of layer names', p.targets);
    targets.forEach((t, i) => {
      const name = str(t, `${path}.targets[${i}]`);
      if (matchTargets(name).length === 0) throw new SpecError(`${path}.targets[${i}] (${JSON.stringify(name)}) names no Linear of the block; they are ${BLOCK_LINEARS.join(', ')} (or their last names: c_attn, c_proj, c_fc)`);
    });
    const rank = int(p.rank, `${path}.rank`, 1);
    if (rank > dModel) throw new SpecError(`${path}.rank (${rank}) must be at most dModel (${dModel}): a low-rank update has r < d`);
    if (num(p.alpha, `${path}.alpha`) <= 0) fail(`${path}.alpha`, 'a number > 0', p.alpha);
  }
  if (method === 'prefix') int(p.prefixLength, `${path}.prefixLength`, 1);
  if (method === 'prompt') int(p.promptLength, `${path}.promptLength`, 1);
  if (method === 'adapter') {
    const m = int(p.bottleneck, `${path}.bottleneck`, 1);
    if (m >= dModel) throw new SpecError(`${path}.bottleneck (${m}) must be smaller than dModel (${dModel}): the adapter projects d down to m`);
  }
  const trainable = p.trainableParams === undefined ? undefined : int(p.trainableParams, `${path}.trainableParams`, 0);
  const total = p.totalParams === undefined ? undefined : int(p.totalParams, `${path}.totalParams`, 1);
  if (trainable !== undefined && total !== undefined && trainable > total) throw new SpecError(`${path}.trainableParams (${trainable}) must be at most totalParams (${total})`);
  return p as unknown as PeftDiagramPanel;
}

export function validatePeftDiagramSpec(v: unknown): PeftDiagramSpec {
  const o = obj(v, 'spec');
  header(o, 'peft-diagram', [1]);
  const panels = arr(o.panels, 'panels');
  if (panels.length === 0) fail('panels', 'a non-empty array', o.panels);
  if (panels.length > PEFT_MAX_PANELS) throw new SpecError(`panels has ${panels.length} diagrams, more than the ${PEFT_MAX_PANELS} that fit side by side: show fewer methods at once`);
  panels.forEach((p, i) => checkPanel(p, `panels[${i}]`));
  return o as unknown as PeftDiagramSpec;
}

/** 294,912 of 124,734,720 parameters train (0.24%): the line under a panel's heading, or null without counts. */
export function trainableSummary(panel: Pick<PeftDiagramPanel, 'trainableParams' | 'totalParams'>): string | null {
  const { trainableParams: t, totalParams: n } = panel;
  if (t === undefined) return null;
  const c = (x: number) => x.toLocaleString('en-US');
  if (n === undefined) return `${c(t)} parameters train`;
  const share = (100 * t) / n;
  const pct = share === 0 || share >= 1 ? share.toFixed(1) : share.toPrecision(2);
  return `${c(t)} of ${c(n)} parameters train (${pct}%)`;
}

/** "r = 8, α = 16 (scale 2) on c_attn", "m = 64", "10 prefix vectors per layer": a panel's sizes in words. */
export function panelSettings(panel: PeftDiagramPanel): string | null {
  switch (panel.method) {
    case 'lora':
    case 'qlora':
      return `r = ${panel.rank}, \u03b1 = ${panel.alpha} (scale ${+(panel.alpha! / panel.rank!).toFixed(3)}) on ${panel.targets!.join(', ')}`;
    case 'adapter':
      return `bottleneck m = ${panel.bottleneck}`;
    case 'prefix':
      return `${panel.prefixLength} key and value vectors per layer`;
    case 'prompt':
      return `${panel.promptLength} soft-prompt vectors`;
    default:
      return null;
  }
}

/** The lines over a panel's diagram: the method's name, what it changes, its sizes, how much trains. */
export function panelHeading(panel: PeftDiagramPanel): string[] {
  const info = PEFT_METHOD_INFO[panel.method];
  return [info.name, info.what, panelSettings(panel), trainableSummary(panel)].filter((l): l is string => l !== null);
}
