/**
 * LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"): a frozen weight W
 * (in, out) learns an update of rank r,  ΔW = (alpha / r) · A B,  A (in, r), B (r, out):
 *
 *   y = x W + b + (alpha / r) · dropout(x) A B
 *
 * r · (in + out) numbers train in place of in · out. B starts at zero, so the adapted model starts
 * equal to the base (A starts random: with both at zero no gradient would reach either).
 *
 * A `LoRALinear` wraps the layer it adapts (`base_layer`, a Linear or a quantized one: QLoRA) and
 * may hold several adapters, one per name (`lora_A.<name>`, `lora_B.<name>`, as in Hugging Face
 * PEFT), of which one is active. `merge()` adds the active ΔW into a Linear base, so the model
 * runs as fast as before; `unmerge()` takes it out again.
 */
import * as tf from '@tensorflow/tfjs';
import { MaskStream, Dropout } from '../nn/dropout';
import { Init } from '../nn/init';
import { Linear, LinearLike } from '../nn/linear';
import { Module } from '../nn/module';

/** One adapter of a LoRALinear: its two factors, their scale, and the dropout on its input. */
export interface LoRAAdapter {
  a: Linear; // (in, r), no bias
  b: Linear; // (r, out), no bias, zeros at first
  r: number;
  alpha: number;
  /** alpha / r: what ΔW = A B is scaled by. */
  scaling: number;
  dropout: Dropout;
}

export interface LoRAAdapterOptions {
  r: number;
  alpha: number;
  dropout: number;
  /** Where A's initial values come from (one Init for all the layers an adapter is put on). */
  init: Init;
  /** Seed of the dropout masks. */
  seed: number;
}

export class LoRALinear extends Module implements LinearLike {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly base: LinearLike;
  private readonly loraA: Module;
  private readonly loraB: Module;
  private readonly loraDropout: Module;
  private readonly adapters = new Map<string, LoRAAdapter>();
  /** The adapter forward() adds, or null (the base alone). */
  private activeName: string | null = null;
  /** The adapter whose ΔW is in the base weight now (merge()), or null. */
  private mergedName: string | null = null;

  constructor(base: LinearLike) {
    super();
    this.base = this.addModule('base_layer', base);
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.loraA = this.addModule('lora_A', new Module());
    this.loraB = this.addModule('lora_B', new Module());
    this.loraDropout = this.addModule('lora_dropout', new Module());
  }

  /** Add an adapter under `name` (it becomes the active one). */
  addAdapter(name: string, options: LoRAAdapterOptions): LoRAAdapter {
    if (this.adapters.has(name)) throw new Error(`LoRA: this layer already has an adapter named ${JSON.stringify(name)}`);
    const { r, alpha } = options;
    checkRank(r, this.inFeatures, this.outFeatures, '');
    // A: the spread of PEFT's default (Kaiming-uniform with a = sqrt(5): variance 1 / (3 in)), drawn Gaussian
    const a = new Linear(options.init, this.inFeatures, r, { bias: false, std: 1 / Math.sqrt(3 * this.inFeatures) });
    const b = new Linear(options.init, r, this.outFeatures, { bias: false, std: 0 });
    const dropout = new Dropout({ p: options.dropout, masks: new MaskStream(options.seed) });
    this.loraA.addModule(name, a);
    this.loraB.addModule(name, b);
    this.loraDropout.addModule(name, dropout);
    dropout.train(this.training);
    const adapter: LoRAAdapter = { a, b, r, alpha, scaling: alpha / r, dropout };
    this.adapters.set(name, adapter);
    this.activeName = name;
    return adapter;
  }

  adapterNames(): string[] {
    return [...this.adapters.keys()];
  }

  adapter(name: string): LoRAAdapter {
    const found = this.adapters.get(name);
    if (!found) throw new Error(`LoRA: no adapter named ${JSON.stringify(name)}; this layer has ${this.adapterNames().map(n => JSON.stringify(n)).join(', ') || 'none'}`);
    return found;
  }

  get active(): string | null {
    return this.activeName;
  }

  get merged(): string | null {
    return this.mergedName;
  }

  /** Make `name` the adapter forward() adds; null runs the base alone. A merged adapter must be unmerged first. */
  setActive(name: string | null): void {
    if (name !== null) this.adapter(name);
    if (this.mergedName !== null && name !== this.mergedName) {
      throw new Error(`LoRA: adapter ${JSON.stringify(this.mergedName)} is merged into the base weight; unmerge() it before switching to ${JSON.stringify(name)}`);
    }
    this.activeName = name;
  }

  /** x (..., in) -> (..., out) */
  forward(x: tf.Tensor): tf.Tensor {
    const y = this.base.forward(x);
    if (this.activeName === null || this.mergedName !== null) return y;
    return y.add(this.delta(x, this.adapter(this.activeName)));
  }

  /** (alpha / r) · dropout(x) A B: what the adapter adds to the base layer's output. */
  private delta(x: tf.Tensor, { a, b, scaling, dropout }: LoRAAdapter): tf.Tensor {
    return b.forward(a.forward(dropout.forward(x))).mul(scaling);
  }

  /** ΔW = (alpha / r) A B (in, out) of an adapter (the active one by default). */
  deltaWeight(name = this.activeName): tf.Tensor2D {
    if (name === null) throw new Error('LoRA: no active adapter');
    const { a, b, scaling } = this.adapter(name);
    return tf.tidy(() => tf.matMul(a.weight, b.weight).mul(scaling) as tf.Tensor2D);
  }

  /** Add the active adapter's ΔW into the base weight: the same outputs, one matrix product per call. */
  merge(): void {
    if (this.mergedName !== null) throw new Error(`LoRA: adapter ${JSON.stringify(this.mergedName)} is already merged`);
    if (this.activeName === null) throw new Error('LoRA: no active adapter to merge');
    const weight = this.baseWeight('merge');
    tf.tidy(() => weight.assign(weight.add(this.deltaWeight())));
    this.mergedName = this.activeName;
  }

  /** Take the merged adapter's ΔW out of the base weight again. */
  unmerge(): void {
    if (this.mergedName === null) throw new Error('LoRA: no adapter is merged');
    const weight = this.baseWeight('unmerge');
    tf.tidy(() => weight.assign(weight.sub(this.deltaWeight(this.mergedName))));
    this.mergedName = null;
  }

  private baseWeight(what: string): tf.Variable {
    if (!(this.base instanceof Linear)) {
      throw new Error(`LoRA: cannot ${what} into a base layer of type ${this.base.constructor.name}: only a float Linear holds a weight to add ΔW to (a quantized base stays quantized: keep the adapter beside it)`);
    }
    return this.base.weight;
  }
}

/** r must be a whole number from 1 to the smaller of the layer's two widths (a larger rank adds nothing but numbers). */
export function checkRank(r: number, inFeatures: number, outFeatures: number, layer: string): void {
  const most = Math.min(inFeatures, outFeatures);
  if (!(Number.isInteger(r) && r >= 1 && r <= most)) {
    throw new Error(`LoRA: r must be an integer in [1, ${most}]${layer ? ` for ${layer}` : ''} (in ${inFeatures}, out ${outFeatures}), got ${r}`);
  }
}
