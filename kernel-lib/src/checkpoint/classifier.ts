/**
 * Classifier checkpoints: the folder of a GPT (checkpoint/gpt.ts) whose head is a classifier, as
 * Hugging Face's GPT2ForSequenceClassification writes it: `score.weight` (numLabels, nEmbd) beside
 * the backbone's tensors, and the class names as `id2label` / `label2id` in config.json. The
 * pooling and the head's seed sit under llm_lab.classifier ('mean' pooling is ours: transformers
 * always reads the last real token).
 */
import { GPTBackbone, GPTConfig } from '../models/gpt';
import { ClassifierConfig, GPTForSequenceClassification } from '../models/gptClassifier';
import { Init } from '../nn/init';
import { BpeTokenizer } from '../tokenizers/bpe';
import { CheckpointExtras, checkConfigFitsWeights, readLabConfig, readWeights } from './folder';
import { saveGPTFolder, withWeights } from './gpt';
import { loadTokenizer, TOKENIZER_CONFIG_FILE } from './tokenizer';
import * as fs from 'fs';
import * as path from 'path';

/** Write the classifier (and its tokenizer, given as extras.tokenizer) all or nothing. */
export async function saveClassifier(model: GPTForSequenceClassification, folder: string, extras: CheckpointExtras = {}): Promise<void> {
  const { labels } = model.config;
  const keys = {
    num_labels: labels.length,
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i]))
  };
  await saveGPTFolder('saveClassifier', model, model.gptConfig, folder, { ...extras, classifier: model.config }, { architecture: 'GPT2ForSequenceClassification', keys });
}

/** Read a folder written by saveClassifier: the classifier with its weights, its tokenizer when saved with one, and the extras. */
export function loadClassifier(folder: string): { model: GPTForSequenceClassification; tokenizer?: BpeTokenizer; extras: CheckpointExtras } {
  const { configFile, lab } = readLabConfig('loadClassifier', folder);
  const { config, classifier, ...extras } = lab as typeof lab & { classifier?: ClassifierConfig };
  if (!classifier || !Array.isArray(classifier.labels)) {
    throw new Error(`loadClassifier: ${configFile} has no classifier (llm_lab.classifier); it is a plain GPT: load it with loadGPT`);
  }
  const tokenizer = fs.existsSync(path.join(folder, TOKENIZER_CONFIG_FILE)) ? loadTokenizer(folder, 'loadClassifier') : undefined;
  const weights = readWeights(folder);
  checkConfigFitsWeights('loadClassifier', configFile, 'gpt', config, weights);
  const gptConfig = config as GPTConfig;
  const model = new GPTForSequenceClassification(new GPTBackbone(new Init(gptConfig.seed), gptConfig), classifier);
  return { model: withWeights(model, weights), ...(tokenizer && { tokenizer }), extras };
}
