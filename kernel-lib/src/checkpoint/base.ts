/**
 * The course's base model: a small GPT with a byte-level BPE tokenizer, pretrained once by
 * `npm run pretrain:base` (scripts/pretrain-base.mjs) on Moby Dick and the State of the Union
 * addresses. It is committed with the library, so the fine-tuning and alignment notebooks start
 * from it without waiting; its recipe (seed, steps, time, tokens/s, validation perplexity) sits
 * next to it in recipe.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GPT } from '../models/gpt';
import { BpeTokenizer } from '../tokenizers/bpe';
import { readJson } from './folder';
import { loadGPTWithTokenizer } from './gpt';

/** kernel-lib/checkpoints/base (from dist/checkpoint/ or src/checkpoint/). */
export const BASE_MODEL_DIR = path.resolve(__dirname, '../../checkpoints/base');

/** What recipe.json records about the base model's pretraining. */
export interface BaseRecipe {
  [key: string]: unknown;
  seed: number;
  steps: number;
  trainSeconds: number;
  tokensPerSec: number;
  valLoss: number;
  valPerplexity: number;
}

export function loadBaseModel(folder: string = BASE_MODEL_DIR): { model: GPT; tokenizer: BpeTokenizer; recipe: BaseRecipe } {
  if (!fs.existsSync(path.join(folder, 'config.json'))) {
    throw new Error(`loadBaseModel: no base model in ${folder}; train it with \`npm run pretrain:base\``);
  }
  const { model, tokenizer } = loadGPTWithTokenizer(folder, 'loadBaseModel');
  try {
    const recipeFile = path.join(folder, 'recipe.json');
    if (!fs.existsSync(recipeFile)) throw new Error(`loadBaseModel: no recipe.json in ${folder}`);
    const recipe = readJson('loadBaseModel', recipeFile) as BaseRecipe;
    return { model, tokenizer, recipe };
  } catch (e) {
    model.dispose(); // a failed load leaves no tensor behind
    throw e;
  }
}
