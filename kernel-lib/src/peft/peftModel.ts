/**
 * getPeftModel(model, config): a model made ready for one parameter-efficient method, as Hugging
 * Face PEFT's get_peft_model does it: walk the module tree, wrap the layers the config's patterns
 * select (or give the backbone virtual tokens), freeze everything else. The model's own code never
 * changes; it is still the same GPT (or classifier), and objectives and the Trainer use it as before.
 *
 *   LORA            c_attn -> LoRALinear(c_attn): W frozen, A and B train
 *   ADAPTER         attn.c_proj, mlp.c_proj -> BottleneckAdapter(...): the bottlenecks (and LayerNorms) train
 *   IA3             c_attn, mlp.c_proj -> IA3Linear(...): l_k, l_v, l_ff train
 *   PROMPT_TUNING   the backbone reads n learned vectors before the text
 *   PREFIX_TUNING   every attention layer reads n learned keys and values before the text's
 *   BITFIT          no new weights: only the biases train
 *
 * The config is checked against the model before anything changes: a bad one leaves the model as it was.
 */
import * as tf from '@tensorflow/tfjs';
import { GPTBackbone } from '../models/gpt';
import { Init, isSeed, MAX_SEED } from '../nn/init';
import type { LinearLike } from '../nn/linear';
import { Module, NamePattern } from '../nn/module';
import { BottleneckAdapter } from './adapter';
import { AdapterConfig, checkCount, describePattern, IA3Config, LoraConfig, PEFT_TYPES, PeftConfig, patternList, PrefixTuningConfig, PromptTuningConfig } from './config';
import { IA3Linear } from './ia3';
import { checkRank, LoRALinear } from './lora';
import { trainingMemory, TrainingMemory } from './memory';
import { PrefixEncoder, PromptEmbedding } from './virtualTokens';

export interface TrainableCount {
  trainable: number;
  /** Every number of the model, quantized ones included. */
  total: number;
  /** 100 · trainable / total. */
  percent: number;
}

export class PeftModel<M extends Module = Module> {
  private readonly configs = new Map<string, PeftConfig>();
  private active: string;

  constructor(readonly model: M, config: PeftConfig, adapterName: string) {
    this.configs.set(adapterName, config);
    this.active = adapterName;
  }

  /** The method of the active adapter: 'LORA', 'PREFIX_TUNING', ... */
  get peftType(): PeftConfig['peftType'] {
    return this.peftConfig.peftType;
  }

  get peftConfig(): PeftConfig {
    return this.configs.get(this.active)!;
  }

  get activeAdapter(): string {
    return this.active;
  }

  get adapterNames(): string[] {
    return [...this.configs.keys()];
  }

  /** Numbers that train, all the numbers, and the share that trains. */
  countTrainable(): TrainableCount {
    const memory = trainingMemory(this.model);
    return { trainable: memory.numbers.trainable, total: memory.numbers.total, percent: (100 * memory.numbers.trainable) / memory.numbers.total };
  }

  /** PEFT's line: "trainable params: 20,480 || all params: 1,442,240 || trainable%: 1.4200". */
  printTrainableParameters(): string {
    const { trainable, total, percent } = this.countTrainable();
    return `trainable params: ${trainable.toLocaleString('en-US')} || all params: ${total.toLocaleString('en-US')} || trainable%: ${percent.toFixed(4)}`;
  }

  /** Bytes of weights, gradients and optimizer state (peft/memory.ts). */
  memory(): TrainingMemory {
    return trainingMemory(this.model);
  }

  /** The layers LoRA wraps, with their names (for LoRA models). */
  loraLayers(): [string, LoRALinear][] {
    return this.model.namedModules().filter((e): e is [string, LoRALinear] => e[1] instanceof LoRALinear);
  }

  /**
   * A second (third ...) LoRA adapter on the same base, on the same layers or others; it is
   * added beside the others and does not become active (setAdapter does that).
   */
  addAdapter(name: string, config: LoraConfig): void {
    this.requireLora('addAdapter');
    if (this.configs.has(name)) throw new Error(`addAdapter: the model already has an adapter named ${JSON.stringify(name)}`);
    if (config.peftType !== 'LORA') throw new Error(`addAdapter: only LoRA adapters can sit side by side on one base, got peftType ${JSON.stringify(config.peftType)}`);
    const targets = planLora(this.model, config, name);
    const before = this.active;
    applyLora(this.model, targets, config, name);
    this.configs.set(name, config);
    this.setAdapter(before);
  }

