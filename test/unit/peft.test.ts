/**
 * Parameter-efficient fine-tuning on the module tree: each method starts from the base model's
 * outputs where it should, trains exactly the numbers it claims (gradients and AdamW state counted),
 * LoRA merges and unmerges, adapters switch by name, and a bad config changes nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useDevice } from '../../kernel-lib/src/device';
import { generate } from '../../kernel-lib/src/generate';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { GPTForSequenceClassification } from '../../kernel-lib/src/models/gptClassifier';
import { getPeftModel, LoRALinear, PeftConfig, trainingMemory } from '../../kernel-lib/src/peft';
import { causalLM } from '../../kernel-lib/src/train/objective';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { maxAbsDiff } from './helpers';

const config = { vocabSize: 29, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, seed: 3 };
const C = config.nEmbd;
const L = config.nLayer;
const stream = (n: number, shift: number) => Int32Array.from({ length: n }, (_, i) => (i * 7 + shift + (i >> 3)) % config.vocabSize);
const data = { train: stream(600, 0), val: stream(200, 5) };
const ids = tf.tensor2d([[1, 5, 9, 2, 7, 3, 11, 4], [6, 6, 2, 8, 1, 0, 13, 9]], [2, 8], 'int32');

const logitsOf = (model: GPT) => tf.tidy(() => model.forward(ids).logits.dataSync() as Float32Array);
const snapshot = (model: GPT) => new Map(model.namedParameters().map(([n, p]) => [n, Array.from(p.dataSync())]));

/** Train `steps` steps; returns the trainer (its optimizer holds the state to count). */
async function train(model: GPT, steps = 3, learningRate = 1e-2): Promise<Trainer> {
  const trainer = new Trainer(causalLM(model, data, { batchSize: 4 }), { steps, learningRate, warmupSteps: 0, live: false });
  await trainer.train();
  return trainer;
}

/** Which parameters changed in training, and which AdamW holds m and v for. */
async function census(config: PeftConfig): Promise<{ changed: string[]; withState: string[]; trainable: string[]; stateNumbers: number; memory: ReturnType<typeof trainingMemory> }> {
  const model = new GPT(config_);
  const peft = getPeftModel(model, config);
  const before = snapshot(model);
  const trainer = await train(model);
  const after = snapshot(model);
  const changed = [...after].filter(([n, v]) => !before.has(n) || maxAbsDiff(v, before.get(n)!) > 0).map(([n]) => n);
  const { parameters: withState, numbers: stateNumbers } = trainer.optimizer.stateSize();
  const result = { changed: changed.sort(), withState: [...withState].sort(), trainable: model.trainableParameters().map(([n]) => n).sort(), stateNumbers, memory: peft.memory() };
  trainer.dispose();
  model.dispose();
  return result;
}
const config_ = config;

