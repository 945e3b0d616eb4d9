/**
 * GPT-2 folders as `transformers` writes them (save_pretrained), read into the lab: config.json with
 * GPT-2's keys only (no "llm_lab" entry), model.safetensors with GPT-2's tensor names ("h.0.attn.
 * c_attn.weight", or "transformer.h.0..." as GPT2LMHeadModel saves them), and the tokenizer as
 * tokenizer.json, or vocab.json + merges.txt, with tokenizer_config.json beside them.
 *
 * The lab's GPT is GPT-2's architecture, so the weights go in unchanged: Linear weights are [in, out]
 * in both (GPT-2's Conv1D), only the names get the "transformer." prefix. What the lab cannot
 * build (another activation, an untied LM head, another LayerNorm epsilon) is refused with its value.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GPT, GPTConfig } from '../models/gpt';
import { BpeTokenizer } from '../tokenizers/bpe';
import { SPECIAL_TOKEN_NAMES, SpecialTokenName } from '../tokenizers/tokenizer';
import { checkConfigFitsWeights, CONFIG_FILE, readJson, readWeights, Weights } from './folder';
import { NamedArray } from './safetensors';
import { withWeights } from './gpt';
import { HfAddedToken, HfTokenizerExtras, MERGES_FILE, TOKENIZER_JSON_FILE, tokenizerFromHfJson, tokenizerFromVocabAndMerges, VOCAB_FILE } from './hfTokenizer';
import { TOKENIZER_CONFIG_FILE } from './tokenizer';

/** The config.json keys of GPT-2 that the lab reads (transformers' GPT2Config). */
interface Gpt2Config {
  model_type?: string;
  vocab_size?: number;
  n_positions?: number;
  n_embd?: number;
  n_layer?: number;
  n_head?: number;
  n_inner?: number | null;
  activation_function?: string;
  layer_norm_epsilon?: number;
  tie_word_embeddings?: boolean;
  scale_attn_weights?: boolean;
  scale_attn_by_inverse_layer_idx?: boolean;
  embd_pdrop?: number;
  attn_pdrop?: number;
  resid_pdrop?: number;
  bos_token_id?: number | null;
  eos_token_id?: number | null;
  pad_token_id?: number | null;
}

/** GPT2Config's default dropout, for a config.json that does not say. */
const HF_DEFAULT_PDROP = 0.1;

/** The lab's GPTConfig for a GPT-2 config.json, or an error naming the key the lab cannot follow. */
export function gptConfigFromHf(json: unknown, configFile = CONFIG_FILE): GPTConfig {
  const c = (json ?? {}) as Gpt2Config;
  const refuse = (what: string) => new Error(`${configFile}: ${what}`);
  if (c.model_type !== 'gpt2') throw refuse(`model_type is ${JSON.stringify(c.model_type)}; LLM Lab reads "gpt2" folders`);
  for (const key of ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head'] as const) {
    if (!Number.isInteger(c[key]) || c[key]! < 1) throw refuse(`${key} must be a positive integer, got ${JSON.stringify(c[key])}`);
  }
  const nEmbd = c.n_embd!;
  if (c.n_inner != null && c.n_inner !== 4 * nEmbd) throw refuse(`n_inner is ${c.n_inner}; the lab's MLP is 4 × n_embd = ${4 * nEmbd} wide`);
  const activation = c.activation_function ?? 'gelu_new';
  if (activation !== 'gelu_new' && activation !== 'gelu_pytorch_tanh') throw refuse(`activation_function is ${JSON.stringify(activation)}; the lab's GELU is the tanh approximation ("gelu_new")`);
  if (c.layer_norm_epsilon !== undefined && c.layer_norm_epsilon !== 1e-5) throw refuse(`layer_norm_epsilon is ${c.layer_norm_epsilon}; the lab's LayerNorm uses 1e-5`);
  if (c.tie_word_embeddings === false) throw refuse(`tie_word_embeddings is false; the lab's LM head is the token embedding (tied)`);
  if (c.scale_attn_weights === false || c.scale_attn_by_inverse_layer_idx === true) throw refuse(`attention scores are scaled otherwise (scale_attn_weights ${c.scale_attn_weights}, scale_attn_by_inverse_layer_idx ${c.scale_attn_by_inverse_layer_idx}); the lab divides by sqrt(head size)`);
  const rates = (['embd_pdrop', 'attn_pdrop', 'resid_pdrop'] as const).map(k => c[k] ?? HF_DEFAULT_PDROP);
  if (new Set(rates).size > 1) throw refuse(`embd_pdrop, attn_pdrop and resid_pdrop are ${rates.join(', ')}; the lab has one dropout rate for all three`);
  return { vocabSize: c.vocab_size!, blockSize: c.n_positions!, nLayer: c.n_layer!, nHead: c.n_head!, nEmbd, seed: 0, dropout: rates[0] };
}

/**
 * The weights under the lab's names: "transformer." before GPT-2's backbone names; the attention
 * mask buffers that older files hold (attn.bias, attn.masked_bias) dropped; lm_head.weight dropped
 * when it is the token embedding (tied), refused when it is not.
 */
