/**
 * The checkpoint folder on disk, shared by every format (gpt.ts, model.ts): `model.safetensors` and
 * `config.json`, the format's other JSON files (tokenizer_config.json), plus whatever else the
 * folder holds (a recipe, notes).
 *
 * A save checks and serialises everything first (the weights read back, the config's JSON built),
 * writes the files into a temporary sibling folder and then swaps that folder in: the folder on disk
 * is the old checkpoint or the new one, never a mix. A load reads config.json and the weights and
 * checks their structure, sizes and values before it makes a single tensor.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Module } from '../nn/module';
import { decodeSafetensors, encodeSafetensors, NamedArray } from './safetensors';

export const WEIGHTS_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';

export interface CheckpointExtras {
  /** Anything JSON the course wants back with the model (the tokenizer, the training recipe). */
  [key: string]: unknown;
}

/** The keys the loaders read under "llm_lab"; an extra of that name would hide them. */
const RESERVED_KEYS = ['config', 'architecture'];

/** The weights of one checkpoint file, checked: well-formed and every value finite. */
export interface Weights {
  file: string;
  tensors: Map<string, NamedArray>;
}

/**
 * Write `model`'s weights, the config.json that `configJson(extras)` builds and the other `files`
 * (file name -> a JSON value for a .json file, the text of a .txt file such as merges.txt; null: the
 * folder must not hold that file any more) into `folder`, all or nothing. `who` names the caller in errors.
 */
export async function writeCheckpoint(who: string, model: Module, folder: string, extras: CheckpointExtras, configJson: (extras: CheckpointExtras) => object, files: Record<string, object | string | null> = {}): Promise<void> {
  const params = model.namedParameters();
  const freed = params.filter(([, v]) => v.isDisposed);
  if (params.length === 0 || freed.length > 0) {
    const which = freed.length ? `${freed.length} of its ${params.length} parameters are disposed (${freed[0][0]} first)` : 'it has no parameters';
    throw new Error(`${who}: the model cannot be saved: ${which}; was model.dispose() called? Nothing was written to ${folder}`);
  }
  const reserved = Object.keys(extras).filter(k => RESERVED_KEYS.includes(k));
  if (reserved.length) {
    throw new Error(`${who}: the extras key${reserved.length > 1 ? 's' : ''} ${reserved.map(k => JSON.stringify(k)).join(', ')} would hide what the loader reads under "llm_lab" (reserved: ${RESERVED_KEYS.join(', ')}); rename ${reserved.length > 1 ? 'them' : 'it'}. Nothing was written to ${folder}`);
  }
  let config: string;
  try {
    config = JSON.stringify(configJson(extras), null, 2) + '\n';
  } catch (e) {
    throw new Error(`${who}: the extras cannot be written as JSON (${(e as Error).message}). Nothing was written to ${folder}`);
  }
  const jsonFiles: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(files)) {
    const kind = /^[\w.-]+\.(json|txt)$/.exec(name)?.[1];
    if (name === WEIGHTS_FILE || name === CONFIG_FILE || !kind || (value !== null && (typeof value === 'string') !== (kind === 'txt'))) {
      throw new Error(`${who}: ${JSON.stringify(name)} cannot be an extra file of a checkpoint (a .json file given as a value, not ${CONFIG_FILE}, or a .txt file given as text). Nothing was written to ${folder}`);
    }
    jsonFiles[name] = value === null || typeof value === 'string' ? value : JSON.stringify(value, null, 2) + '\n';
  }
  const tensors = new Map<string, NamedArray>();
  for (const [name, v] of params) tensors.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
  replaceFolder(folder, { [WEIGHTS_FILE]: encodeSafetensors(tensors, { format: 'pt' }), [CONFIG_FILE]: config, ...jsonFiles });
}

/**
 * Make `folder` hold `files` (and the other entries it already had; a file given as null is left
 * out): written to a temporary sibling, which then takes the folder's place. On any failure the old
 * folder is as it was and no temporary folder is left.
 */
