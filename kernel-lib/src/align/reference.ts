/**
 * The reference model of DPO and PPO: the policy as it was before alignment (the SFT model),
 * frozen. The losses compare the policy's log-probs with the reference's, so that the policy is
 * rewarded for moving away from it only where the preferences ask for it.
 *
 * Two ways to have one:
 *   - a frozen copy of the policy's weights (createReferenceModel, TRL's create_reference_model):
 *     as many weights again;
 *   - a LoRA policy (peft/) is its own reference: the base model with the adapters switched off
 *     (PeftModel.withAdapterDisabled), at no extra memory. TRL does the same with a PEFT model.
 * The reference never enters the gradient: its log-probs are computed outside the step's tape
 * (when the batch is made) and it is frozen, so it gets no gradient and no optimizer state.
 */
import * as tf from '@tensorflow/tfjs';
import { GPT } from '../models/gpt';
import { Module } from '../nn/module';
import { PeftModel } from '../peft/peftModel';

/** A policy: a GPT, or a GPT made ready for a PEFT method (getPeftModel). */
export type Policy = GPT | PeftModel<GPT>;

/** The GPT inside a policy. */
export function policyModel(policy: Policy): GPT {
  return policy instanceof PeftModel ? policy.model : policy;
}

/** A frozen copy of `model`: same config, same weights (copied, not shared). */
export function createReferenceModel(model: GPT): GPT {
  const reference = new GPT(model.config);
  const source = new Map(model.namedParameters());
  for (const [name, p] of reference.namedParameters()) {
    const from = source.get(name);
    if (!from) {
      reference.dispose();
      throw new Error(`createReferenceModel: the model has no ${name}; copy a plain GPT (merge or unload adapters first, or use a LoRA policy as its own reference)`);
    }
    p.assign(from);
  }
  reference.freeze();
  return reference;
}

/** Peft wrappers keep the base layer under `base_layer`; their own weights are not the base model's. */
const PEFT_PART = /(^|\.)(lora_A|lora_B|adapter_down|adapter_up|ia3_l|prompt_encoder)(\.|$)/;
const baseName = (name: string) => name.replace(/\.base_layer(?=\.)/g, '');

/** The policy's own weights (not a PEFT method's), by their name in the plain model. */
function baseShapes(model: Module): Map<string, number[]> {
  return new Map(model.namedParameters().filter(([name]) => !PEFT_PART.test(name)).map(([name, p]) => [baseName(name), p.shape]));
}

/** The first way the reference differs from the policy in its weights' names or shapes, or null. */
export function firstShapeDifference(policy: Module, reference: Module): string | null {
  const mine = baseShapes(policy);
  const theirs = baseShapes(reference);
  for (const [name, shape] of theirs) {
    const other = mine.get(name);
    if (!other) return `the reference has ${name} [${shape}], the policy has no such weight`;
    if (other.join() !== shape.join()) return `${name} is [${other}] in the policy but [${shape}] in the reference`;
  }
  for (const [name, shape] of mine) if (!theirs.has(name)) return `the policy has ${name} [${shape}], the reference has no such weight`;
  return null;
}

/** What a loss needs of the reference: run f with it (a LoRA policy's base is one only while f runs). */
export interface Reference {
  withModel<T>(f: (model: GPT) => T): T;
  /** 'adapters disabled' or 'frozen model'. */
  readonly kind: string;
}

/**
 * The reference for `policy`: `reference` itself (checked and frozen), or, for a LoRA policy given
 * no reference or itself, the policy with its adapters off. A reference of another shape, or one
 * that is (or shares weights with) a policy that is not LoRA, is an error, and nothing changes.
 */
export function resolveReference(where: string, policy: Policy, reference: Policy | null | undefined): Reference {
  const model = policyModel(policy);
  const ref = reference == null ? null : policyModel(reference);
  const isLora = policy instanceof PeftModel && policy.adapterNames.length > 0 && policy.loraLayers().length > 0;
  if (ref === null || ref === model) {
    if (isLora) return { kind: 'adapters disabled', withModel: f => (policy as PeftModel<GPT>).withAdapterDisabled(() => f(model)) };
    const why = ref === null ? 'no reference model was given' : 'the reference is the policy itself (its weights would move with it)';
    const method = policy instanceof PeftModel ? ` (its ${policy.peftType} method cannot be switched off; only LoRA can)` : '';
    throw new Error(`${where}: ${why}; give a frozen copy, createReferenceModel(policy), or a LoRA PeftModel as the policy${method}`);
  }
  if (reference instanceof PeftModel) throw new Error(`${where}: the reference must be a plain GPT, not a PeftModel (${reference.peftType}); merge it (mergeAndUnload) first`);
  const difference = firstShapeDifference(model, ref);
  if (difference) throw new Error(`${where}: the reference model is not of the policy's shape: ${difference}`);
  const policyWeights = new Set<tf.Variable>(model.parameters());
  const shared = ref.namedParameters().find(([, p]) => policyWeights.has(p));
  if (shared) throw new Error(`${where}: the reference shares the weight ${shared[0]} with the policy, so it would move with it; give a copy, createReferenceModel(policy)`);
  ref.freeze();
  return { kind: 'frozen model', withModel: f => f(ref) };
}
