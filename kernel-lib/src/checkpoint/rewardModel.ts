/**
 * Reward model checkpoints: the folder of a GPT (checkpoint/gpt.ts) whose head is a single score,
 * as Hugging Face writes a reward model (TRL's AutoModelForSequenceClassification with
 * num_labels 1): GPT2ForSequenceClassification, `score.weight` (1, nEmbd) beside the backbone's
 * tensors, num_labels 1 in config.json. The head's seed sits under llm_lab.rewardModel, which is
 * also what tells this loader's folders from a classifier's.
 */
import { GPTBackbone, GPTConfig } from '../models/gpt';
import { GPTRewardModel, RewardModelConfig } from '../models/rewardModel';
import { Init } from '../nn/init';
import { BpeTokenizer } from '../tokenizers/bpe';
import { CheckpointExtras, checkConfigFitsWeights, readLabConfig, readWeights } from './folder';
import { saveGPTFolder, withWeights } from './gpt';
import { loadTokenizer, TOKENIZER_CONFIG_FILE } from './tokenizer';
import * as fs from 'fs';
import * as path from 'path';

/** Write the reward model (and its tokenizer, given as extras.tokenizer) all or nothing. */
export async function saveRewardModel(model: GPTRewardModel, folder: string, extras: CheckpointExtras = {}): Promise<void> {
  const keys = { num_labels: 1, id2label: { '0': 'LABEL_0' }, label2id: { LABEL_0: 0 } };
  await saveGPTFolder('saveRewardModel', model, model.gptConfig, folder, { ...extras, rewardModel: model.config }, { architecture: 'GPT2ForSequenceClassification', keys });
}

/** Read a folder written by saveRewardModel: the reward model with its weights, its tokenizer when saved with one, and the extras. */
export function loadRewardModel(folder: string): { model: GPTRewardModel; tokenizer?: BpeTokenizer; extras: CheckpointExtras } {
  const { configFile, lab } = readLabConfig('loadRewardModel', folder);
  const { config, rewardModel, ...extras } = lab as typeof lab & { rewardModel?: RewardModelConfig };
  if (!rewardModel || typeof rewardModel !== 'object') {
    const what = 'classifier' in lab ? 'a classifier: load it with loadClassifier' : 'a plain GPT: load it with loadGPT';
    throw new Error(`loadRewardModel: ${configFile} has no reward model (llm_lab.rewardModel); it is ${what}`);
  }
  const tokenizer = fs.existsSync(path.join(folder, TOKENIZER_CONFIG_FILE)) ? loadTokenizer(folder, 'loadRewardModel') : undefined;
  const weights = readWeights(folder);
  checkConfigFitsWeights('loadRewardModel', configFile, 'gpt', config, weights);
  const gptConfig = config as GPTConfig;
  const model = new GPTRewardModel(new GPTBackbone(new Init(gptConfig.seed), gptConfig), rewardModel);
  return { model: withWeights(model, weights), ...(tokenizer && { tokenizer }), extras };
}
