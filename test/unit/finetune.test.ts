/**
 * What fine-tuning needs from the library: parameter groups with their own rates, gradual
 * unfreezing from the top, a classification head on the GPT backbone that pools as configured
 * and swaps without touching the body, early stopping with the best weights, and clear errors.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadClassifier, saveClassifier } from '../../kernel-lib/src/checkpoint/classifier';
import { classBatch, classificationObjective, LabelledExample, labelledExamples } from '../../kernel-lib/src/finetune/classification';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { GPTForSequenceClassification } from '../../kernel-lib/src/models/gptClassifier';
import { AdamW } from '../../kernel-lib/src/train/adamw';
import { discriminativeLearningRates, layerGroups, resolveParamGroups } from '../../kernel-lib/src/train/paramGroups';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { GradualUnfreezing } from '../../kernel-lib/src/train/unfreezing';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { maxAbsDiff, onCpu, values } from './helpers';

const config = { vocabSize: 11, blockSize: 12, nLayer: 3, nHead: 2, nEmbd: 8, seed: 5 };

beforeAll(onCpu);

/** Texts of class 1 contain token 1 somewhere, class 0 never do. */
function toyExamples(n: number, seed: number): LabelledExample[] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: n }, (_, i) => {
    const label = i % 2;
    const length = 3 + Math.floor(next() * 8);
    const ids = Array.from({ length }, () => 2 + Math.floor(next() * 9));
    if (label === 1) ids[Math.floor(next() * length)] = 1;
    return { ids, label };
  });
}

