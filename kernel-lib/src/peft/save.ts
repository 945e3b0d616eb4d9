/**
 * A LoRA adapter on disk, on its own, in Hugging Face PEFT's format, so that `PeftModel.from_pretrained`
 * in Python reads it next to the base model in Hugging Face's format (checkpoint/gpt.ts):
 *
 *   adapter_config.json         { "peft_type": "LORA", "r", "lora_alpha", "lora_dropout", "target_modules", ... }
 *   adapter_model.safetensors   base_model.model.<layer>.lora_A.weight  (r, in)
 *                               base_model.model.<layer>.lora_B.weight  (out, r)
 *                               base_model.model.<parameter>            (modules_to_save, e.g. a classifier's score)
 *
 * PEFT stores A and B as torch.nn.Linear weights, (out, in); ours are (in, out) like GPT-2's
 * Conv1D layers, so they are transposed on the way (and `fan_in_fan_out` is true, as for GPT-2).
 * The adapter's name is not in the file: the loader chooses it.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { readJson, replaceFolder } from '../checkpoint/folder';
import { decodeSafetensors, encodeSafetensors, NamedArray } from '../checkpoint/safetensors';
import type { Module, NamePattern } from '../nn/module';
import type { LoraConfig } from './config';
import { getPeftModel, PeftModel } from './peftModel';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
/** What PEFT puts before a parameter's name in the base model. */
const PREFIX = 'base_model.model.';

export interface SaveAdapterOptions {
  /** Where the base model is (a folder in Hugging Face's format), for whoever loads the adapter. */
  baseModelNameOrPath?: string;
  /** PEFT's task type (default CAUSAL_LM; SEQ_CLS for a classifier). */
  taskType?: string;
  /** Which adapter (default: the active one). */
  adapterName?: string;
}

/** Write the adapter into `folder` (atomically: the folder holds the old files or the new ones). */
export async function saveAdapter(peft: PeftModel, folder: string, options: SaveAdapterOptions = {}): Promise<void> {
  const name = options.adapterName ?? peft.activeAdapter;
  if (!peft.adapterNames.includes(name)) throw new Error(`saveAdapter: no adapter named ${JSON.stringify(name)}; the model has ${peft.adapterNames.map(n => JSON.stringify(n)).join(', ')}`);
  const previous = peft.activeAdapter;
  peft.setAdapter(name); // (checks it is LoRA)
  const config = peft.peftConfig as LoraConfig;
  peft.setAdapter(previous);
  const tensors = new Map<string, NamedArray>();
  for (const [layer, lora] of peft.loraLayers()) {
    if (!lora.adapterNames().includes(name)) continue;
    const { a, b } = lora.adapter(name);
    tensors.set(`${PREFIX}${layer}.lora_A.weight`, await transposed(a.weight)); // (r, in)
    tensors.set(`${PREFIX}${layer}.lora_B.weight`, await transposed(b.weight)); // (out, r)
  }
  for (const pattern of config.modulesToSave ?? []) {
    for (const [param, v] of peft.model.selectParameters(pattern)) tensors.set(`${PREFIX}${param}`, { shape: v.shape, data: (await v.data()) as Float32Array });
  }
  const adapterConfig = {
    peft_type: 'LORA',
    task_type: options.taskType ?? 'CAUSAL_LM',
    base_model_name_or_path: options.baseModelNameOrPath ?? null,
    r: config.r,
    lora_alpha: config.loraAlpha ?? 8,
    lora_dropout: config.loraDropout ?? 0,
    target_modules: peftTargets(config.targetModules),
    modules_to_save: config.modulesToSave ? peftTargets(config.modulesToSave) : null,
    fan_in_fan_out: true,
    bias: 'none',
    inference_mode: true,
    init_lora_weights: true,
    use_rslora: false,
    use_dora: false,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {}
  };
  replaceFolder(folder, { [ADAPTER_CONFIG_FILE]: `${JSON.stringify(adapterConfig, null, 2)}\n`, [ADAPTER_WEIGHTS_FILE]: encodeSafetensors(tensors, { format: 'pt' }) });
}

/**
 * Put the LoRA adapter saved in `folder` on `model` (a base model: PeftModel.from_pretrained), or
 * beside the adapters of a PeftModel under `adapterName`. Every tensor is checked against the
 * layers it goes to before anything changes; a mismatch names it, and the model is left as it was.
 */
