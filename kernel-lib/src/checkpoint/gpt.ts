/**
 * GPT checkpoints: a folder with `model.safetensors` (the weights, with Hugging Face GPT-2 tensor
 * names and layouts: Linear weights are [in, out], as GPT-2's Conv1D) and `config.json` (GPT-2's
 * config keys, so `GPT2LMHeadModel.from_pretrained(folder)` in Python loads it; our own settings,
 * such as the tokenizer, sit under "llm_lab").
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { GPT, GPTConfig } from '../models/gpt';
import { Module } from '../nn/module';
import { decodeSafetensors, encodeSafetensors, NamedArray } from './safetensors';

export interface CheckpointExtras {
  /** Anything JSON the course wants back with the model (the tokenizer, the training recipe). */
  [key: string]: unknown;
}

/** GPT-2's config.json keys for our config. */
function hfConfig(c: GPTConfig, extras: CheckpointExtras): object {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: c.vocabSize,
    n_positions: c.blockSize,
    n_ctx: c.blockSize,
    n_embd: c.nEmbd,
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_inner: 4 * c.nEmbd,
    activation_function: 'gelu_new', // the tanh approximation
    layer_norm_epsilon: 1e-5,
    tie_word_embeddings: true,
    llm_lab: { config: c, ...extras }
  };
}

/** Write `folder/model.safetensors` and `folder/config.json`. */
export async function saveGPT(model: GPT, folder: string, extras: CheckpointExtras = {}): Promise<void> {
  if (model.config.mlp === false) {
    throw new Error('saveGPT: this GPT is attention-only (mlp: false), which the GPT-2 checkpoint format cannot describe (every GPT-2 block has an MLP); it is not saved');
  }
  const tensors = new Map<string, NamedArray>();
  for (const [name, v] of model.namedParameters()) tensors.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'model.safetensors'), encodeSafetensors(tensors, { format: 'pt' }));
  fs.writeFileSync(path.join(folder, 'config.json'), JSON.stringify(hfConfig(model.config, extras), null, 2) + '\n');
}

/** Read a folder written by saveGPT: a new GPT with those weights, and the extras. */
export function loadGPT(folder: string): { model: GPT; extras: CheckpointExtras } {
  const configFile = path.join(folder, 'config.json');
  if (!fs.existsSync(configFile)) throw new Error(`loadGPT: no config.json in ${folder}`);
  const { llm_lab: lab } = JSON.parse(fs.readFileSync(configFile, 'utf8')) as { llm_lab?: { config: GPTConfig } & CheckpointExtras };
  if (!lab?.config) throw new Error(`loadGPT: ${configFile} has no "llm_lab.config" (not written by saveGPT)`);
  const { config, ...extras } = lab;
  return { model: withWeights(new GPT(config), folder), extras };
}

/** `model` with the weights of `folder`; a model that does not match is disposed, and the error says why. */
export function withWeights<M extends Module>(model: M, folder: string): M {
  try {
    loadWeights(model, folder);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/**
 * Put the weights of `folder/model.safetensors` into an existing model. Every name and shape must
 * match; otherwise nothing changes and the error lists what differs.
 */
export function loadWeights(model: Module, folder: string): void {
  const params = new Map(model.namedParameters());
  const file = path.join(folder, 'model.safetensors');
  const { tensors } = decodeSafetensors(new Uint8Array(fs.readFileSync(file)), file);
  const missing: string[] = [];
  const unexpected: string[] = [];
  const reshaped: string[] = [];
  for (const [name, v] of params) {
    const t = tensors.get(name);
    if (!t) missing.push(`${name} [${v.shape}]`);
    else if (t.shape.join() !== v.shape.join()) reshaped.push(`${name}: checkpoint [${t.shape}], model [${v.shape}]`);
  }
  for (const [name, t] of tensors) if (!params.has(name)) unexpected.push(`${name} [${t.shape}]`);
  if (missing.length + unexpected.length + reshaped.length) {
    const list = (what: string, items: string[]) =>
      items.length ? [`${items.length} ${what}: ${items.slice(0, 4).join('; ')}${items.length > 4 ? `; and ${items.length - 4} more` : ''}`] : [];
    const parts = [...list('missing from the checkpoint', missing), ...list('not in the model', unexpected), ...list('of another shape', reshaped)];
    throw new Error(`the checkpoint ${file} does not match the model. ${parts.join('. ')}`);
  }
  for (const [name, v] of params) {
    const t = tensors.get(name)!;
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, 'float32')));
  }
}
