/**
 * A quantized GPT on disk: `model.safetensors` with the packed codes as U8 tensors beside the float32
 * ones, and `config.json` with a `quantization_config` in the words of Hugging Face transformers'
 * BitsAndBytesConfig where they fit (load_in_4bit, bnb_4bit_quant_type "nf4",
 * bnb_4bit_use_double_quant, blocksize). quant_method is "llm_lab", not "bitsandbytes": the names
 * are bitsandbytes', but not every byte is (our double quantization is linear int8 where
 * bitsandbytes uses its dynamic 8-bit map, and the offset is a tensor, not quant_state JSON), so
 * transformers must not take this folder for one of its own. Per quantized layer `name`:
 *
 *   name.weight                   U8   the packed codes (quant/formats.ts: channel by channel, 4-bit two per byte)
 *   name.weight.absmax            nf4: the block absmax, F32, or its 8-bit codes, U8, with double quant
 *   name.weight.nested_absmax     F32  nf4 double quant: the scale of each 256 block scales
 *   name.weight.nested_offset     F32  nf4 double quant: the mean taken out of the block scales, [1]
 *   name.weight.scales            F32  the other methods' scales
 *   name.weight.zeros             U8   int8-zeropoint's zero-points
 *   name.bias                     F32
 *
 * Written all or nothing like every checkpoint (checkpoint/folder.ts replaceFolder).
 */
import * as tf from '@tensorflow/tfjs';
import { CONFIG_FILE, readJson, readLabConfig, replaceFolder, WEIGHTS_FILE } from '../checkpoint/folder';
import { GPT, GPTConfig } from '../models/gpt';
import { checkQuantConfig, QUANT_METHODS, QuantMethod } from './config';
import { DOUBLE_QUANT_BLOCK } from './doubleQuant';
import { quantizedTensor, QuantizedTensor } from './formats';
import { QuantizedLinear } from './quantizedLinear';
import { decodeStoredTensors, encodeStoredTensors, StoredTensor } from '../checkpoint/safetensors';
import * as fs from 'fs';
import * as path from 'path';

/** config.json's quantization_config. */
export interface QuantizationConfigJson {
  quant_method: 'llm_lab';
  /** Our method name (int8, int8-channel, int8-zeropoint, int4, nf4). */
  llm_lab_method: QuantMethod;
  load_in_4bit: boolean;
  load_in_8bit: boolean;
  bnb_4bit_quant_type?: 'nf4';
  bnb_4bit_use_double_quant?: boolean;
  bnb_4bit_compute_dtype?: 'float32';
  bnb_4bit_quant_storage?: 'uint8';
  /** Weights that share a scale (bitsandbytes' blocksize). */
  blocksize: number;
  /** The quantized layers, by module name. */
  quantized_modules: string[];
}

