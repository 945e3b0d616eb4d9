/**
 * The model as a tree of modules: walking it, selecting by name, freezing (what then trains, and
 * what the gradients, the clipping norm and the optimizer see), replacing a module by a wrapper,
 * input embeddings instead of ids, async batches and named series from a step.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { Init } from '../../kernel-lib/src/nn/init';
import { Linear, LinearLike } from '../../kernel-lib/src/nn/linear';
import { matchesName, Module } from '../../kernel-lib/src/nn/module';
import { globalNorm } from '../../kernel-lib/src/train/clip';
import { Objective } from '../../kernel-lib/src/train/objective';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { maxAbsDiff, onCpu } from './helpers';

beforeAll(onCpu);

const config = { vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8, seed: 5 };
const ids = () => tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8], [3, 1, 4, 1, 5, 9, 2, 6]], [2, 8], 'int32');
const targets = () => tf.tensor2d([[2, 3, 4, 5, 6, 7, 8, 9], [1, 4, 1, 5, 9, 2, 6, 5]], [2, 8], 'int32');

/** The next-token loss on one fixed batch: every step sees the same numbers. */
function fixedBatch(model: GPT, extra: Partial<Objective<{ x: tf.Tensor; y: tf.Tensor }>> = {}): Objective<{ x: tf.Tensor; y: tf.Tensor }> {
  return {
    name: 'fixed batch',
    model,
    tokensPerBatch: 16,
    nextBatch: () => ({ x: ids(), y: targets() }),
    loss: b => model.loss(b.x, b.y),
    disposeBatch: b => tf.dispose([b.x, b.y]),
    evaluate: async () => ({ loss: 0, metrics: {} }),
    ...extra
  };
}

async function snapshot(model: Module): Promise<Map<string, Float32Array>> {
  return new Map(await Promise.all(model.namedParameters().map(async ([n, p]) => [n, (await p.data()) as Float32Array] as const)));
}

/** A zero-initialised low-rank term beside a frozen Linear (the shape of LoRA): y = base(x) + x A B. */
class LowRankWrapper extends Module implements LinearLike {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly loraA: tf.Variable;
  readonly loraB: tf.Variable;

  constructor(readonly base: LinearLike, init: Init, rank: number) {
    super();
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.addModule('base_layer', base);
    this.loraA = this.addParameter('lora_A', init.randn([base.inFeatures, rank], 0.5));
    this.loraB = this.addParameter('lora_B', init.zeros([rank, base.outFeatures]));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const lead = x.shape.slice(0, -1);
    const delta = x.reshape([-1, this.inFeatures]).matMul(this.loraA).matMul(this.loraB).reshape([...lead, this.outFeatures]);
    return this.base.forward(x).add(delta);
  }
}

