/**
 * A checkpoint's tokenizer. config.json's "llm_lab.tokenizer" holds what rebuilds it (the merges,
 * the special tokens, the chat template: BpeTokenizer.toJSON); `tokenizer_config.json` says the same
 * with Hugging Face's keys (chat_template, added_tokens_decoder, bos_token / eos_token / pad_token,
 * model_max_length), and tokenizer.json, vocab.json and merges.txt hold the tokenizer itself in Hugging
 * Face's formats (checkpoint/hfTokenizer.ts), for Python and JavaScript tools. A load checks that they agree.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BpeTokenizer } from '../tokenizers/bpe';
import { SPECIAL_TOKEN_NAMES } from '../tokenizers/tokenizer';
import { readJson, readLabConfig } from './folder';
import { hfTokenizerJson, hfVocab, MERGES_FILE, mergesText, TOKENIZER_JSON_FILE, VOCAB_FILE } from './hfTokenizer';

export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

/**
 * The tokenizer files of a checkpoint folder: tokenizer_config.json, tokenizer.json, vocab.json and
 * merges.txt (checkpoint/hfTokenizer.ts); all null without a tokenizer, so a save removes stale ones.
 */
export function tokenizerFiles(tokenizer: BpeTokenizer | null, modelMaxLength: number): Record<string, object | string | null> {
  return {
    [TOKENIZER_CONFIG_FILE]: tokenizer && tokenizerConfig(tokenizer, modelMaxLength),
    [TOKENIZER_JSON_FILE]: tokenizer && hfTokenizerJson(tokenizer),
    [VOCAB_FILE]: tokenizer && hfVocab(tokenizer),
    [MERGES_FILE]: tokenizer && mergesText(tokenizer)
  };
}

/** How transformers describes one added token (tokenizers' AddedToken); ours are all special and matched as written. */
interface AddedTokenEntry {
  content: string;
  lstrip: false;
  normalized: false;
  rstrip: false;
  single_word: false;
  special: true;
}

/** tokenizer_config.json for `tokenizer`, whose model reads at most `modelMaxLength` tokens (its blockSize). */
export function tokenizerConfig(tokenizer: BpeTokenizer, modelMaxLength: number): Record<string, unknown> {
  const decoder: Record<string, AddedTokenEntry> = {};
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    if (!tokenizer.isSpecial(id)) continue;
    decoder[id] = { content: tokenizer.decode([id]), lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  }
  const roles: Record<string, string> = {};
  for (const name of SPECIAL_TOKEN_NAMES) {
    const id = tokenizer.specialTokens[name];
    if (id !== undefined) roles[`${name}_token`] = tokenizer.decode([id]);
  }
  return {
    added_tokens_decoder: decoder,
    additional_special_tokens: [...tokenizer.addedTokens],
    ...roles,
    ...(tokenizer.chatTemplate !== undefined && { chat_template: tokenizer.chatTemplate }),
    // tokenizer.json as written, not GPT2TokenizerFast, which may reset the pre-tokenizer to GPT-2's
    tokenizer_class: 'PreTrainedTokenizerFast',
    clean_up_tokenization_spaces: false,
    model_max_length: modelMaxLength
  };
}

/**
 * The tokenizer saved in `folder` (transformers' AutoTokenizer.from_pretrained): built from
 * config.json's llm_lab.tokenizer and checked against tokenizer_config.json when the folder has one.
 */
export function loadTokenizer(folder: string, who = 'loadTokenizer'): BpeTokenizer {
  const { configFile, lab } = readLabConfig(who, folder);
  if (lab.tokenizer === undefined) throw new Error(`${who}: ${configFile} has no tokenizer under llm_lab.tokenizer`);
  let tokenizer: BpeTokenizer;
  try {
    tokenizer = BpeTokenizer.fromJSON(lab.tokenizer, `${configFile}'s llm_lab.tokenizer`);
  } catch (e) {
    throw new Error(`${who}: ${(e as Error).message}`);
  }
  checkAgrees(who, path.join(folder, TOKENIZER_CONFIG_FILE), configFile, tokenizerConfig(tokenizer, 0), ['added_tokens_decoder', 'chat_template', ...SPECIAL_TOKEN_NAMES.map(n => `${n}_token`)]);
  checkAgrees(who, path.join(folder, TOKENIZER_JSON_FILE), configFile, hfTokenizerJson(tokenizer) as Record<string, unknown>, ['added_tokens', 'pre_tokenizer', 'model']);
  return tokenizer;
}

/** When `hfFile` exists, its `keys` must hold what `expected` (built from config.json's llm_lab.tokenizer) holds. */
function checkAgrees(who: string, hfFile: string, configFile: string, expected: Record<string, unknown>, keys: string[]): void {
  if (!fs.existsSync(hfFile)) return; // a folder saved before the lab wrote that file
  const hf = readJson(who, hfFile) as Record<string, unknown>;
  for (const key of keys) {
    if (JSON.stringify(hf?.[key]) !== JSON.stringify(expected[key])) {
      throw new Error(`${who}: ${hfFile} and ${configFile} describe different tokenizers: ${key} is ${brief(hf?.[key])} in one and ${brief(expected[key])} in the other`);
    }
  }
}

function brief(value: unknown): string {
  const s = JSON.stringify(value) ?? 'absent';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