/** Save a GPT some of whose Linear layers are QuantizedLinear (quantizeModel), all or nothing. */
export async function saveQuantized(model: GPT, folder: string): Promise<void> {
  const layers = model.namedModules().filter((e): e is [string, QuantizedLinear] => e[1] instanceof QuantizedLinear);
  if (layers.length === 0) throw new Error(`saveQuantized: the model has no quantized layer (quantizeModel first; saveGPT saves a float model). Nothing was written to ${folder}`);
  const describe = (q: QuantizedTensor) => `${q.method}${isFourBit(q.method) ? ` in groups of ${q.groupSize}` : ''}${q.doubleQuant ? ' with double quant' : ''}`;
  const methods = [...new Set(layers.map(([, l]) => describe(l.weight)))];
  const q0 = layers[0][1].weight;
  if (methods.length > 1) {
    throw new Error(`saveQuantized: the layers are quantized in ${methods.length} ways (${methods.join(', ')}); one quantization_config describes one. Nothing was written to ${folder}`);
  }
  const tensors: [string, StoredTensor][] = [];
  for (const [name, p] of model.namedParameters()) tensors.push([name, { dtype: 'F32', shape: p.shape, data: (await p.data()) as Float32Array }]);
  for (const [name, layer] of layers) tensors.push(...storedParts(`${name}.weight`, layer.weight));
  const fourBit = isFourBit(q0.method);
  const quantization: QuantizationConfigJson = {
    quant_method: 'llm_lab',
    llm_lab_method: q0.method,
    load_in_4bit: fourBit,
    load_in_8bit: !fourBit,
    ...(q0.method === 'nf4' ? { bnb_4bit_quant_type: 'nf4', bnb_4bit_use_double_quant: q0.doubleQuant !== null, bnb_4bit_compute_dtype: 'float32', bnb_4bit_quant_storage: 'uint8' } as const : {}),
    blocksize: fourBit ? q0.groupSize : 0,
    quantized_modules: layers.map(([n]) => n)
  };
  const config = { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', quantization_config: quantization, llm_lab: { config: model.config } };
  replaceFolder(folder, { [WEIGHTS_FILE]: encodeStoredTensors(tensors, { format: 'pt' }), [CONFIG_FILE]: JSON.stringify(config, null, 2) + '\n' });
}

const isFourBit = (m: QuantMethod) => m === 'int4' || m === 'nf4';

function storedParts(prefix: string, q: QuantizedTensor): [string, StoredTensor][] {
  const parts: [string, StoredTensor][] = [[prefix, { dtype: 'U8', shape: [q.data.length], data: q.data }]];
  const dq = q.doubleQuant;
  if (q.method === 'nf4' && dq) {
    parts.push([`${prefix}.absmax`, { dtype: 'U8', shape: [dq.codes.length], data: dq.codes }]);
    parts.push([`${prefix}.nested_absmax`, { dtype: 'F32', shape: [dq.scales.length], data: dq.scales }]);
    parts.push([`${prefix}.nested_offset`, { dtype: 'F32', shape: [1], data: Float32Array.of(dq.offset) }]);
  } else {
    parts.push([`${prefix}.${q.method === 'nf4' ? 'absmax' : 'scales'}`, { dtype: 'F32', shape: [q.scales.length], data: q.scales }]);
  }
  if (q.zeros) parts.push([`${prefix}.zeros`, { dtype: 'U8', shape: [q.zeros.length], data: q.zeros }]);
  return parts;
}

/** Read a folder written by saveQuantized: the GPT with its quantized layers, every size checked before a layer is built. */
export function loadQuantized(folder: string): GPT {
  const who = 'loadQuantized';
  const { configFile, lab } = readLabConfig(who, folder);
  const qc = (readJson(who, configFile) as { quantization_config?: QuantizationConfigJson }).quantization_config;
  if (!qc || !QUANT_METHODS.includes(qc.llm_lab_method)) throw new Error(`${who}: ${configFile} has no quantization_config with an llm_lab_method (${QUANT_METHODS.join(', ')}); a float checkpoint loads with loadGPT`);
  const file = path.join(folder, WEIGHTS_FILE);
  if (!fs.existsSync(file)) throw new Error(`${who}: no ${WEIGHTS_FILE} in ${folder}`);
  const stored = decodeStoredTensors(new Uint8Array(fs.readFileSync(file)), file).tensors;
  const take = (name: string, dtype: 'F32' | 'U8') => {
    const t = stored.get(name);
    if (!t) throw new Error(`${who}: ${file} has no tensor ${name}`);
    if (t.dtype !== dtype) throw new Error(`${who}: ${file}: ${name} is ${t.dtype}, expected ${dtype}`);
    stored.delete(name);
    return t.data;
  };
  const model = new GPT(lab.config as GPTConfig);
  try {
    const method = qc.llm_lab_method;
    const built: [string, QuantizedTensor][] = [];
    for (const name of qc.quantized_modules) {
      const linear = model.getModule(name) as unknown as { weight: tf.Variable };
      const shape = linear.weight.shape;
      const p = `${name}.weight`;
      const { groupSize } = checkQuantConfig(isFourBit(method) ? { method, groupSize: qc.blocksize } : { method }, shape);
      const data = take(p, 'U8') as Uint8Array;
      const scales = method === 'nf4' && qc.bnb_4bit_use_double_quant
        ? { codes: take(`${p}.absmax`, 'U8') as Uint8Array, scales: take(`${p}.nested_absmax`, 'F32') as Float32Array, offset: (take(`${p}.nested_offset`, 'F32') as Float32Array)[0]!, blockSize: DOUBLE_QUANT_BLOCK }
        : (take(`${p}.${method === 'nf4' ? 'absmax' : 'scales'}`, 'F32') as Float32Array);
      const zeros = method === 'int8-zeropoint' ? (take(`${p}.zeros`, 'U8') as Uint8Array) : null;
      built.push([name, quantizedTensor({ method, shape, groupSize, data, scales, zeros })]);
    }
    for (const [name, q] of built) {
      const old = model.getModule(name) as unknown as { bias: tf.Variable | null; dispose(): void };
      model.replace(name, new QuantizedLinear(q, old.bias));
      old.dispose();
    }
    const params = model.namedParameters();
    for (const [name, v] of params) {
      const data = take(name, 'F32') as Float32Array;
      if (data.length !== v.size) throw new Error(`${who}: ${file}: ${name} has ${data.length} values, the model's [${v.shape}] needs ${v.size}`);
      tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
    }
    if (stored.size) throw new Error(`${who}: ${file} has tensors the model does not: ${[...stored.keys()].slice(0, 4).join(', ')}`);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}
