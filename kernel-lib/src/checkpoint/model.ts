/**
 * Checkpoints of any course model: GPT (as a Hugging Face GPT-2 folder, checkpoint/gpt.ts), the
 * BERT-style encoder and the seq2seq model. The same two files: `model.safetensors` (weights by
 * name) and `config.json`, whose "llm_lab" entry says which architecture and config to rebuild.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BERT, BERTConfig } from '../models/bert';
import { GPT } from '../models/gpt';
import { Seq2Seq, Seq2SeqConfig } from '../models/seq2seq';
import { NamedArray, encodeSafetensors } from './safetensors';
import { CheckpointExtras, loadGPT, saveGPT, withWeights } from './gpt';

export type CourseModel = GPT | BERT | Seq2Seq;
type Architecture = 'gpt' | 'bert' | 'seq2seq';

function architectureOf(model: CourseModel): Architecture {
  return model instanceof GPT ? 'gpt' : model instanceof BERT ? 'bert' : 'seq2seq';
}

/** Write `folder/model.safetensors` and `folder/config.json` for a GPT, BERT or Seq2Seq. */
export async function saveModel(model: CourseModel, folder: string, extras: CheckpointExtras = {}): Promise<void> {
  if (model instanceof GPT) return saveGPT(model, folder, extras);
  const tensors = new Map<string, NamedArray>();
  for (const [name, v] of model.namedParameters()) tensors.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
  const architecture = architectureOf(model);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'model.safetensors'), encodeSafetensors(tensors, { format: 'pt' }));
  const config = { model_type: `llm-lab-${architecture}`, llm_lab: { architecture, config: model.config, ...extras } };
  fs.writeFileSync(path.join(folder, 'config.json'), JSON.stringify(config, null, 2) + '\n');
}

/** Read a folder written by saveModel (or saveGPT): the model it describes, with its weights, and the extras. */
export function loadModel(folder: string): { model: CourseModel; extras: CheckpointExtras } {
  const configFile = path.join(folder, 'config.json');
  if (!fs.existsSync(configFile)) throw new Error(`loadModel: no config.json in ${folder}`);
  const { llm_lab: lab } = JSON.parse(fs.readFileSync(configFile, 'utf8')) as { llm_lab?: { architecture?: string; config: object } & CheckpointExtras };
  if (!lab?.config) throw new Error(`loadModel: ${configFile} has no "llm_lab.config" (not written by LLM Lab)`);
  const { architecture = 'gpt', config, ...extras } = lab;
  if (architecture === 'gpt') return loadGPT(folder);
  if (architecture !== 'bert' && architecture !== 'seq2seq') throw new Error(`loadModel: ${configFile} names the architecture ${JSON.stringify(architecture)}; known: "gpt", "bert", "seq2seq"`);
  const model = architecture === 'bert' ? new BERT(config as BERTConfig) : new Seq2Seq(config as Seq2SeqConfig);
  return { model: withWeights(model, folder), extras };
}
