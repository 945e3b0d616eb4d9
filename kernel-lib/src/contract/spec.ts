/**
 * View specs: the contract between the kernel (which builds them) and the JupyterLab
 * extension (which draws them). Plain JSON, no DOM, no tensors. One type per kind, versioned
 * through the MIME type `application/vnd.llm-lab.<kind>.v<version>+json`, each kind on its own
 * version (SPEC_VERSIONS). The training view's spec has its own file (training.ts), and so have
 * the fine-tuning views (finetune.ts), re-exported here: this module answers for every kind.
 *
 * The contract must stay free of tfjs, Dawn and DOM imports: the extension bundles it
 * (test/unit/contract.test.ts loads it and checks what came with it).
 */

import type { TrainingSpec } from './training';
import type { ClassificationSpec, CompareSpec, TokenMaskSpec } from './finetune';
import type { RunComparisonSpec } from './runs';
import type { PeftDiagramSpec } from './peft';
import type { QuantErrorSpec, QuantHistogramSpec, QuantOutliersSpec, QuantTradeoffSpec } from './quant';
import type { AlignPipelineSpec, GrpoGroupsSpec, RewardKlSpec, RewardScatterSpec, RlSamplesSpec } from './align';
import { arr, fail, header as checkHeader, int, numbers, obj, SpecError, str } from './check';
import { checkAttentionSize, checkNeuronSize } from './limits';

export { SpecError } from './check';
export * from './training';
export * from './finetune';
export * from './runs';

export type SpecKind = 'training' | 'attention' | 'head-view' | 'model-view' | 'attention-training' | 'neuron-view' | 'classification' | 'token-mask' | 'compare'
  | 'peft-diagram' | 'quant-histogram' | 'quant-error' | 'quant-outliers' | 'quant-tradeoff' | 'run-comparison'
  | 'align-pipeline' | 'reward-scatter' | 'grpo-groups' | 'reward-kl' | 'rl-samples';

/**
 * The version of each kind this build writes. A kind's version goes up when its shape changes;
 * the renderer of a kind still reads the versions before (training v1: the four fixed series).
 */
export const SPEC_VERSIONS: { readonly [K in SpecKind]: Extract<Spec, { kind: K }>['version'] } = {
  training: 2,
  attention: 1,
  'head-view': 1,
  'model-view': 1,
  'attention-training': 1,
  'neuron-view': 1,
  classification: 1,
  'token-mask': 1,
  compare: 1,
  'peft-diagram': 1,
  'quant-histogram': 1,
  'quant-error': 1,
  'quant-outliers': 1,
  'quant-tradeoff': 1,
  'run-comparison': 1,
  'align-pipeline': 1,
  'reward-scatter': 1,
  'grpo-groups': 1,
  'reward-kl': 1,
  'rl-samples': 1
};

/** `application/vnd.llm-lab.<kind>.v<version>+json`, by default of the version this build writes. */
export function mimeTypeFor(kind: SpecKind, version: number = SPEC_VERSIONS[kind]): string {
  return `application/vnd.llm-lab.${kind}.v${version}+json`;
}

/** Self-attention weights of every layer and head for one sequence of tokens. */
export interface AttentionSpec {
  kind: 'attention';
  version: 1;
  title: string;
  /** Token labels as the tokenizer produced them (untrusted text: always escaped). */
  tokens: string[];
  nLayers: number;
  nHeads: number;
  /** weights[layer][head][query][key]; every row sums to 1. */
  weights: number[][][][];
  /** True when a query may not attend to later keys (decoder-only models). */
  causal: boolean;
  /** Initial selection in the view. */
  layer: number;
  head: number;
}

/**
 * Attention weights of every layer and head, shared by the head view and the model view.
 * Self-attention: `tokens` are both the queries and the keys. Cross-attention (a seq2seq
 * decoder reading the encoder): `tokens` are the queries (target) and `keyTokens` the keys (source).
 */
export interface AttentionWeights {
  title: string;
  /** Query tokens (untrusted text: always escaped); also the keys unless keyTokens is given. */
  tokens: string[];
  /** Key tokens, when they differ from the queries (cross-attention). */
  keyTokens?: string[];
  nLayers: number;
  nHeads: number;
  /** weights[layer][head][query][key]; every row sums to 1. */
  weights: number[][][][];
  /** True when a query may not attend to later keys (decoder self-attention). */
  causal: boolean;
}