  /** Make `name` the adapter the model runs with and trains (the others stay, frozen and unused). */
  setAdapter(name: string): void {
    if (!this.configs.has(name)) throw new Error(`setAdapter: no adapter named ${JSON.stringify(name)}; the model has ${this.adapterNames.map(n => JSON.stringify(n)).join(', ')}`);
    this.requireLora('setAdapter');
    for (const [, layer] of this.loraLayers()) layer.setActive(layer.adapterNames().includes(name) ? name : null);
    for (const [, layer] of this.loraLayers()) {
      for (const adapter of layer.adapterNames()) {
        const { a, b } = layer.adapter(adapter);
        a.weight.trainable = b.weight.trainable = adapter === name;
      }
    }
    this.active = name;
  }

  /**
   * Run f with the base model alone (every LoRA adapter off), then switch back, even if f throws:
   * the base model as a reference (alignment's KL penalty, DPO) at no extra memory.
   */
  withAdapterDisabled<T>(f: () => T): T {
    this.requireLora('withAdapterDisabled');
    const layers = this.loraLayers();
    const merged = layers.find(([, l]) => l.merged !== null);
    if (merged) throw new Error(`withAdapterDisabled: ${merged[0]} has its adapter merged into the weight; unmerge() first`);
    const actives = layers.map(([, l]) => l.active);
    layers.forEach(([, l]) => l.setActive(null));
    const restore = () => layers.forEach(([, l], i) => l.setActive(actives[i]));
    let result: T;
    try {
      result = f();
    } catch (e) {
      restore();
      throw e;
    }
    if (result instanceof Promise) return result.finally(restore) as T;
    restore();
    return result;
  }

  /** Add the active adapter's ΔW into every base weight (same outputs, no extra work per call). */
  merge(): void {
    this.requireLora('merge');
    for (const [, layer] of this.loraLayers()) if (layer.active !== null) layer.merge();
  }

  /** Take the merged ΔW out again. */
  unmerge(): void {
    this.requireLora('unmerge');
    for (const [, layer] of this.loraLayers()) if (layer.merged !== null) layer.unmerge();
  }

  /**
   * Merge the active adapter and put the plain layers back where the LoRA layers were: the model
   * is then an ordinary one (saveGPT writes it in Hugging Face's format). Returns the model.
   */
  mergeAndUnload(): M {
    this.requireLora('mergeAndUnload');
    for (const [name, layer] of this.loraLayers()) {
      if (layer.merged === null && layer.active !== null) layer.merge();
      this.model.replace(name, layer.base);
      for (const adapter of layer.adapterNames()) {
        const { a, b } = layer.adapter(adapter);
        a.dispose();
        b.dispose();
      }
    }
    this.configs.clear();
    return this.model;
  }

  private requireLora(what: string): void {
    for (const c of this.configs.values()) {
      if (c.peftType !== 'LORA') throw new Error(`${what}: only for LoRA models; this one uses ${c.peftType}`);
    }
  }
}

/**
 * Make `model` ready for the method of `config`: everything frozen except what the method trains
 * (and config.modulesToSave). The model is changed in place and returned inside a PeftModel.
 */
export function getPeftModel<M extends Module>(model: M, config: PeftConfig, adapterName = 'default'): PeftModel<M> {
  if (!config || !PEFT_TYPES.includes(config.peftType)) throw new Error(`getPeftModel: peftType must be one of ${PEFT_TYPES.join(', ')}, got ${JSON.stringify(config?.peftType)}`);
  const seed = config.seed ?? 0;
  if (!isSeed(seed)) throw new Error(`getPeftModel: seed must be an integer in [0, ${MAX_SEED}], got ${config.seed}`);
  const where = `getPeftModel (${config.peftType})`;
  const alreadyAdapted = model.namedModules().find(([, m]) => m instanceof LoRALinear || m instanceof BottleneckAdapter || m instanceof IA3Linear);
  const backbone = model.namedModules().find(([, m]) => m instanceof GPTBackbone)?.[1] as GPTBackbone | undefined;
  if (alreadyAdapted || backbone?.virtualTokens) {
    throw new Error(`${where}: the model is already adapted (${alreadyAdapted ? alreadyAdapted[0] : 'virtual tokens'}); start from the base model (LoRA adapters side by side: peftModel.addAdapter)`);
  }
  const toSave = patternList(config.modulesToSave, []);
  for (const p of toSave) if (model.selectParameters(p).length === 0) throw new Error(`${where}: modulesToSave ${describePattern(p)} selects no parameter`);

  // plan first: every check before the first change
  const apply = plan(model, config, adapterName, where);
  model.freeze();
  apply();
  for (const p of toSave) model.unfreeze(p);
  return new PeftModel(model, config, adapterName);
}