export function labWeights({ file, tensors }: Weights): Weights {
  const out = new Map<string, NamedArray>();
  for (const [name, t] of tensors) {
    if (/\.attn\.(masked_bias|bias)$/.test(name) && t.shape.length === 4) continue; // a causal mask, not a parameter
    if (name === 'lm_head.weight') continue; // compared with wte below
    out.set(name.startsWith('transformer.') ? name : `transformer.${name}`, t);
  }
  const head = tensors.get('lm_head.weight');
  const wte = out.get('transformer.wte.weight');
  if (head && !(wte && head.data.length === wte.data.length && head.data.every((x, i) => x === wte.data[i]))) {
    throw new Error(`${file}: lm_head.weight [${head.shape}] is not the token embedding transformer.wte.weight${wte ? ` [${wte.shape}]` : ' (absent)'}; the lab's LM head is tied to it`);
  }
  return { file, tensors: out };
}

/** A special token as tokenizer_config.json writes it: a string, or an AddedToken object. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const content = (value as { content?: unknown } | null)?.content;
  return typeof content === 'string' ? content : undefined;
}

/**
 * The tokenizer of a transformers folder: tokenizer.json if there is one, else vocab.json +
 * merges.txt with tokenizer_config.json's added tokens; the roles (bos_token, ...) and the chat
 * template from tokenizer_config.json, or the roles from config.json's *_token_id.
 */
export function loadHfTokenizer(folder: string, who = 'loadHfTokenizer'): BpeTokenizer {
  const file = (name: string) => path.join(folder, name);
  const tokConfig = (fs.existsSync(file(TOKENIZER_CONFIG_FILE)) ? readJson(who, file(TOKENIZER_CONFIG_FILE)) : {}) as Record<string, unknown>;
  const config = (fs.existsSync(file(CONFIG_FILE)) ? readJson(who, file(CONFIG_FILE)) : {}) as Record<string, unknown>;
  const decoder = (tokConfig.added_tokens_decoder ?? {}) as Record<string, Omit<HfAddedToken, 'id'>>;
  let added: HfAddedToken[] = Object.entries(decoder).map(([id, t]) => ({ ...t, id: Number(id) }));
  const json = fs.existsSync(file(TOKENIZER_JSON_FILE)) ? (readJson(who, file(TOKENIZER_JSON_FILE)) as { added_tokens?: HfAddedToken[] }) : undefined;
  if (json?.added_tokens) added = json.added_tokens;

  const roles: { [name in SpecialTokenName]?: string } = {};
  for (const name of SPECIAL_TOKEN_NAMES) {
    const id = config[`${name}_token_id`];
    const text = tokenText(tokConfig[`${name}_token`]) ?? added.find(t => t.id === id)?.content;
    if (text !== undefined) roles[name] = text;
  }
  const template = tokConfig.chat_template;
  if (template !== undefined && typeof template !== 'string') throw new Error(`${who}: ${file(TOKENIZER_CONFIG_FILE)}'s chat_template is not one Jinja template (a string); named templates are not supported`);
  const extras: HfTokenizerExtras = { roles, chatTemplate: template };

  if (json) return tokenizerFromHfJson(json, extras, file(TOKENIZER_JSON_FILE));
  if (fs.existsSync(file(VOCAB_FILE)) && fs.existsSync(file(MERGES_FILE))) {
    return tokenizerFromVocabAndMerges(readJson(who, file(VOCAB_FILE)), fs.readFileSync(file(MERGES_FILE), 'utf8'), added, extras, `${file(VOCAB_FILE)} + ${MERGES_FILE}`);
  }
  const has = fs.existsSync(folder) ? fs.readdirSync(folder).join(', ') || 'nothing' : 'no such folder';
  throw new Error(`${who}: ${folder} has neither ${TOKENIZER_JSON_FILE} nor ${VOCAB_FILE} + ${MERGES_FILE} (it holds: ${has})`);
}

/**
 * A GPT-2 folder written by transformers (or any folder in its layout): the lab's GPT with its
 * weights, and its tokenizer. The config is checked against the weights before a tensor is made.
 */
export function loadHfGPT(folder: string, who = 'loadHfGPT'): { model: GPT; tokenizer: BpeTokenizer } {
  const configFile = path.join(folder, CONFIG_FILE);
  if (!fs.existsSync(configFile)) throw new Error(`${who}: no ${CONFIG_FILE} in ${folder}`);
  const config = gptConfigFromHf(readJson(who, configFile), configFile);
  const tokenizer = loadHfTokenizer(folder, who);
  if (tokenizer.vocabSize > config.vocabSize) throw new Error(`${who}: the tokenizer has ${tokenizer.vocabSize} tokens, more than ${configFile}'s vocab_size ${config.vocabSize}`);
  const weights = labWeights(readWeights(folder));
  checkConfigFitsWeights(who, configFile, 'gpt', config, weights);
  return { model: withWeights(new GPT(config), weights), tokenizer };
}