/** Head view: lines from each query token (left) to the keys it reads (right), one layer, some heads. */
export interface HeadViewSpec extends AttentionWeights {
  kind: 'head-view';
  version: 1;
  /** Initial selection: the layer, and the heads whose lines are drawn. */
  layer: number;
  heads: number[];
}

/** Model view: a small head view for every layer (rows) and head (columns); click one to zoom. */
export interface ModelViewSpec extends AttentionWeights {
  kind: 'model-view';
  version: 1;
}

/** Attention of one sentence at saved checkpoints of a training run, one frame per step. */
export interface AttentionTrainingSpec {
  kind: 'attention-training';
  version: 1;
  title: string;
  tokens: string[];
  nLayers: number;
  nHeads: number;
  causal: boolean;
  /** Training step of each frame, increasing. */
  steps: number[];
  /** frames[frame][layer][head][query][key]. */
  frames: number[][][][][];
  /** Initial selection. */
  frame: number;
  layer: number;
  head: number;
}

/**
 * Neuron view: how one head of one layer scores keys. q[t] and k[t] are the head's query and key
 * vectors of token t (headSize numbers each); the view multiplies q[query] with every k[key]
 * element by element, sums (the score), scales by 1/sqrt(headSize) and takes the softmax.
 */
export interface NeuronViewSpec {
  kind: 'neuron-view';
  version: 1;
  title: string;
  tokens: string[];
  layer: number;
  head: number;
  headSize: number;
  causal: boolean;
  /** q[token][dimension], k[token][dimension]. */
  q: number[][];
  k: number[][];
  /** Initial query token. */
  query: number;
}

export type Spec =
  | TrainingSpec
  | AttentionSpec
  | HeadViewSpec
  | ModelViewSpec
  | AttentionTrainingSpec
  | NeuronViewSpec
  | ClassificationSpec
  | TokenMaskSpec
  | CompareSpec
  | PeftDiagramSpec
  | QuantHistogramSpec
  | QuantErrorSpec
  | QuantOutliersSpec
  | QuantTradeoffSpec
  | RunComparisonSpec
  | AlignPipelineSpec
  | RewardScatterSpec
  | GrpoGroupsSpec
  | RewardKlSpec
  | RlSamplesSpec;

function header(o: Record<string, unknown>, kind: Exclude<SpecKind, 'training'>): void {
  checkHeader(o, kind, [SPEC_VERSIONS[kind]]);
}

export function validateAttentionSpec(v: unknown): AttentionSpec {
  const o = obj(v, 'spec');
  header(o, 'attention');
  const n = tokenCount(o.tokens, 'tokens');
  const nLayers = int(o.nLayers, 'nLayers', 1);
  const nHeads = int(o.nHeads, 'nHeads', 1);
  checkAttentionSize('attention view', { nLayers, nHeads, queries: n });
  tokenList(o.tokens, 'tokens');
  grid(o.weights, 'weights', [nLayers, nHeads, n, n]);
  if (typeof o.causal !== 'boolean') fail('causal', 'a boolean', o.causal);
  const layer = int(o.layer, 'layer');
  const head = int(o.head, 'head');
  if (layer >= nLayers) throw new SpecError(`layer (${layer}) must be < nLayers (${nLayers})`);
  if (head >= nHeads) throw new SpecError(`head (${head}) must be < nHeads (${nHeads})`);
  return o as unknown as AttentionSpec;
}

/** The length of a non-empty array of tokens, read before its items are (the size check comes first). */
function tokenCount(v: unknown, path: string): number {
  const tokens = arr(v, path);
  if (tokens.length === 0) fail(path, 'a non-empty array', v);
  return tokens.length;
}

function tokenList(v: unknown, path: string): string[] {
  const tokens = arr(v, path);
  tokens.forEach((t, i) => str(t, `${path}[${i}]`));
  if (tokens.length === 0) fail(path, 'a non-empty array', v);
  return tokens as string[];
}

/** A nested array of numbers (null allowed: NaN sent as JSON) of exactly `shape`. */
function grid(v: unknown, path: string, shape: number[]): void {
  if (shape.length === 1) {
    numbers(v, path, shape[0]);
    return;
  }
  arr(v, path, shape[0]).forEach((inner, i) => grid(inner, `${path}[${i}]`, shape.slice(1)));
}

