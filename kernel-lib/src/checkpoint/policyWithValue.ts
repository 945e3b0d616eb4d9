/**
 * Checkpoints of PPO's policy with its value head (TRL's AutoModelForCausalLMWithValueHead): the
 * folder of the GPT (checkpoint/gpt.ts) with `v_head.summary.weight` (1, nEmbd) and
 * `v_head.summary.bias` (1) beside the GPT's tensors, as TRL saves them. transformers reads the
 * folder as a plain GPT-2 (it skips the v_head tensors); the lab reads it back whole, so that a
 * PPO run can go on from where it stopped. llm_lab.valueHead marks such a folder.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GPT, GPTConfig } from '../models/gpt';
import { PolicyWithValue } from '../models/policyWithValue';
import { BpeTokenizer } from '../tokenizers/bpe';
import { CheckpointExtras, checkConfigFitsWeights, readLabConfig, readWeights } from './folder';
import { saveGPTFolder, withWeights } from './gpt';
import { loadTokenizer, TOKENIZER_CONFIG_FILE } from './tokenizer';

/** Write the policy, its value head (and its tokenizer, given as extras.tokenizer) all or nothing. */
export async function savePolicyWithValue(model: PolicyWithValue, folder: string, extras: CheckpointExtras = {}): Promise<void> {
  if (!(model instanceof PolicyWithValue)) throw new Error('savePolicyWithValue: model must be a PolicyWithValue (a GPT alone saves with saveGPT)');
  await saveGPTFolder('savePolicyWithValue', model, model.gpt.config, folder, { ...extras, valueHead: { nEmbd: model.vHead.nEmbd } });
}

/** Read a folder written by savePolicyWithValue: the policy with its value head, its tokenizer when saved with one, and the extras. */
export function loadPolicyWithValue(folder: string): { model: PolicyWithValue; tokenizer?: BpeTokenizer; extras: CheckpointExtras } {
  const { configFile, lab } = readLabConfig('loadPolicyWithValue', folder);
  const { config, valueHead, ...extras } = lab as typeof lab & { valueHead?: unknown };
  if (!valueHead || typeof valueHead !== 'object') {
    throw new Error(`loadPolicyWithValue: ${configFile} has no value head (llm_lab.valueHead); it is ${'rewardModel' in lab ? 'a reward model: load it with loadRewardModel' : 'a GPT without one: load it with loadGPT, then wrap it in new PolicyWithValue(gpt)'}`);
  }
  const tokenizer = fs.existsSync(path.join(folder, TOKENIZER_CONFIG_FILE)) ? loadTokenizer(folder, 'loadPolicyWithValue') : undefined;
  const weights = readWeights(folder);
  checkConfigFitsWeights('loadPolicyWithValue', configFile, 'gpt', config, weights);
  const model = new PolicyWithValue(new GPT(config as GPTConfig));
  return { model: withWeights(model, weights), ...(tokenizer && { tokenizer }), extras };
}