export function replaceFolder(folder: string, files: Record<string, Uint8Array | string | null>): void {
  const target = path.resolve(folder);
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const existed = fs.existsSync(target);
  if (existed && !fs.statSync(target).isDirectory()) throw new Error(`${target} is a file, not a checkpoint folder`);
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.saving-`));
  const aside = `${staging}.old`;
  try {
    if (existed) {
      for (const entry of fs.readdirSync(target)) {
        if (!(entry in files)) fs.cpSync(path.join(target, entry), path.join(staging, entry), { recursive: true });
      }
    }
    for (const [name, content] of Object.entries(files)) if (content !== null) writeDurably(path.join(staging, name), content);
    if (existed) fs.renameSync(target, aside);
    try {
      fs.renameSync(staging, target);
    } catch (e) {
      if (existed) fs.renameSync(aside, target);
      throw e;
    }
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
  if (existed) fs.rmSync(aside, { recursive: true, force: true });
}

/** Written and flushed to the disk, so the swap never publishes a file still in the page cache only. */
function writeDurably(file: string, content: Uint8Array | string): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** `folder/config.json`'s "llm_lab" entry, which must hold a config object. */
export function readLabConfig(who: string, folder: string): { configFile: string; lab: { config: object; architecture?: unknown } & CheckpointExtras } {
  const configFile = path.join(folder, CONFIG_FILE);
  if (!fs.existsSync(configFile)) throw new Error(`${who}: no ${CONFIG_FILE} in ${folder}`);
  const json = readJson(who, configFile) as { llm_lab?: { config?: unknown } } | null;
  const lab = json?.llm_lab;
  if (typeof lab?.config !== 'object' || lab.config === null) throw new Error(`${who}: ${configFile} has no "llm_lab.config" (not written by LLM Lab); a GPT-2 folder written by transformers loads with loadHfGPT`);
  return { configFile, lab: lab as { config: object } & CheckpointExtras };
}

/** A JSON file's value; a file that is not JSON is an error naming it. */
export function readJson(who: string, file: string): unknown {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${who}: ${file} is not valid JSON (${(e as Error).message})`);
  }
}

/** `folder/model.safetensors`, decoded and checked: every value must be a finite number. */
export function readWeights(folder: string): Weights {
  const file = path.join(folder, WEIGHTS_FILE);
  if (!fs.existsSync(file)) throw new Error(`no ${WEIGHTS_FILE} in ${folder}`);
  const { tensors } = decodeSafetensors(new Uint8Array(fs.readFileSync(file)), file);
  const bad: string[] = [];
  for (const [name, { data }] of tensors) {
    let nan = 0;
    let inf = 0;
    for (const x of data) if (Number.isNaN(x)) nan++;
    else if (!Number.isFinite(x)) inf++;
    if (nan + inf) bad.push(`${name} has ${nan + inf} of ${data.length} (${nan} NaN, ${inf} ±Infinity)`);
  }
  if (bad.length) {
    throw new Error(`${file}: ${bad.length} tensor${bad.length > 1 ? 's hold' : ' holds'} values that are not finite numbers: ${bad.slice(0, 4).join('; ')}${bad.length > 4 ? `; and ${bad.length - 4} more` : ''}`);
  }
  return { file, tensors };
}

/** The config's sizes, as far as a checkpoint needs them (every course architecture has these). */
interface Sizes {
  vocabSize: number;
  nEmbd: number;
  nLayer: number;
  nEncoderLayer?: number;
  nDecoderLayer?: number;
  mlp?: boolean;
}

/**
 * Refuse, before any model is built, a config whose model cannot fit in the weights: the config implies
 * at least the token embedding (vocabSize × nEmbd) and, per block, attention (4 nEmbd²: q, k, v,
 * output) and an MLP (8 nEmbd²); a decoder block has a second attention over the encoder. Norms,
 * biases and position embeddings only add to that, so a file with fewer values is of another model.
 * (The exact names and shapes are compared once the model is built, by assignWeights.)
 */
export function checkConfigFitsWeights(who: string, configFile: string, architecture: string, config: object, weights: Weights): void {
  const c = config as Sizes;
  const d = c.nEmbd;
  const parts: [string, number][] = [[`token embedding ${c.vocabSize} × ${d}`, c.vocabSize * d]];
  const blocks = (n: number, what: string, perBlock: number, formula: string) => parts.push([`${n} ${what} × ${formula}`, n * perBlock * d * d]);
  if (architecture === 'seq2seq') {
    blocks(c.nEncoderLayer ?? c.nLayer, 'encoder blocks', 12, `12 × ${d}²`);
    blocks(c.nDecoderLayer ?? c.nLayer, 'decoder blocks', 16, `16 × ${d}²`);
  } else if (c.mlp === false) {
    blocks(c.nLayer, 'attention-only blocks', 4, `4 × ${d}²`);
  } else {
    blocks(c.nLayer, 'blocks', 12, `12 × ${d}²`);
  }
  const implied = parts.reduce((a, [, n]) => a + n, 0);
  let held = 0;
  for (const { data } of weights.tensors.values()) held += data.length;
  if (implied > held) {
    throw new Error(`${who}: ${configFile} describes a model of at least ${implied} values (${parts.map(([what, n]) => `${what} = ${n}`).join('; ')}), but ${weights.file} holds ${held} in ${weights.tensors.size} tensors; nothing was built`);
  }
}