function below(o: Record<string, unknown>, key: string, bound: number, boundName: string): number {
  const n = int(o[key], key);
  if (n >= bound) throw new SpecError(`${key} (${n}) must be < ${boundName} (${bound})`);
  return n;
}

function attentionWeights(o: Record<string, unknown>, view: string): { nLayers: number; nHeads: number } {
  const queries = tokenCount(o.tokens, 'tokens');
  const cross = o.keyTokens !== undefined;
  const keys = cross ? tokenCount(o.keyTokens, 'keyTokens') : queries;
  const nLayers = int(o.nLayers, 'nLayers', 1);
  const nHeads = int(o.nHeads, 'nHeads', 1);
  checkAttentionSize(cross ? 'cross-attention view' : view, { nLayers, nHeads, queries, keys: cross ? keys : undefined });
  tokenList(o.tokens, 'tokens');
  if (cross) tokenList(o.keyTokens, 'keyTokens');
  grid(o.weights, 'weights', [nLayers, nHeads, queries, keys]);
  if (typeof o.causal !== 'boolean') fail('causal', 'a boolean', o.causal);
  if (o.causal && o.keyTokens !== undefined) throw new SpecError('causal must be false when keyTokens is given (cross-attention reads every source token)');
  return { nLayers, nHeads };
}

export function validateHeadViewSpec(v: unknown): HeadViewSpec {
  const o = obj(v, 'spec');
  header(o, 'head-view');
  const { nLayers, nHeads } = attentionWeights(o, 'head view');
  below(o, 'layer', nLayers, 'nLayers');
  const heads = arr(o.heads, 'heads');
  heads.forEach((h, i) => {
    const n = int(h, `heads[${i}]`);
    if (n >= nHeads) throw new SpecError(`heads[${i}] (${n}) must be < nHeads (${nHeads})`);
  });
  return o as unknown as HeadViewSpec;
}

export function validateModelViewSpec(v: unknown): ModelViewSpec {
  const o = obj(v, 'spec');
  header(o, 'model-view');
  attentionWeights(o, 'model view');
  return o as unknown as ModelViewSpec;
}

export function validateAttentionTrainingSpec(v: unknown): AttentionTrainingSpec {
  const o = obj(v, 'spec');
  header(o, 'attention-training');
  const n = tokenCount(o.tokens, 'tokens');
  const nLayers = int(o.nLayers, 'nLayers', 1);
  const nHeads = int(o.nHeads, 'nHeads', 1);
  const steps = arr(o.steps, 'steps');
  if (steps.length === 0) fail('steps', 'a non-empty array', o.steps);
  checkAttentionSize('attention training view', { nLayers, nHeads, queries: n, frames: steps.length });
  tokenList(o.tokens, 'tokens');
  if (typeof o.causal !== 'boolean') fail('causal', 'a boolean', o.causal);
  steps.forEach((s, i) => {
    int(s, `steps[${i}]`);
    if (i > 0 && (s as number) <= (steps[i - 1] as number)) throw new SpecError(`steps must increase, got steps[${i - 1}] = ${steps[i - 1]} then steps[${i}] = ${s}`);
  });
  grid(o.frames, 'frames', [steps.length, nLayers, nHeads, n, n]);
  below(o, 'frame', steps.length, 'the number of steps');
  below(o, 'layer', nLayers, 'nLayers');
  below(o, 'head', nHeads, 'nHeads');
  return o as unknown as AttentionTrainingSpec;
}

export function validateNeuronViewSpec(v: unknown): NeuronViewSpec {
  const o = obj(v, 'spec');
  header(o, 'neuron-view');
  const n = tokenCount(o.tokens, 'tokens');
  const headSize = int(o.headSize, 'headSize', 1);
  checkNeuronSize(n, headSize);
  tokenList(o.tokens, 'tokens');
  int(o.layer, 'layer');
  int(o.head, 'head');
  if (typeof o.causal !== 'boolean') fail('causal', 'a boolean', o.causal);
  grid(o.q, 'q', [n, headSize]);
  grid(o.k, 'k', [n, headSize]);
  below(o, 'query', n, 'the number of tokens');
  return o as unknown as NeuronViewSpec;
}

/**
 * Parse what a kernel sent: tslab's display sends `+json` data as a JSON string,
 * ipykernel sends an object. Both are accepted.
 */
export function parseSpecData(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch (e) {
    throw new SpecError(`spec is not valid JSON: ${(e as Error).message}`);
  }
}