describe('parameter groups', () => {
  it('apply their own learning rate and weight decay: one AdamW step moves each group by its rate', async () => {
    const model = new GPT(config);
    const [a, b] = [model.getParameter('transformer.h.0.attn.c_attn.weight'), model.getParameter('transformer.h.2.attn.c_attn.weight')];
    const before = [await values(a), await values(b)];
    const groups = resolveParamGroups(model, [{ params: 'h.0', learningRate: 1e-3, weightDecay: 0 }, { params: 'h.2', learningRate: 1e-1, weightDecay: 0 }], { learningRate: 1e-2, weightDecay: 0.1 });
    const opt = new AdamW(model.namedParameters(), { beta1: 0.9, beta2: 0.95, eps: 1e-12, weightDecay: 0.1 }, groups);
    // A gradient of ones: Adam's first step moves every weight by exactly its learning rate.
    opt.step({ [a.name]: tf.onesLike(a), [b.name]: tf.onesLike(b) }, 1e-2);
    const moved = (after: number[], start: number[]) => after.map((v, i) => start[i] - v);
    for (const d of moved(await values(a), before[0])) expect(d).toBeCloseTo(1e-3, 6);
    for (const d of moved(await values(b), before[1])) expect(d).toBeCloseTo(1e-1, 6);
    opt.dispose();
    model.dispose();
  });

  it('give a parameter outside any group the config rate, and the group its weight decay', async () => {
    const model = new GPT(config);
    const p = model.getParameter('transformer.h.1.mlp.c_fc.weight');
    const q = model.getParameter('transformer.h.0.mlp.c_fc.weight');
    const [p0, q0] = [await values(p), await values(q)];
    const groups = resolveParamGroups(model, [{ params: 'h.1', weightDecay: 0.5 }], { learningRate: 0.1, weightDecay: 0 });
    const opt = new AdamW(model.namedParameters(), { beta1: 0.9, beta2: 0.95, eps: 1e-12, weightDecay: 0 }, groups);
    opt.step({ [p.name]: tf.zerosLike(p), [q.name]: tf.zerosLike(q) }, 0.1);
    // zero gradient: only decoupled decay moves a weight, w <- w - lr * wd * w
    expect(maxAbsDiff(await values(p), p0.map(w => w - 0.1 * 0.5 * w))).toBeLessThan(1e-7);
    expect(maxAbsDiff(await values(q), q0)).toBe(0);
    opt.dispose();
    model.dispose();
  });

  it('refuse an unknown pattern, a parameter in two groups and a bad rate, naming them', () => {
    const model = new GPT(config);
    const d = { learningRate: 1e-3, weightDecay: 0 };
    expect(() => resolveParamGroups(model, [{ params: 'h.9' }], d)).toThrow(/the pattern h\.9 selects no parameter of the model \(its parameters: transformer\.wte\.weight/);
    expect(() => resolveParamGroups(model, [{ params: 'h.0', name: 'low' }, { params: 'transformer.h.0.ln_1', name: 'top' }], d)).toThrow('param group top: parameter transformer.h.0.ln_1.weight is already in low');
    expect(() => resolveParamGroups(model, [{ params: 'h.0', learningRate: -1 }], d)).toThrow('learningRate must be a positive number, got -1');
    expect(() => new Trainer(classificationObjective(GPTForSequenceClassification.fromGPT(model, { labels: ['a', 'b'] }), { train: toyExamples(4, 1), validation: toyExamples(4, 2) }, { batchSize: 2 }), { steps: 1, learningRate: 1e-3, paramGroups: [{ params: 'encoder' }] })).toThrow('selects no parameter');
    model.dispose();
  });

  it('discriminative rates divide by the decay from the head down to the embeddings', () => {
    const model = GPTForSequenceClassification.fromGPT(new GPT(config), { labels: ['a', 'b'] });
    expect(layerGroups(model).map(g => g.name)).toEqual(['head', 'block 2', 'block 1', 'block 0', 'embeddings']);
    expect(layerGroups(model)[1].params).toContain('transformer.ln_f.weight'); // the final norm trains with the top block
    const groups = discriminativeLearningRates(model, { learningRate: 1e-3, decay: 2 });
    expect(groups.map(g => g.learningRate)).toEqual([1e-3, 5e-4, 2.5e-4, 1.25e-4, 6.25e-5]);
    const settings = resolveParamGroups(model, groups, { learningRate: 1e-3, weightDecay: 0 });
    expect(settings.size).toBe(model.namedParameters().length); // every parameter in exactly one group
    model.dispose();
  });
});

describe('gradual unfreezing', () => {
  it('unfreezes the head first, then one block per `every` steps from the top, then the embeddings', () => {
    const model = GPTForSequenceClassification.fromGPT(new GPT(config), { labels: ['a', 'b'] });
    const schedule = new GradualUnfreezing(model, { every: 10 });
    const trainable = () => [...new Set(model.trainableParameters().map(([n]) => n.split('.').slice(0, n.startsWith('transformer.h.') ? 3 : 2).join('.')))];
    expect(schedule.apply(0)).toEqual(['head']);
    expect(trainable()).toEqual(['score.weight']);
    expect(schedule.apply(9)).toEqual([]);
    expect(schedule.apply(10)).toEqual(['block 2']);
    expect(trainable()).toEqual(['transformer.h.2', 'transformer.ln_f', 'score.weight']);
    expect(schedule.apply(35)).toEqual(['block 1', 'block 0']);
    expect(schedule.apply(40)).toEqual(['embeddings']);
    expect(model.countParameters().frozen).toBe(0);
    model.dispose();
  });

  it('in the Trainer: the frozen blocks do not move until their turn', async () => {
    const model = GPTForSequenceClassification.fromGPT(new GPT(config), { labels: ['no 1', 'has 1'] });
    const objective = classificationObjective(model, { train: toyExamples(32, 3), validation: toyExamples(8, 4) }, { batchSize: 8 });
    const trainer = new Trainer(objective, { steps: 4, learningRate: 1e-2, live: false, gradualUnfreezing: { every: 2 } });
    const h0 = model.getParameter('transformer.h.0.mlp.c_fc.weight');
    const h2 = model.getParameter('transformer.h.2.mlp.c_fc.weight');
    const [h0Start, h2Start] = [await values(h0), await values(h2)];
    await trainer.trainStep();
    await trainer.trainStep();
    expect(maxAbsDiff(await values(h2), h2Start)).toBe(0); // steps 0-1: the head alone
    await trainer.trainStep();
    expect(maxAbsDiff(await values(h2), h2Start)).toBeGreaterThan(0); // step 2: block 2 joins
    expect(maxAbsDiff(await values(h0), h0Start)).toBe(0);
    expect(trainer.optimizer.stateSize().parameters.some(n => n.startsWith('transformer.h.0.'))).toBe(false);
    trainer.dispose();
    model.dispose();
  });
});

describe('classification head', () => {
  it("pools the last real token ('last') or the mean of the real tokens ('mean'), padding ignored", async () => {
    const gpt = new GPT(config);
    const examples = [{ ids: [3, 4, 5], label: 0 }, { ids: [6, 7, 8, 9, 2], label: 1 }];
    const batch = classBatch(examples);
    const hidden = gpt.transformer.forward(batch.ids).hidden; // (2, 5, 8)
    const rows = (await hidden.array()) as number[][][];
    for (const pooling of ['last', 'mean'] as const) {
      const model = GPTForSequenceClassification.fromGPT(gpt, { labels: ['a', 'b', 'c'], pooling });
      const pooled = (await model.score.pool(hidden, batch.mask).array()) as number[][];
      examples.forEach((e, b) => {
        const real = rows[b].slice(0, e.ids.length);
        const expected = pooling === 'last' ? real[real.length - 1] : real[0].map((_, c) => real.reduce((s, r) => s + r[c], 0) / real.length);
        expect(maxAbsDiff(pooled[b], expected)).toBeLessThan(1e-6);
      });
      // and the logits are the pooled vector times the head's (numLabels, C) weight
      const logits = (await model.forward(batch.ids, batch.mask).array()) as number[][];
      const w = (await model.score.weight.array()) as number[][];
      expect(maxAbsDiff(logits[0], w.map(row => row.reduce((s, v, c) => s + v * pooled[0][c], 0)))).toBeLessThan(1e-6);
      // a padded text is classified as it is alone
      const alone = classBatch([examples[0]]);
      expect(maxAbsDiff((await model.forward(alone.ids, alone.mask).array() as number[][])[0], logits[0])).toBeLessThan(1e-5);
      model.score.dispose();
    }
    gpt.dispose();
  });

  it('swaps for other classes without touching a weight of the body', async () => {
    const gpt = new GPT(config);
    const model = GPTForSequenceClassification.fromGPT(gpt, { labels: ['cat', 'dog', 'donkey', 'tiger'] });
    model.transformer.freeze();
    const body = await Promise.all(model.transformer.parameters().map(p => values(p)));
    const tensors = tf.memory().numTensors;
    model.newHead(['cat', 'dog']);
    expect(tf.memory().numTensors).toBe(tensors - 1 + 1); // the old head's weight freed, the new one made
    expect(model.score.weight.shape).toEqual([2, 8]);
    expect(model.labels).toEqual(['cat', 'dog']);
    const after = await Promise.all(model.transformer.parameters().map(p => values(p)));
    after.forEach((a, i) => expect(maxAbsDiff(a, body[i])).toBe(0));
    expect(model.countParameters()).toEqual({ trainable: 2 * 8, frozen: gpt.numParams(), total: gpt.numParams() + 16 });
    expect(() => model.newHead(['one'])).toThrow('labels must name at least 2 classes, got ["one"]');
    expect(() => model.newHead(['a', 'b'], { pooling: 'max' as never })).toThrow(`pooling must be 'last' or 'mean', got "max"`);
    model.dispose();
  });

  it('refuses a label outside the classes and a text longer than the context, naming them', () => {
    const gpt = new GPT(config);
    const model = GPTForSequenceClassification.fromGPT(gpt, { labels: ['neg', 'pos'] });
    const tok = CharTokenizer.fromText('abc');
    expect(() => labelledExamples(tok, ['ab', 'ca'], ['pos', 'neutral'], model.labels, 8)).toThrow('example 1: the label "neutral" is not one of the 2 classes (0 neg, 1 pos)');
    const long = { train: [{ ids: Array(13).fill(2), label: 0 }], validation: [{ ids: [2], label: 2 }] };
    expect(() => classificationObjective(model, long, { batchSize: 2 })).toThrow('classification: train: example 0 has 13 tokens; a text must have 1 to blockSize (12)');
    expect(() => classificationObjective(model, { train: [{ ids: [2], label: 0 }], validation: [{ ids: [2], label: 2 }] }, { batchSize: 2 })).toThrow('example 0: the label 2 is not one of the 2 classes');
    gpt.dispose();
  });

  it('learns a toy task through the one Trainer, with accuracy and F1 plotted live', async () => {
    const model = GPTForSequenceClassification.fromGPT(new GPT(config), { labels: ['no 1', 'has 1'], pooling: 'mean' });
    const objective = classificationObjective(model, { train: toyExamples(64, 5), validation: toyExamples(32, 6) }, { batchSize: 16, seed: 1 });
    const trainer = new Trainer(objective, { steps: 150, learningRate: 1e-2, evalEvery: 50, live: false });
    const first = (await objective.evaluate()).metrics.accuracy;
    const tensors = tf.memory().numTensors;
    await trainer.trainStep();
    const afterOne = tf.memory().numTensors; // optimizer state made at the first step
    await trainer.trainStep();
    expect(tf.memory().numTensors).toBe(afterOne);
    expect(afterOne).toBeGreaterThan(tensors);
    const summary = await trainer.train();
    expect(first).toBeLessThan(0.6); // chance is 0.5
    expect(summary.valMetrics!.accuracy).toBeGreaterThan(0.75); // 0.84 with these seeds
    expect(trainer.history.series.map(s => `${s.name} @ ${s.panel}`)).toEqual(
      expect.arrayContaining(['val accuracy @ accuracy', 'train accuracy @ accuracy', 'val f1 @ f1'])
    );
    trainer.dispose();
    model.dispose();
  });
});

describe('early stopping', () => {
  it('stops when validation stops improving and gives back the weights of the best evaluation', async () => {
    const model = GPTForSequenceClassification.fromGPT(new GPT(config), { labels: ['no 1', 'has 1'] });
    // 8 training texts and a high rate: it memorises them and the validation loss turns up
    const objective = classificationObjective(model, { train: toyExamples(8, 7), validation: toyExamples(64, 8) }, { batchSize: 8 });
    const snapshots = new Map<number, number[][]>();
    const trainer = new Trainer(objective, {
      steps: 400, learningRate: 3e-2, warmupSteps: 0, weightDecay: 0, evalEvery: 5, live: false,
      earlyStopping: { patience: 3 },
      onEval: async step => void snapshots.set(step, await Promise.all(model.parameters().map(p => values(p))))
    });
    const summary = await trainer.train();
    const losses = trainer.evaluations.map(e => e.loss);
    const best = trainer.evaluations[losses.indexOf(Math.min(...losses))];
    expect(summary.status).toBe('done');
    expect(trainer.step).toBeLessThan(400);
    expect(trainer.step - best.step).toBe(15); // three evaluations without a better loss
    expect(summary.message).toBe(`stopped early at step ${trainer.step}: val loss has not improved for 3 evaluations. The model has the weights of step ${best.step}, its best (val loss ${best.loss.toPrecision(4)}).`);
    const now = await Promise.all(model.parameters().map(p => values(p)));
    now.forEach((w, i) => expect(maxAbsDiff(w, snapshots.get(best.step)![i])).toBe(0));
    expect((await objective.evaluate()).loss).toBeCloseTo(best.loss, 6);
    trainer.dispose();
    model.dispose();
  });

  it('names the metrics there are when asked for one the objective has not', async () => {
    const model = GPTForSequenceClassification.fromGPT(new GPT(config), { labels: ['a', 'b'] });
    const objective = classificationObjective(model, { train: toyExamples(8, 1), validation: toyExamples(8, 2) }, { batchSize: 4 });
    const trainer = new Trainer(objective, { steps: 2, learningRate: 1e-3, live: false, earlyStopping: { patience: 2, metric: 'bleu' } });
    await expect(trainer.train()).rejects.toThrow('earlyStopping: the evaluation has no metric "bleu"; it has loss, accuracy, f1');
    trainer.dispose();
    model.dispose();
  });
});

describe('dropout in the Trainer', () => {
  it('acts in the training steps only: evaluations see the whole model, and the same seeds give the same run', async () => {
    const run = async (dropout: number) => {
      const model = GPTForSequenceClassification.fromGPT(new GPT({ ...config, dropout }), { labels: ['a', 'b'] });
      const objective = classificationObjective(model, { train: toyExamples(16, 1), validation: toyExamples(8, 2) }, { batchSize: 8 });
      const trainer = new Trainer(objective, { steps: 3, learningRate: 1e-2, live: false });
      const losses = [];
      for (let i = 0; i < 3; i++) losses.push((await trainer.trainStep())!.loss);
      expect(model.training).toBe(false); // back in eval mode after each step
      const evaluation = await trainer.evaluate();
      trainer.dispose();
      model.dispose();
      return { losses, evaluation };
    };
    const [a, b, none] = [await run(0.3), await run(0.3), await run(0)];
    expect(a.losses).toEqual(b.losses);
    expect(a.losses[0]).not.toBe(none.losses[0]); // the first step starts from the same weights: only dropout differs
    expect(a.evaluation).toEqual(b.evaluation);
  });
});

describe('classifier checkpoints', () => {
  it('save the head with the body and the labels (as GPT2ForSequenceClassification), and load back the same logits', async () => {
    const model = GPTForSequenceClassification.fromGPT(new GPT(config), { labels: ['neg', 'pos', 'mixed'], pooling: 'mean', seed: 12 });
    model.freeze('transformer'); // a frozen body loads as trainable: what trains is the next run's choice
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'classifier-'));
    const tok = CharTokenizer.fromText('abcdefghij');
    await saveClassifier(model, folder, { tokenizer: tok.toJSON() });
    const json = JSON.parse(fs.readFileSync(path.join(folder, 'config.json'), 'utf8'));
    expect(json.architectures).toEqual(['GPT2ForSequenceClassification']);
    expect(json.id2label).toEqual({ 0: 'neg', 1: 'pos', 2: 'mixed' });
    expect(json.num_labels).toBe(3);
    expect(json.llm_lab.classifier).toEqual({ labels: ['neg', 'pos', 'mixed'], pooling: 'mean', seed: 12 });
    const { model: loaded } = loadClassifier(folder);
    expect(loaded.labels).toEqual(['neg', 'pos', 'mixed']);
    expect(loaded.score.weight.shape).toEqual([3, 8]);
    const batch = classBatch([{ ids: [3, 4, 5], label: 0 }, { ids: [6, 7], label: 1 }]);
    expect(maxAbsDiff(await values(loaded.forward(batch.ids, batch.mask)), await values(model.forward(batch.ids, batch.mask)))).toBe(0);
    loaded.dispose();
    model.dispose();
  });

  it('refuse a plain GPT folder, saying what it is', async () => {
    const { saveGPT } = await import('../../kernel-lib/src/checkpoint/gpt');
    const gpt = new GPT(config);
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'gpt-'));
    await saveGPT(gpt, folder);
    expect(() => loadClassifier(folder)).toThrow('has no classifier (llm_lab.classifier); it is a plain GPT: load it with loadGPT');
    gpt.dispose();
  });
});

describe('scoring text outside training', () => {
  it('GPT.loss leaves only its scalar behind (a notebook scoring many windows leaks nothing)', () => {
    const gpt = new GPT(config);
    const x = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const y = tf.tensor2d([[2, 3, 4, 5]], [1, 4], 'int32');
    const before = tf.memory().numTensors;
    const loss = gpt.loss(x, y);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([loss, x, y]);
    gpt.dispose();
  });
});