export function loadAdapter<M extends Module>(target: M | PeftModel<M>, folder: string, adapterName = 'default'): PeftModel<M> {
  const who = 'loadAdapter';
  const { config, tensors, file } = readAdapter(folder);
  const model = target instanceof PeftModel ? target.model : target;
  // a model of the same shape, for the check: the adapter's layers and sizes must be the model's
  const expected = expectedTensors(model, config);
  const problems: string[] = [];
  for (const [key, shape] of expected) {
    const t = tensors.get(key);
    if (!t) problems.push(`missing ${key} [${shape}]`);
    else if (t.shape.join() !== shape.join()) problems.push(`${key}: file [${t.shape}], model [${shape}]`);
  }
  for (const key of tensors.keys()) if (!expected.has(key)) problems.push(`not in the model: ${key}`);
  if (problems.length) throw new Error(`${who}: ${file} does not fit the model: ${problems.slice(0, 4).join('; ')}${problems.length > 4 ? `; and ${problems.length - 4} more` : ''}`);

  const peft = target instanceof PeftModel ? target : getPeftModel(model, config, adapterName);
  if (target instanceof PeftModel) peft.addAdapter(adapterName, config);
  for (const [layer, lora] of peft.loraLayers()) {
    if (!lora.adapterNames().includes(adapterName)) continue;
    const { a, b } = lora.adapter(adapterName);
    assignTransposed(a.weight, tensors.get(`${PREFIX}${layer}.lora_A.weight`)!);
    assignTransposed(b.weight, tensors.get(`${PREFIX}${layer}.lora_B.weight`)!);
  }
  for (const pattern of config.modulesToSave ?? []) {
    for (const [param, v] of model.selectParameters(pattern)) {
      const t = tensors.get(`${PREFIX}${param}`)!;
      tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, 'float32')));
    }
  }
  return peft;
}

/** adapter_config.json and the weights, checked: a LoRA adapter, finite numbers. */
export function readAdapter(folder: string): { config: LoraConfig; tensors: Map<string, NamedArray>; file: string; baseModelNameOrPath: string | null } {
  const who = 'loadAdapter';
  const configFile = path.join(folder, ADAPTER_CONFIG_FILE);
  const file = path.join(folder, ADAPTER_WEIGHTS_FILE);
  for (const f of [configFile, file]) if (!fs.existsSync(f)) throw new Error(`${who}: no ${path.basename(f)} in ${folder}`);
  const raw = readJson(who, configFile) as Record<string, unknown>;
  if (raw.peft_type !== 'LORA') throw new Error(`${who}: ${configFile} holds a ${JSON.stringify(raw.peft_type)} adapter; only LoRA adapters are read`);
  const patterns = (value: unknown, field: string): NamePattern[] => {
    if (typeof value === 'string') return [new RegExp(`^(?:${value})$`)]; // PEFT: one string is a regex matched against the whole name
    if (Array.isArray(value) && value.every(v => typeof v === 'string')) return value as string[];
    throw new Error(`${who}: ${field} in ${configFile} must be a list of names or a regex, got ${JSON.stringify(value)}`);
  };
  const config: LoraConfig = {
    peftType: 'LORA',
    r: raw.r as number,
    loraAlpha: raw.lora_alpha as number,
    loraDropout: (raw.lora_dropout as number) ?? 0,
    targetModules: patterns(raw.target_modules, 'target_modules'),
    ...(raw.modules_to_save != null && { modulesToSave: patterns(raw.modules_to_save, 'modules_to_save') })
  };
  const { tensors } = decodeSafetensors(new Uint8Array(fs.readFileSync(file)), file);
  for (const [key, t] of tensors) {
    const bad = t.data.findIndex(x => !Number.isFinite(x));
    if (bad >= 0) throw new Error(`${who}: ${key} in ${file} holds ${t.data[bad]} at index ${bad}`);
  }
  return { config, tensors, file, baseModelNameOrPath: typeof raw.base_model_name_or_path === 'string' ? raw.base_model_name_or_path : null };
}

/** The tensor names and shapes an adapter of `config` has on `model`. */
function expectedTensors(model: Module, config: LoraConfig): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const pattern of [config.targetModules].flat()) {
    for (const [name, m] of model.select(pattern)) {
      const layer = m as unknown as { inFeatures?: number; outFeatures?: number };
      if (typeof layer.inFeatures !== 'number' || typeof layer.outFeatures !== 'number') continue;
      out.set(`${PREFIX}${name}.lora_A.weight`, [config.r, layer.inFeatures]);
      out.set(`${PREFIX}${name}.lora_B.weight`, [layer.outFeatures, config.r]);
    }
  }
  for (const pattern of config.modulesToSave ?? []) for (const [param, v] of model.selectParameters(pattern)) out.set(`${PREFIX}${param}`, v.shape);
  return out;
}

/** Our patterns in PEFT's terms: a list of names (suffixes), or one regex for the whole name. */
function peftTargets(patterns: NamePattern | NamePattern[]): string[] | string {
  const list = [patterns].flat();
  if (list.every(p => typeof p === 'string' && !p.includes('*'))) return list as string[];
  // globs and RegExps: one regex, matched against the whole module name (PEFT's re.fullmatch)
  return list.map(p => (p instanceof RegExp ? `.*(?:${p.source}).*` : `(?:.*\\.)?${p.split('.').map(part => (part === '**' ? '.*' : part.split('*').map(s => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*'))).join('\\.')}`)).join('|');
}

async function transposed(v: tf.Variable): Promise<NamedArray> {
  const t = tf.transpose(v);
  const data = (await t.data()) as Float32Array;
  const shape = t.shape;
  t.dispose();
  return { shape, data };
}

function assignTransposed(v: tf.Variable, t: NamedArray): void {
  tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, 'float32').transpose()));
}
