/**
 * The configs of the course's parameter-efficient methods, in Hugging Face PEFT's vocabulary
 * (`r`, `lora_alpha` -> loraAlpha, `target_modules` -> targetModules, `num_virtual_tokens`, ...), so
 * that a learner who moves to PEFT recognises every knob. `peftType` says which method.
 */
import type { NamePattern } from '../nn/module';
import type { AdapterNonLinearity } from './adapter';

interface CommonConfig {
  /** Modules that train in full beside the method (PEFT's modules_to_save), e.g. a classifier's 'score'. */
  modulesToSave?: NamePattern[];
  /** Seed of the new weights (and of LoRA's dropout masks); default 0. */
  seed?: number;
}

export interface LoraConfig extends CommonConfig {
  peftType: 'LORA';
  /** The rank of the update ΔW = A B. */
  r: number;
  /** ΔW is scaled by loraAlpha / r (default 8, PEFT's). */
  loraAlpha?: number;
  /** Dropout on the adapter's input (default 0). */
  loraDropout?: number;
  /** The layers that get an adapter, by name (see NamePattern): 'c_attn', ['c_attn', 'c_proj'], /mlp/. */
  targetModules: NamePattern | NamePattern[];
}

export interface AdapterConfig extends CommonConfig {
  peftType: 'ADAPTER';
  /** Width m of the bottleneck. */
  bottleneckSize: number;
  nonLinearity?: AdapterNonLinearity;
  /** Where adapters go (default: after attention and after the MLP, ['attn.c_proj', 'mlp.c_proj']). */
  targetModules?: NamePattern | NamePattern[];
  /** Train the LayerNorms too, as Houlsby et al. do (default true). */
  trainLayerNorms?: boolean;
}

export interface IA3Config extends CommonConfig {
  peftType: 'IA3';
  /** The layers that get a scaling vector (default ['c_attn', 'mlp.c_proj']). */
  targetModules?: NamePattern | NamePattern[];
  /** Of those, the ones whose input is scaled (the MLP's hidden activation; default ['mlp.c_proj']). */
  feedforwardModules?: NamePattern | NamePattern[];
}

export interface PromptTuningConfig extends CommonConfig {
  peftType: 'PROMPT_TUNING';
  numVirtualTokens: number;
  /** 'RANDOM' (default), or 'TEXT': start from the embeddings of promptTuningInitIds, repeated to fill n. */
  promptTuningInit?: 'RANDOM' | 'TEXT';
  promptTuningInitIds?: number[];
}

export interface PrefixTuningConfig extends CommonConfig {
  peftType: 'PREFIX_TUNING';
  numVirtualTokens: number;
  /** Train through the paper's reparameterisation MLP (default true). */
  prefixProjection?: boolean;
  /** Hidden width of that MLP (default 4 x d_model). */
  encoderHiddenSize?: number;
}

export interface BitFitConfig extends CommonConfig {
  peftType: 'BITFIT';
}

export type PeftConfig = LoraConfig | AdapterConfig | IA3Config | PromptTuningConfig | PrefixTuningConfig | BitFitConfig;
export type PeftType = PeftConfig['peftType'];

export const PEFT_TYPES: PeftType[] = ['LORA', 'ADAPTER', 'IA3', 'PROMPT_TUNING', 'PREFIX_TUNING', 'BITFIT'];

/** A config's patterns as a list. */
export function patternList(patterns: NamePattern | NamePattern[] | undefined, fallback: NamePattern[]): NamePattern[] {
  if (patterns === undefined) return fallback;
  return Array.isArray(patterns) ? patterns : [patterns];
}

export function describePattern(p: NamePattern): string {
  return p instanceof RegExp ? String(p) : JSON.stringify(p);
}

/** A whole number >= 1 (and <= most), or an error naming the field and the value. */
export function checkCount(where: string, field: string, value: unknown, most = Infinity, why = ''): void {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= most)) {
    throw new Error(`${where}: ${field} must be an integer in [1, ${most === Infinity ? '∞' : most}]${why}, got ${JSON.stringify(value)}`);
  }
}
