/**
 * A checkpoint's tokenizer. config.json's "llm_lab.tokenizer" holds what rebuilds it (the merges,
 * the special tokens, the chat template: BpeTokenizer.toJSON); `tokenizer_config.json` says the same
 * with Hugging Face's keys (chat_template, added_tokens_decoder, bos_token / eos_token / pad_token,
 * model_max_length), for Python tools. A load checks that the two agree.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BpeTokenizer } from '../tokenizers/bpe';
import { SPECIAL_TOKEN_NAMES } from '../tokenizers/tokenizer';
import { readJson, readLabConfig } from './folder';

export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

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
  const hfFile = path.join(folder, TOKENIZER_CONFIG_FILE);
  if (fs.existsSync(hfFile)) {
    const hf = readJson(who, hfFile) as Record<string, unknown>;
    const expected = tokenizerConfig(tokenizer, 0);
    for (const key of ['added_tokens_decoder', 'chat_template', ...SPECIAL_TOKEN_NAMES.map(n => `${n}_token`)]) {
      if (JSON.stringify(hf?.[key]) !== JSON.stringify(expected[key])) {
        throw new Error(`${who}: ${hfFile} and ${configFile} describe different tokenizers: ${key} is ${brief(hf?.[key])} in one and ${brief(expected[key])} in the other`);
      }
    }
  }
  return tokenizer;
}

function brief(value: unknown): string {
  const s = JSON.stringify(value) ?? 'absent';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
