/**
 * Checkpoints of any course model: GPT (as a Hugging Face GPT-2 folder, checkpoint/gpt.ts), the
 * BERT-style encoder and the seq2seq model. The same two files: `model.safetensors` (weights by
 * name) and `config.json`, whose "llm_lab" entry says which architecture and config to rebuild.
 */
import { BERT, BERTConfig } from '../models/bert';
import { GPT } from '../models/gpt';
import { Seq2Seq, Seq2SeqConfig } from '../models/seq2seq';
import { CheckpointExtras, checkConfigFitsWeights, readLabConfig, readWeights, writeCheckpoint } from './folder';
import { loadGPT, saveGPT, withWeights } from './gpt';

export type CourseModel = GPT | BERT | Seq2Seq;
type Architecture = 'gpt' | 'bert' | 'seq2seq';

function architectureOf(model: CourseModel): Architecture {
  return model instanceof GPT ? 'gpt' : model instanceof BERT ? 'bert' : 'seq2seq';
}

/** Write `folder/model.safetensors` and `folder/config.json` for a GPT, BERT or Seq2Seq, all or nothing. */
export async function saveModel(model: CourseModel, folder: string, extras: CheckpointExtras = {}): Promise<void> {
  if (model instanceof GPT) return saveGPT(model, folder, extras);
  const architecture = architectureOf(model);
  await writeCheckpoint('saveModel', model, folder, extras, e => ({ model_type: `llm-lab-${architecture}`, llm_lab: { architecture, config: model.config, ...e } }));
}

/** Read a folder written by saveModel (or saveGPT): the model it describes, with its weights, and the extras. */
export function loadModel(folder: string): { model: CourseModel; extras: CheckpointExtras } {
  const { configFile, lab } = readLabConfig('loadModel', folder);
  const { architecture = 'gpt', config, ...extras } = lab;
  if (architecture === 'gpt') return loadGPT(folder);
  if (architecture !== 'bert' && architecture !== 'seq2seq') throw new Error(`loadModel: ${configFile} names the architecture ${JSON.stringify(architecture)}; known: "gpt", "bert", "seq2seq"`);
  const weights = readWeights(folder);
  checkConfigFitsWeights('loadModel', configFile, architecture, config, weights);
  const model = architecture === 'bert' ? new BERT(config as BERTConfig) : new Seq2Seq(config as Seq2SeqConfig);
  return { model: withWeights(model, weights), extras };
}