describe('the module tree', () => {
  it('names every parameter by its path, the Hugging Face GPT-2 names, in the order the model was built', () => {
    const model = new GPT(config);
    const names = model.namedParameters().map(([n]) => n);
    const block = (i: number) =>
      ['ln_1.weight', 'ln_1.bias', 'attn.c_attn.weight', 'attn.c_attn.bias', 'attn.c_proj.weight', 'attn.c_proj.bias', 'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias'].map(
        n => `transformer.h.${i}.${n}`
      );
    expect(names).toEqual(['transformer.wte.weight', 'transformer.wpe.weight', ...block(0), ...block(1), 'transformer.ln_f.weight', 'transformer.ln_f.bias']);
    expect(model.getParameter('transformer.wte.weight')).toBe(model.transformer.wte.weight);
    // the LM head is tied to the token embedding: a module with no parameter of its own
    expect(model.select('lm_head').map(([n]) => n)).toEqual(['lm_head']);
    expect(model.lmHead.namedParameters()).toEqual([]);
    expect(model.numParams()).toBe(11 * 8 + 8 * 8 + 2 * (4 * 8 + (8 * 24 + 24) + (8 * 8 + 8) + (8 * 32 + 32) + (32 * 8 + 8)) + 2 * 8);
    model.dispose();
  });

  it('selects modules and parameters by name: suffixes, * for one part, ** for any, RegExps', () => {
    const model = new GPT(config);
    expect(model.select('c_attn').map(([n]) => n)).toEqual(['transformer.h.0.attn.c_attn', 'transformer.h.1.attn.c_attn']);
    expect(model.select('h.*.mlp').map(([n]) => n)).toEqual(['transformer.h.0.mlp', 'transformer.h.1.mlp']);
    expect(model.select('transformer.**.c_proj').map(([n]) => n)).toEqual(['transformer.h.0.attn.c_proj', 'transformer.h.0.mlp.c_proj', 'transformer.h.1.attn.c_proj', 'transformer.h.1.mlp.c_proj']);
    expect(model.select(/^transformer\.h\.1\.ln_\d$/).map(([n]) => n)).toEqual(['transformer.h.1.ln_1', 'transformer.h.1.ln_2']);
    expect(model.selectParameters('bias').length).toBe(2 * 6 + 1); // every bias: 6 per block, and ln_f's
    expect(model.selectParameters('transformer.h.1').every(([n]) => n.startsWith('transformer.h.1.'))).toBe(true);
    expect(matchesName('transformer.h.10.attn', 'h.1.attn')).toBe(false); // parts, not characters
    expect(matchesName('transformer.h.0.attn.c_attn', 'attn')).toBe(false); // the last part must match
    expect(model.getModule('transformer.h.1.attn.c_attn')).toBe(model.transformer.h.at(1).attn.cAttn);
    expect(() => model.getModule('transformer.h.2')).toThrow(/no module named transformer\.h\.2; the model has transformer, transformer\.wte/);
    model.dispose();
  });

  it('freezing a pattern takes exactly those parameters out of the gradients, the clipping norm and the optimizer state', async () => {
    const model = new GPT(config);
    const normOf = async (params: tf.Variable[]) => {
      const { value, grads } = tf.variableGrads(() => model.loss(ids(), targets()), params);
      const norm = (await globalNorm(Object.values(grads)).data())[0];
      tf.dispose([value, grads]);
      return norm;
    };
    const fullNorm = await normOf(model.parameters());
    const frozenNumbers = model.freeze('transformer.h.0');
    const frozenNames = model.selectParameters('transformer.h.0').map(([n]) => n);
    expect(frozenNames).toHaveLength(12);
    expect(frozenNumbers).toBe(model.selectParameters('transformer.h.0').reduce((n, [, p]) => n + p.size, 0));
    const count = model.countParameters();
    expect(count).toEqual({ trainable: model.numParams() - frozenNumbers, frozen: frozenNumbers, total: model.numParams() });
    const trainableNames = model.trainableParameters().map(([n]) => n);
    expect(trainableNames).toEqual(model.namedParameters().map(([n]) => n).filter(n => !frozenNames.includes(n)));

    // the norm the Trainer clips with is the norm of the trainable parameters' gradients alone
    const expectedNorm = await normOf(model.trainableParameters().map(([, p]) => p));
    expect(fullNorm).toBeGreaterThan(expectedNorm * 1.0001); // the frozen block's gradients would have counted

    const before = await snapshot(model);
    const trainer = new Trainer(fixedBatch(model), { steps: 3, learningRate: 1e-2, live: false });
    const log = (await trainer.trainStep())!;
    expect(log.gradNorm).toBeCloseTo(expectedNorm, 5);
    // optimizer state: m and v for the trainable parameters only
    const state = trainer.optimizer.stateSize();
    expect(state.parameters).toEqual(trainableNames);
    expect(state.numbers).toBe(2 * count.trainable);
    const after = await snapshot(model);
    for (const name of frozenNames) expect(maxAbsDiff(after.get(name)!, before.get(name)!), name).toBe(0);
    for (const name of trainableNames) expect(maxAbsDiff(after.get(name)!, before.get(name)!), name).toBeGreaterThan(0);

    // unfreezing between steps: the next step trains them, and gives them state
    expect(model.unfreeze('transformer.h.0.mlp')).toBe(model.getModule('transformer.h.0.mlp').numParams());
    await trainer.trainStep();
    expect(trainer.optimizer.stateSize().parameters).toContain('transformer.h.0.mlp.c_fc.weight');
    expect(maxAbsDiff((await model.getParameter('transformer.h.0.attn.c_attn.weight').data()) as Float32Array, before.get('transformer.h.0.attn.c_attn.weight')!)).toBe(0);
    trainer.dispose();
    model.dispose();
  });

  it('says clearly what is wrong: a pattern that selects nothing, everything frozen, a model where an objective belongs', async () => {
    const model = new GPT(config);
    expect(() => model.freeze('c_attention')).toThrow(/freeze: c_attention selects no parameter; the model has transformer\.wte\.weight, transformer\.wpe\.weight/);
    model.freeze();
    const trainer = new Trainer(fixedBatch(model), { steps: 1, learningRate: 1e-2, live: false });
    await expect(trainer.trainStep()).rejects.toThrow('nothing to train: every parameter of the fixed batch model is frozen (model.unfreeze(pattern) picks what trains)');
    expect(() => new Trainer(model as never, { steps: 1, learningRate: 1e-2 })).toThrow(/the first argument must be an objective, e.g. new Trainer\(causalLM\(model, data/);
    expect(() => model.replace('transformer.h.0.attn.c_atn', new Linear(new Init(0), 8, 24))).toThrow(/replace: no module named transformer\.h\.0\.attn\.c_atn/);
    model.dispose();
  });

  it('a Linear replaced by a wrapper with a zero-initialised low-rank term: the same logits, and only the wrapper trains', async () => {
    const model = new GPT(config);
    const x = ids();
    const before = await model.forward(x).logits.data();
    const init = new Init(7);
    for (const [name, layer] of model.select(/\.(c_attn|c_fc)$/)) model.replace(name, new LowRankWrapper(layer as Linear, init, 4));
    expect(model.transformer.h.at(0).attn.cAttn).toBeInstanceOf(LowRankWrapper); // the attention's own field holds the wrapper
    expect(model.select('c_attn.base_layer')).toHaveLength(2);
    expect(model.select('c_fc.base_layer')).toHaveLength(2);
    expect(Array.from(await model.forward(x).logits.data())).toEqual(Array.from(before)); // to the bit

    model.freeze();
    model.unfreeze('lora_A');
    model.unfreeze('lora_B');
    const adapterNames = model.trainableParameters().map(([n]) => n);
    const wrapped = ['h.0.attn.c_attn', 'h.0.mlp.c_fc', 'h.1.attn.c_attn', 'h.1.mlp.c_fc'];
    expect(adapterNames).toEqual(wrapped.flatMap(m => [`transformer.${m}.lora_A`, `transformer.${m}.lora_B`]));
    expect(model.countParameters().trainable).toBe(2 * (8 * 4 + 4 * 24) + 2 * (8 * 4 + 4 * 32));

    const frozenBefore = await snapshot(model);
    const trainer = new Trainer(fixedBatch(model), { steps: 60, learningRate: 1e-1, minLearningRate: 1e-1, live: false, weightDecay: 0 });
    const first = (await trainer.trainStep())!.loss;
    let last = first;
    for (let i = 1; i < 60; i++) last = (await trainer.trainStep())!.loss;
    expect(last).toBeLessThan(first - 0.08); // the low-rank terms alone learn the batch (2.389 -> 2.279)
    const after = await snapshot(model);
    for (const [name, values] of frozenBefore) {
      const moved = maxAbsDiff(after.get(name)!, values);
      if (adapterNames.includes(name)) expect(moved, name).toBeGreaterThan(0);
      else expect(moved, name).toBe(0);
    }
    expect(trainer.optimizer.stateSize().parameters).toEqual(adapterNames);
    trainer.dispose();
    tf.dispose(x);
    model.dispose();
  });

  it('takes input embeddings instead of token ids (what prompt tuning feeds it)', async () => {
    const model = new GPT(config);
    const x = ids();
    const fromIds = await model.forward(x).logits.data();
    const embeds = model.transformer.wte.forward(x);
    expect(Array.from(await model.forward({ inputsEmbeds: embeds }).logits.data())).toEqual(Array.from(fromIds));
    expect(() => model.forward({ inputsEmbeds: tf.zeros([2, 8, 5]) })).toThrow('GPT.forward: inputsEmbeds must have shape (B, T, nEmbd 8), got shape [2,8,5]');
    tf.dispose([x, embeds]);
    model.dispose();
  });

  it('waits for batches that come asynchronously, with the losses of the same batches given at once', async () => {
    const lossesOf = async (later: boolean) => {
      const model = new GPT(config);
      const objective = fixedBatch(model);
      const sync = objective.nextBatch;
      if (later) objective.nextBatch = () => new Promise(resolve => setTimeout(() => resolve(sync()), 5));
      const trainer = new Trainer(objective, { steps: 4, learningRate: 1e-2, live: false });
      const losses: number[] = [];
      for (let i = 0; i < 4; i++) losses.push((await trainer.trainStep())!.loss);
      trainer.dispose();
      model.dispose();
      return losses;
    };
    const atOnce = await lossesOf(false);
    expect(await lossesOf(true)).toEqual(atOnce);
    expect(atOnce[3]).toBeLessThan(atOnce[0]);
  });

  it('plots what a step logs as its own named series, read back with the loss', async () => {
    const model = new GPT(config);
    const objective = fixedBatch(model, {
      loss(b, log) {
        const loss = model.loss(b.x, b.y);
        log?.('loss x 2', loss.mul(2) as tf.Scalar);
        return loss;
      }
    });
    const trainer = new Trainer(objective, { steps: 3, learningRate: 1e-2, live: false, evalEvery: 3 });
    await trainer.train();
    const doubled = trainer.series('loss x 2');
    expect(doubled.step).toEqual([1, 2, 3]);
    doubled.value.forEach((v, i) => expect(v).toBeCloseTo(2 * trainer.series('train loss').value[i], 5));
    const twice = fixedBatch(model, {
      loss(b, log) {
        const loss = model.loss(b.x, b.y);
        log?.('train loss', loss);
        return loss;
      }
    });
    await expect(new Trainer(twice, { steps: 1, learningRate: 1e-2, live: false }).trainStep()).rejects.toThrow('fixed batch: a step logged "train loss" twice, or under a name the Trainer plots itself');
    trainer.dispose();
    model.dispose();
  });
});