/** Check `config` against `model`; returns what applies it. */
function plan(model: Module, config: PeftConfig, adapterName: string, where: string): () => void {
  const init = new Init(config.seed ?? 0);
  switch (config.peftType) {
    case 'LORA': {
      const targets = planLora(model, config, adapterName);
      return () => applyLora(model, targets, config, adapterName);
    }
    case 'ADAPTER':
      return planAdapters(model, config, init, where);
    case 'IA3':
      return planIA3(model, config, init, where);
    case 'PROMPT_TUNING':
      return planPrompt(model, config, init, where);
    case 'PREFIX_TUNING':
      return planPrefix(model, config, init, where);
    case 'BITFIT': {
      if (model.selectParameters('bias').length === 0) throw new Error(`${where}: the model has no bias to train`);
      return () => model.unfreeze('bias');
    }
  }
}

function planLora(model: Module, config: LoraConfig, adapterName: string): [string, LinearLike][] {
  const where = 'getPeftModel (LORA)';
  checkCount(where, 'r', config.r);
  const alpha = config.loraAlpha ?? 8;
  if (!(typeof alpha === 'number' && alpha > 0 && Number.isFinite(alpha))) throw new Error(`${where}: loraAlpha must be a number > 0, got ${JSON.stringify(config.loraAlpha)}`);
  const p = config.loraDropout ?? 0;
  if (!(typeof p === 'number' && p >= 0 && p < 1)) throw new Error(`${where}: loraDropout must be a number in [0, 1), got ${JSON.stringify(config.loraDropout)}`);
  if (!/^[A-Za-z0-9_]+$/.test(adapterName)) throw new Error(`${where}: an adapter name is letters, digits and _, got ${JSON.stringify(adapterName)}`);
  const targets = linearTargets(model, patternList(config.targetModules, []), where);
  for (const [name, layer] of targets) checkRank(config.r, layer.inFeatures, layer.outFeatures, name);
  return targets;
}

function applyLora(model: Module, targets: [string, LinearLike][], config: LoraConfig, adapterName: string): void {
  const init = new Init(config.seed ?? 0);
  targets.forEach(([name, layer], i) => {
    const lora = layer instanceof LoRALinear ? layer : new LoRALinear(layer);
    if (lora !== layer) model.replace(name, lora);
    const { a, b } = lora.addAdapter(adapterName, { r: config.r, alpha: config.loraAlpha ?? 8, dropout: config.loraDropout ?? 0, init, seed: ((config.seed ?? 0) + i) >>> 0 });
    a.weight.trainable = b.weight.trainable = true;
  });
}

function planAdapters(model: Module, config: AdapterConfig, init: Init, where: string): () => void {
  const targets = linearTargets(model, patternList(config.targetModules, ['attn.c_proj', 'mlp.c_proj']), where);
  const widest = Math.min(...targets.map(([, l]) => l.outFeatures));
  checkCount(where, 'bottleneckSize', config.bottleneckSize, widest, ` (the adapted layers' width is ${widest})`);
  const f = config.nonLinearity ?? 'gelu';
  if (f !== 'gelu' && f !== 'relu') throw new Error(`${where}: nonLinearity must be 'gelu' or 'relu', got ${JSON.stringify(f)}`);
  return () => {
    for (const [name, layer] of targets) {
      const adapter = new BottleneckAdapter(layer, init, config.bottleneckSize, f);
      model.replace(name, adapter);
      adapter.down.unfreeze();
      adapter.up.unfreeze();
    }
    if (config.trainLayerNorms ?? true) model.unfreeze(/(^|\.)ln_(1|2|f)\./);
  };
}

function planIA3(model: Module, config: IA3Config, init: Init, where: string): () => void {
  const targets = linearTargets(model, patternList(config.targetModules, ['c_attn', 'mlp.c_proj']), where);
  const feedforward = patternList(config.feedforwardModules, ['mlp.c_proj']);
  const isFeedforward = (name: string) => feedforward.some(p => model.select(p).some(([n]) => n === name));
  return () => {
    for (const [name, layer] of targets) {
      // a fused q, k, v projection (out = 3 x in): scale k and v, as the paper does, not q
      const scaling = isFeedforward(name) ? { scale: 'input' as const } : { scale: 'output' as const, skip: layer.outFeatures === 3 * layer.inFeatures ? layer.inFeatures : 0 };
      const ia3 = new IA3Linear(layer, init, scaling);
      model.replace(name, ia3);
      ia3.vector.trainable = true;
    }
  };
}