describe('parameter-efficient fine-tuning', () => {
  beforeAll(async () => {
    await useDevice('cpu', { quiet: true });
  });

  it('LoRA starts equal to the base model (B = 0), and trains only A and B of the targeted layers', async () => {
    const model = new GPT(config);
    const base = logitsOf(model);
    const peft = getPeftModel(model, { peftType: 'LORA', r: 4, loraAlpha: 8, targetModules: ['c_attn'] });
    expect(maxAbsDiff(logitsOf(model), base)).toBe(0);
    const names = model.trainableParameters().map(([n]) => n);
    expect(names).toEqual(['transformer.h.0.attn.c_attn.lora_A.default.weight', 'transformer.h.0.attn.c_attn.lora_B.default.weight', 'transformer.h.1.attn.c_attn.lora_A.default.weight', 'transformer.h.1.attn.c_attn.lora_B.default.weight']);
    // r (in + out) per layer: 4 (16 + 48)
    expect(peft.countTrainable().trainable).toBe(L * 4 * (C + 3 * C));
    expect(peft.printTrainableParameters()).toMatch(/^trainable params: 512 \|\| all params: [\d,]+ \|\| trainable%: \d+\.\d{4}$/);
    model.dispose();
  });

  for (const [title, cfg, expected] of [
    ['LoRA on c_attn and mlp.c_fc', { peftType: 'LORA', r: 2, targetModules: ['c_attn', 'c_fc'] }, /\.(c_attn|c_fc)\.lora_[AB]\.default\.weight$/],
    ['bottleneck adapters (and LayerNorms)', { peftType: 'ADAPTER', bottleneckSize: 4 }, /(\.adapter_(down|up)\.(weight|bias)|\.ln_(1|2|f)\.(weight|bias))$/],
    ['IA3', { peftType: 'IA3' }, /\.ia3_l$/],
    ['prompt tuning', { peftType: 'PROMPT_TUNING', numVirtualTokens: 3 }, /^transformer\.prompt_encoder\.embedding\.weight$/],
    ['prefix tuning (with its MLP)', { peftType: 'PREFIX_TUNING', numVirtualTokens: 3, encoderHiddenSize: 8 }, /^transformer\.prompt_encoder\./],
    ['BitFit', { peftType: 'BITFIT' }, /\.bias$/]
  ] as [string, PeftConfig, RegExp][]) {
    it(`${title}: exactly the parameters it claims get changed and get AdamW state, and memory counts them`, async () => {
      const { changed, withState, trainable, stateNumbers, memory } = await census(cfg);
      expect(trainable.length).toBeGreaterThan(0);
      for (const name of trainable) expect(name).toMatch(expected);
      expect(withState).toEqual(trainable);
      // a parameter with a zero gradient may stay put (LoRA's A at step 1), but nothing frozen moves
      for (const name of changed) expect(trainable).toContain(name);
      expect(changed.length).toBeGreaterThan(0);
      expect(stateNumbers).toBe(2 * memory.numbers.trainable);
      expect(memory.optimizer).toBe(4 * stateNumbers);
      expect(memory.gradients).toBe(4 * memory.numbers.trainable);
    });
  }

  it('each method starts where it should: adapters, IA3 and LoRA as the base; prompt and prefix tuning read extra tokens', () => {
    const base = new GPT(config);
    const reference = logitsOf(base);
    base.dispose();
    for (const cfg of [{ peftType: 'ADAPTER', bottleneckSize: 4 }, { peftType: 'IA3' }, { peftType: 'LORA', r: 3, targetModules: 'c_proj' }] as PeftConfig[]) {
      const model = new GPT(config);
      getPeftModel(model, cfg);
      expect(maxAbsDiff(logitsOf(model), reference), cfg.peftType).toBeLessThan(1e-6);
      model.dispose();
    }
    for (const cfg of [{ peftType: 'PROMPT_TUNING', numVirtualTokens: 4 }, { peftType: 'PREFIX_TUNING', numVirtualTokens: 4 }] as PeftConfig[]) {
      const model = new GPT(config);
      getPeftModel(model, cfg);
      const logits = logitsOf(model);
      expect(logits.length).toBe(reference.length); // the text's logits only
      expect(maxAbsDiff(logits, reference), cfg.peftType).toBeGreaterThan(1e-4);
      expect(model.contextLength).toBe(config.blockSize - 4);
      model.dispose();
    }
  });

  it('prompt and prefix tuning: generation with the KV cache gives the tokens of generation without it', async () => {
    for (const cfg of [{ peftType: 'PROMPT_TUNING', numVirtualTokens: 3 }, { peftType: 'PREFIX_TUNING', numVirtualTokens: 3 }] as PeftConfig[]) {
      const model = new GPT(config);
      getPeftModel(model, cfg);
      await train(model, 3, 5e-2);
      const withCache = await generate(model, [1, 2, 3], { maxNewTokens: 8, temperature: 0 });
      const without = await generate(model, [1, 2, 3], { maxNewTokens: 8, temperature: 0, kvCache: false });
      expect(withCache, cfg.peftType).toEqual(without);
      await expect(generate(model, Array(14).fill(1), { maxNewTokens: 1, temperature: 0 })).rejects.toThrow('generate: the prompt has 14 tokens, longer than the context (13 tokens: blockSize 16 less 3 virtual tokens)');
      model.dispose();
    }
  });

  it('LoRA merge and unmerge: merged logits equal the adapter\'s, unmerged weights equal the base\'s', async () => {
    const model = new GPT(config);
    const peft = getPeftModel(model, { peftType: 'LORA', r: 4, loraAlpha: 16, targetModules: ['c_attn', 'c_fc'] });
    const baseWeights = snapshot(model);
    await train(model, 5, 5e-2);
    const adapted = logitsOf(model);
    const base = peft.withAdapterDisabled(() => logitsOf(model));
    expect(maxAbsDiff(adapted, base)).toBeGreaterThan(1e-3); // training moved it
    peft.merge();
    const [name, layer] = peft.loraLayers()[0];
    expect(layer.merged).toBe('default');
    expect(maxAbsDiff(logitsOf(model), adapted)).toBeLessThan(1e-5);
    expect(maxAbsDiff(model.getParameter(`${name}.base_layer.weight`).dataSync(), baseWeights.get(`${name}.base_layer.weight`)!)).toBeGreaterThan(1e-4);
    peft.unmerge();
    expect(maxAbsDiff(logitsOf(model), adapted)).toBeLessThan(1e-5);
    expect(maxAbsDiff(model.getParameter(`${name}.base_layer.weight`).dataSync(), baseWeights.get(`${name}.base_layer.weight`)!)).toBeLessThan(1e-6);
    // merge and unload: a plain GPT again, with the adapter's outputs
    peft.mergeAndUnload();
    expect(model.namedModules().some(([, m]) => m instanceof LoRALinear)).toBe(false);
    expect(model.namedParameters().map(([n]) => n)).toEqual(new GPT(config).namedParameters().map(([n]) => n));
    expect(maxAbsDiff(logitsOf(model), adapted)).toBeLessThan(1e-5);
    model.dispose();
  });

  it('several LoRA adapters on one base, switched by name; only the active one trains', async () => {
    const model = new GPT(config);
    const peft = getPeftModel(model, { peftType: 'LORA', r: 2, targetModules: 'c_attn', seed: 1 }, 'first');
    await train(model, 4, 5e-2);
    const first = logitsOf(model);
    peft.addAdapter('second', { peftType: 'LORA', r: 4, targetModules: ['c_attn', 'c_proj'], seed: 2 });
    expect(peft.activeAdapter).toBe('first');
    expect(maxAbsDiff(logitsOf(model), first)).toBe(0);
    peft.setAdapter('second');
    expect(model.trainableParameters().every(([n]) => n.includes('.second.'))).toBe(true);
    const base = peft.withAdapterDisabled(() => logitsOf(model));
    expect(maxAbsDiff(logitsOf(model), base)).toBe(0); // B = 0: the new adapter starts as the base
    await train(model, 4, 5e-2);
    const second = logitsOf(model);
    expect(maxAbsDiff(second, base)).toBeGreaterThan(1e-3);
    peft.setAdapter('first');
    expect(maxAbsDiff(logitsOf(model), first)).toBe(0); // training the second left the first alone
    expect(() => peft.setAdapter('third')).toThrow('setAdapter: no adapter named "third"; the model has "first", "second"');
    model.dispose();
  });

  it('a classifier with LoRA trains its new head too (modulesToSave)', () => {
    const gpt = new GPT(config);
    const model = GPTForSequenceClassification.fromGPT(gpt, { labels: ['a', 'b', 'c'], seed: 1 });
    getPeftModel(model, { peftType: 'LORA', r: 2, targetModules: 'c_attn', modulesToSave: ['score'] });
    expect(model.trainableParameters().map(([n]) => n).filter(n => !n.includes('lora_'))).toEqual(['score.weight']);
    model.dispose();
  });

  it('bad configs give clear errors, and the model is left as it was', () => {
    const model = new GPT(config);
    const names = model.namedParameters().map(([n]) => n);
    const trainable = model.trainableParameters().length;
    const reference = logitsOf(model);
    const cases: [PeftConfig, string][] = [
      [{ peftType: 'LORA', r: 0, targetModules: 'c_attn' }, 'getPeftModel (LORA): r must be an integer in [1, ∞], got 0'],
      [{ peftType: 'LORA', r: 17, targetModules: 'c_attn' }, 'LoRA: r must be an integer in [1, 16] for transformer.h.0.attn.c_attn (in 16, out 48), got 17'],
      [{ peftType: 'LORA', r: 2, targetModules: ['c_attn', 'q_proj'] }, 'getPeftModel (LORA): target "q_proj" matches no layer; the model\'s linear layers are named attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj, ...'],
      [{ peftType: 'LORA', r: 2, targetModules: 'ln_1' }, 'getPeftModel (LORA): target "ln_1" selects transformer.h.0.ln_1, a LayerNorm, not a linear layer'],
      [{ peftType: 'LORA', r: 2, loraAlpha: -1, targetModules: 'c_attn' }, 'loraAlpha must be a number > 0, got -1'],
      [{ peftType: 'PREFIX_TUNING', numVirtualTokens: 16 }, 'getPeftModel (PREFIX_TUNING): numVirtualTokens must be an integer in [1, 15] (the context blockSize is 16: a prefix must leave room for text), got 16'],
      [{ peftType: 'PROMPT_TUNING', numVirtualTokens: 40 }, 'numVirtualTokens must be an integer in [1, 15]'],
      [{ peftType: 'PROMPT_TUNING', numVirtualTokens: 2, promptTuningInit: 'TEXT', promptTuningInitIds: [3, 99] }, 'promptTuningInitIds[1] = 99 is outside the vocabulary [0, 29)'],
      [{ peftType: 'ADAPTER', bottleneckSize: 17 }, 'getPeftModel (ADAPTER): bottleneckSize must be an integer in [1, 16] (the adapted layers\' width is 16), got 17'],
      [{ peftType: 'IA3', targetModules: 'nothing_here' }, 'target "nothing_here" matches no layer'],
      [{ peftType: 'LORA', r: 2, targetModules: 'c_attn', modulesToSave: ['classifier'] }, 'modulesToSave "classifier" selects no parameter'],
      [{ peftType: 'DORA' } as unknown as PeftConfig, 'getPeftModel: peftType must be one of LORA, ADAPTER, IA3, PROMPT_TUNING, PREFIX_TUNING, BITFIT, got "DORA"']
    ];
    for (const [cfg, message] of cases) {
      expect(() => getPeftModel(model, cfg), JSON.stringify(cfg)).toThrow(message);
      expect(model.namedParameters().map(([n]) => n)).toEqual(names);
      expect(model.trainableParameters().length).toBe(trainable);
      expect(model.contextLength).toBe(config.blockSize);
    }
    expect(maxAbsDiff(logitsOf(model), reference)).toBe(0);
    getPeftModel(model, { peftType: 'IA3' });
    expect(() => getPeftModel(model, { peftType: 'LORA', r: 2, targetModules: 'c_fc' })).toThrow('getPeftModel (LORA): the model is already adapted (transformer.h.0.attn.c_attn); start from the base model');
    model.dispose();
  });

  it('the memory census: LoRA r 4 on c_attn keeps gradients and AdamW state for its A and B only', () => {
    const model = new GPT(config);
    const full = trainingMemory(model);
    const peft = getPeftModel(model, { peftType: 'LORA', r: 4, targetModules: 'c_attn' });
    const lora = peft.memory();
    const trainable = L * 4 * (C + 3 * C);
    expect(lora.numbers.trainable).toBe(trainable);
    expect(lora.numbers.total).toBe(full.numbers.total + trainable);
    expect(lora.weights).toEqual({ trainable: 4 * trainable, frozen: 4 * full.numbers.total, quantized: 0 });
    expect(lora.gradients).toBe(4 * trainable);
    expect(lora.optimizer).toBe(8 * trainable);
    expect(full.optimizer).toBe(8 * full.numbers.total);
    model.dispose();
  });

  it('leaves no tensor behind: a forward and a training step of each method', async () => {
    for (const cfg of [{ peftType: 'LORA', r: 2, targetModules: 'c_attn', loraDropout: 0.1 }, { peftType: 'PREFIX_TUNING', numVirtualTokens: 2 }, { peftType: 'PROMPT_TUNING', numVirtualTokens: 2 }, { peftType: 'IA3' }, { peftType: 'ADAPTER', bottleneckSize: 2 }] as PeftConfig[]) {
      const model = new GPT(config);
      getPeftModel(model, cfg);
      const trainer = await train(model, 1);
      const before = tf.memory().numTensors;
      await trainer.trainStep();
      await trainer.trainStep();
      logitsOf(model);
      expect(tf.memory().numTensors, cfg.peftType).toBe(before);
      trainer.dispose();
      model.dispose();
    }
  });
});
