/**
 * Parameter groups: parts of a model that train with their own learning rate and weight decay
 * (PyTorch's optimizer param_groups). Fine-tuning uses them for a new head that learns faster than
 * the pretrained body, and for ULMFiT's discriminative fine-tuning, where each layer's rate is the
 * rate of the layer above it divided by a constant (2.6 in the paper): the lower layers hold the
 * most general features, so they should move the least.
 *
 * A group's learningRate is its peak: the Trainer's schedule (warmup, cosine) scales every group by
 * the same factor, so a group at a tenth of the config's learningRate stays at a tenth all run.
 */
import * as tf from '@tensorflow/tfjs';
import { Module, NamePattern } from '../nn/module';

export interface ParamGroup {
  /** Which parameters: a name pattern (module.select's rules) or several. */
  params: NamePattern | NamePattern[];
  /** Peak learning rate of the group; default the Trainer config's learningRate. */
  learningRate?: number;
  /** Weight decay of the group's matrices; default the Trainer config's weightDecay. */
  weightDecay?: number;
  /** Shown in messages and tables, e.g. "head", "block 3". */
  name?: string;
}

/** What a parameter trains with: its learning rate as a multiple of the schedule's, and its weight decay. */
export interface ParamSettings {
  lrScale: number;
  weightDecay: number;
  group: string;
}

function patternsOf(group: ParamGroup): NamePattern[] {
  return Array.isArray(group.params) ? group.params : [group.params];
}

function groupName(group: ParamGroup, i: number): string {
  return group.name ?? `group ${i} (${patternsOf(group).map(String).join(', ')})`;
}

/**
 * Every parameter's settings: those of the one group whose patterns select it, else the config's.
 * A pattern that selects nothing, a parameter in two groups, or a rate that is not a positive
 * number is an error that names it: a typo must not leave a layer at the wrong rate silently.
 */
export function resolveParamGroups(
  model: Module,
  groups: readonly ParamGroup[],
  defaults: { learningRate: number; weightDecay: number }
): Map<tf.Variable, ParamSettings> {
  const named = model.namedParameters();
  const settings = new Map<tf.Variable, ParamSettings>();
  const owner = new Map<string, string>();
  groups.forEach((group, i) => {
    const name = groupName(group, i);
    const lr = group.learningRate ?? defaults.learningRate;
    const wd = group.weightDecay ?? defaults.weightDecay;
    if (!(lr > 0 && Number.isFinite(lr))) throw new Error(`param group ${name}: learningRate must be a positive number, got ${group.learningRate}`);
    if (!(wd >= 0 && Number.isFinite(wd))) throw new Error(`param group ${name}: weightDecay must be a number >= 0, got ${group.weightDecay}`);
    for (const pattern of patternsOf(group)) {
      const hits = model.selectParameters(pattern);
      if (hits.length === 0) {
        const some = named.slice(0, 6).map(([n]) => n).join(', ');
        throw new Error(`param group ${name}: the pattern ${String(pattern)} selects no parameter of the model (its parameters: ${some}, ...)`);
      }
      for (const [n, p] of hits) {
        const before = owner.get(n);
        if (before !== undefined && before !== name) throw new Error(`param group ${name}: parameter ${n} is already in ${before}; a parameter belongs to one group`);
        owner.set(n, name);
        settings.set(p, { lrScale: lr / defaults.learningRate, weightDecay: wd, group: name });
      }
    }
  });
  return settings;
}

/**
 * The layers of a GPT-style model from the top down, for discriminative learning rates and gradual
 * unfreezing: what sits outside the backbone (the heads), then the final LayerNorm with the last
 * block, then each block below it, then the embeddings.
 */
export function layerGroups(model: Module): { name: string; params: string[] }[] {
  const names = model.namedParameters().map(([n]) => n);
  const blocks = new Map<number, string[]>();
  const heads: string[] = [];
  const embeddings: string[] = [];
  const top: string[] = [];
  for (const n of names) {
    const block = /^transformer\.h\.(\d+)\./.exec(n);
    if (block) {
      const i = Number(block[1]);
      blocks.set(i, [...(blocks.get(i) ?? []), n]);
    } else if (/^transformer\.(wte|wpe)\./.test(n)) embeddings.push(n);
    else if (n.startsWith('transformer.')) top.push(n);
    else heads.push(n);
  }
  if (blocks.size === 0) {
    throw new Error(`layerGroups: no blocks under transformer.h in this model (parameters: ${names.slice(0, 4).join(', ')}, ...); give the groups yourself`);
  }
  const order = [...blocks.keys()].sort((a, b) => b - a);
  return [
    ...(heads.length ? [{ name: 'head', params: heads }] : []),
    ...order.map((i, k) => ({ name: `block ${i}`, params: k === 0 ? [...top, ...blocks.get(i)!] : blocks.get(i)! })),
    { name: 'embeddings', params: embeddings }
  ];
}

/**
 * ULMFiT's discriminative learning rates: the top group (the head) at `learningRate`, each group
 * below at the rate of the one above divided by `decay` (2.6 in Howard & Ruder, 2018).
 */
export function discriminativeLearningRates(model: Module, options: { learningRate: number; decay?: number; weightDecay?: number }): ParamGroup[] {
  const { learningRate, decay = 2.6, weightDecay } = options;
  if (!(decay >= 1 && Number.isFinite(decay))) throw new Error(`discriminativeLearningRates: decay must be a number >= 1, got ${decay}`);
  return layerGroups(model).map((g, k) => ({
    name: g.name,
    params: g.params, // full names: a pattern without * selects exactly that name
    learningRate: learningRate / decay ** k,
    ...(weightDecay !== undefined && { weightDecay })
  }));
}
