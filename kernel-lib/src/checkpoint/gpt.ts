/**
 * GPT checkpoints: a folder with `model.safetensors` (the weights, with Hugging Face GPT-2 tensor
 * names and layouts: Linear weights are [in, out], as GPT-2's Conv1D) and `config.json` (GPT-2's
 * config keys, so `GPT2LMHeadModel.from_pretrained(folder)` in Python loads it; our own settings,
 * such as the tokenizer, sit under "llm_lab"). Saved with its BpeTokenizer, the folder also holds
 * Hugging Face's tokenizer files (checkpoint/tokenizer.ts), its chat template included.
 */
import * as tf from '@tensorflow/tfjs';
import { GPT, GPTConfig } from '../models/gpt';
import { Module } from '../nn/module';
import { BpeTokenizer } from '../tokenizers/bpe';
import { SpecialTokens } from '../tokenizers/tokenizer';
import { CheckpointExtras, checkConfigFitsWeights, readLabConfig, readWeights, Weights, writeCheckpoint } from './folder';
import { loadTokenizer, tokenizerFiles } from './tokenizer';

export type { CheckpointExtras } from './folder';

/** GPT-2's config.json keys for our config; `head` names another architecture and adds its keys (a classifier's labels). */
function hfConfig(c: GPTConfig, extras: CheckpointExtras, head: { architecture: string; keys: object } = { architecture: 'GPT2LMHeadModel', keys: {} }): object {
  const dropout = c.dropout ?? 0;
  // the tokenizer's, or null: an absent id makes GPT2Config assume 50256 (GPT-2's <|endoftext|>), outside our vocabulary
  const special: SpecialTokens = (extras.tokenizer as { specialTokens?: SpecialTokens } | undefined)?.specialTokens ?? {};
  return {
    architectures: [head.architecture],
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
    embd_pdrop: dropout,
    attn_pdrop: dropout,
    resid_pdrop: dropout,
    bos_token_id: special.bos ?? null,
    eos_token_id: special.eos ?? null,
    pad_token_id: special.pad ?? null,
    ...head.keys,
    llm_lab: { config: c, ...extras }
  };
}

/**
 * Write `folder/model.safetensors` and `folder/config.json`, all or nothing: the folder holds the old
 * checkpoint or the new one, never a mix (checkpoint/folder.ts). With `{ tokenizer }` a BpeTokenizer,
 * it goes under llm_lab.tokenizer and into tokenizer_config.json, in the same write.
 */
export async function saveGPT(model: GPT, folder: string, extras: CheckpointExtras = {}): Promise<void> {
  await saveGPTFolder('saveGPT', model, model.config, folder, extras);
}

/**
 * A GPT-2 folder for a model on a GPT backbone (the LM, or a classifier with `head`), with its
 * BpeTokenizer when extras has one.
 */
export async function saveGPTFolder(who: string, model: Module, config: GPTConfig, folder: string, extras: CheckpointExtras, head?: { architecture: string; keys: object }): Promise<void> {
  if (config.mlp === false) {
    throw new Error(`${who}: this GPT is attention-only (mlp: false), which the GPT-2 checkpoint format cannot describe (every GPT-2 block has an MLP); it is not saved`);
  }
  const { tokenizer } = extras;
  if (tokenizer instanceof BpeTokenizer && tokenizer.vocabSize > config.vocabSize) {
    throw new Error(`${who}: the tokenizer has ${tokenizer.vocabSize} tokens, more than the model's vocabSize ${config.vocabSize}; call resizeTokenEmbeddings(model, ${tokenizer.vocabSize}) first. Nothing was written to ${folder}`);
  }
  // without a tokenizer object, older tokenizer files would describe another tokenizer: they go
  const files = tokenizerFiles(tokenizer instanceof BpeTokenizer ? tokenizer : null, config.blockSize);
  await writeCheckpoint(who, model, folder, extras, e => hfConfig(config, e, head), files);
}

/** Read a folder written by saveGPT: a new GPT with those weights, and the extras. */
export function loadGPT(folder: string): { model: GPT; extras: CheckpointExtras } {
  const { configFile, lab } = readLabConfig('loadGPT', folder);
  const { config, ...extras } = lab;
  const weights = readWeights(folder);
  checkConfigFitsWeights('loadGPT', configFile, 'gpt', config, weights);
  return { model: withWeights(new GPT(config as GPTConfig), weights), extras };
}

/**
 * Read a folder written by saveGPT(model, folder, { tokenizer }): the GPT, its tokenizer (chat
 * template included) and the other extras.
 */
export function loadGPTWithTokenizer(folder: string, who = 'loadGPTWithTokenizer'): { model: GPT; tokenizer: BpeTokenizer; extras: CheckpointExtras } {
  const tokenizer = loadTokenizer(folder, who);
  const { model, extras } = loadGPT(folder);
  if (tokenizer.vocabSize > model.config.vocabSize) {
    model.dispose(); // a failed load leaves no tensor behind
    throw new Error(`${who}: the tokenizer has ${tokenizer.vocabSize} tokens, more than the model's vocabSize ${model.config.vocabSize} (in ${folder})`);
  }
  return { model, tokenizer, extras };
}

/** `model` with `weights`; a model that does not match is disposed, and the error says why. */
export function withWeights<M extends Module>(model: M, weights: Weights): M {
  try {
    assignWeights(model, weights);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/**
 * Put the weights of `folder/model.safetensors` into an existing model. Every name and shape must
 * match and every value be finite; otherwise nothing changes and the error lists what differs.
 */
export function loadWeights(model: Module, folder: string): void {
  assignWeights(model, readWeights(folder));
}

function assignWeights(model: Module, { file, tensors }: Weights): void {
  const params = new Map(model.namedParameters());
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