function planPrompt(model: Module, config: PromptTuningConfig, init: Init, where: string): () => void {
  const backbone = backboneOf(model, where);
  const { blockSize, nEmbd } = backbone.config;
  checkCount(where, 'numVirtualTokens', config.numVirtualTokens, blockSize - 1, ` (the context blockSize is ${blockSize}: a prompt must leave room for text)`);
  const how = config.promptTuningInit ?? 'RANDOM';
  if (how !== 'RANDOM' && how !== 'TEXT') throw new Error(`${where}: promptTuningInit must be 'RANDOM' or 'TEXT', got ${JSON.stringify(how)}`);
  const ids = config.promptTuningInitIds ?? [];
  if (how === 'TEXT') {
    const V = backbone.wte.count;
    if (ids.length === 0) throw new Error(`${where}: promptTuningInit 'TEXT' needs promptTuningInitIds (the token ids of the text)`);
    const bad = ids.findIndex(id => !(Number.isInteger(id) && id >= 0 && id < V));
    if (bad >= 0) throw new Error(`${where}: promptTuningInitIds[${bad}] = ${ids[bad]} is outside the vocabulary [0, ${V})`);
  }
  return () => {
    const n = config.numVirtualTokens;
    const initial = how === 'TEXT' ? tf.tidy(() => tf.gather(backbone.wte.weight, Array.from({ length: n }, (_, i) => ids[i % ids.length])) as tf.Tensor2D) : undefined;
    const prompt = new PromptEmbedding(init, n, nEmbd, initial);
    initial?.dispose();
    backbone.addVirtualTokens(prompt);
    prompt.unfreeze();
  };
}

function planPrefix(model: Module, config: PrefixTuningConfig, init: Init, where: string): () => void {
  const backbone = backboneOf(model, where);
  const { blockSize, nEmbd, nLayer, nHead } = backbone.config;
  checkCount(where, 'numVirtualTokens', config.numVirtualTokens, blockSize - 1, ` (the context blockSize is ${blockSize}: a prefix must leave room for text)`);
  const projection = config.prefixProjection ?? true;
  const hiddenSize = config.encoderHiddenSize ?? 4 * nEmbd;
  if (projection) checkCount(where, 'encoderHiddenSize', hiddenSize);
  return () => {
    const prefix = new PrefixEncoder(init, config.numVirtualTokens, { nLayer, nHead, nEmbd }, { projection, hiddenSize });
    backbone.addVirtualTokens(prefix);
    prefix.unfreeze();
  };
}

/** The layers the patterns select, each of which must stand where a Linear does; an error names a pattern that selects none. */
function linearTargets(model: Module, patterns: NamePattern[], where: string): [string, LinearLike][] {
  if (patterns.length === 0) throw new Error(`${where}: targetModules is empty; name the layers to adapt, e.g. ['c_attn']`);
  const found = new Map<string, LinearLike>();
  for (const p of patterns) {
    const selected = model.select(p);
    if (selected.length === 0) {
      const linears = model.namedModules().filter(([n, m]) => n && isLinearLike(m) && !INSIDE_A_METHOD.test(n)).map(([n]) => n.split('.').slice(-2).join('.'));
      throw new Error(`${where}: target ${describePattern(p)} matches no layer; the model's linear layers are named ${[...new Set(linears)].slice(0, 6).join(', ')}, ...`);
    }
    for (const [name, m] of selected) {
      if (!isLinearLike(m)) throw new Error(`${where}: target ${describePattern(p)} selects ${name}, a ${m.constructor.name}, not a linear layer`);
      found.set(name, m);
    }
  }
  return [...found];
}

/** The layers a method adds, or the layer it wraps: not targets of their own. */
const INSIDE_A_METHOD = /\.(base_layer|lora_[AB]|adapter_(down|up)|prompt_encoder)(\.|$)/;

function isLinearLike(m: Module): m is LinearLike {
  const l = m as unknown as Partial<LinearLike>;
  return typeof l.inFeatures === 'number' && typeof l.outFeatures === 'number' && typeof l.forward === 'function';
}

/** The GPT backbone in `model` (a GPT's `transformer`, a classifier's, or the model itself). */
function backboneOf(model: Module, where: string): GPTBackbone {
  const found = model.namedModules().find(([, m]) => m instanceof GPTBackbone);
  if (!found) throw new Error(`${where}: the model has no GPT backbone (a GPTBackbone module) to put virtual tokens into`);
  return found[1] as GPTBackbone;
}
