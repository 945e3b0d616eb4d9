/**
 * The reward model: the Bradley-Terry loss and its gradient against a hand computation; the score
 * read at each text's last real token, padded or not; preference batches laid out as documented;
 * the objective's loss and centring term; clear errors; save and load in Hugging Face's layout;
 * no leaks; and a short run that learns to prefer what the pairs prefer on held-out pairs.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chosenAndRejected, preferenceBatch, disposePreferenceBatch, TokenizedPreferencePair, tokenizePairs } from '../../kernel-lib/src/align/pairs';
import { bradleyTerryLoss, evaluateRewardModel, rewardObjective, rewardsOf } from '../../kernel-lib/src/align/reward';
import { saveClassifier } from '../../kernel-lib/src/checkpoint/classifier';
import { saveGPT } from '../../kernel-lib/src/checkpoint/gpt';
import { loadRewardModel, saveRewardModel } from '../../kernel-lib/src/checkpoint/rewardModel';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { GPTForSequenceClassification } from '../../kernel-lib/src/models/gptClassifier';
import { GPTRewardModel } from '../../kernel-lib/src/models/rewardModel';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { maxAbsDiff, onCpu, values } from './helpers';

beforeAll(onCpu);

const config = { vocabSize: 13, blockSize: 12, nLayer: 1, nHead: 2, nEmbd: 8, seed: 6 };

/** The chosen answer holds token 1 somewhere, the rejected one never: what the reward model should learn. */
function toyPairs(n: number, seed: number): TokenizedPreferencePair[] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const answer = (withOne: boolean) => {
    const ids = Array.from({ length: 2 + Math.floor(next() * 4) }, () => 2 + Math.floor(next() * 11));
    if (withOne) ids[Math.floor(next() * ids.length)] = 1;
    return ids;
  };
  return Array.from({ length: n }, () => ({ prompt: Array.from({ length: 1 + Math.floor(next() * 3) }, () => 2 + Math.floor(next() * 11)), chosen: answer(true), rejected: answer(false) }));
}

describe('bradleyTerryLoss', () => {
  it('matches the hand computation: mean -log sigmoid(r_chosen - r_rejected) and its gradient', async () => {
    // r_chosen (1, -0.5, 0.2), r_rejected (0.3, 0.5, 0.2): differences d = (0.7, -1, 0)
    // loss = (log(1 + e^-0.7) + log(1 + e^1) + log 2) / 3 = (0.403186 + 1.313262 + 0.693147) / 3 = 0.803198
    // d loss / d r_chosen = -sigmoid(-d) / 3 = -(0.331812, 0.731059, 0.5) / 3 = (-0.110604, -0.243686, -0.166667)
    const rc = tf.tensor1d([1, -0.5, 0.2]);
    const rr = tf.tensor1d([0.3, 0.5, 0.2]);
    expect((await values(bradleyTerryLoss(rc, rr)))[0]).toBeCloseTo(0.803198, 5);
    const [gc, gr] = tf.grads((a: tf.Tensor, b: tf.Tensor) => bradleyTerryLoss(a as tf.Tensor1D, b as tf.Tensor1D))([rc, rr]);
    expect(maxAbsDiff(await values(gc), [-0.110604, -0.243686, -0.166667])).toBeLessThan(1e-5);
    expect(maxAbsDiff(await values(gr), [0.110604, 0.243686, 0.166667])).toBeLessThan(1e-5);
    // only the difference counts: adding 5 to every reward changes nothing
    const shifted = bradleyTerryLoss(rc.add(5) as tf.Tensor1D, rr.add(5) as tf.Tensor1D);
    expect((await values(shifted))[0]).toBeCloseTo(0.803198, 5);
    expect(() => bradleyTerryLoss(rc, tf.tensor1d([1, 2]))).toThrow('bradleyTerryLoss: rChosen and rRejected must both have shape (B,), got [3] and [2]');
    tf.dispose([rc, rr, gc, gr, shifted]);
  });
});

describe('GPTRewardModel', () => {
  it("scores a text by the score head on its last real token's hidden state, the same padded or alone", async () => {
    const gpt = new GPT(config);
    const model = GPTRewardModel.fromGPT(gpt);
    expect(model.transformer).toBe(gpt.transformer); // shared, not copied
    expect(model.score.weight.shape).toEqual([1, 8]);
    const texts = [[3, 4, 5, 6, 7], [8, 2], [9, 9, 1]];
    const batched = await rewardsOf(model, texts);
    const w = await values(model.score.weight);
    for (let i = 0; i < texts.length; i++) {
      const hidden = model.transformer.forward(tf.tensor2d([texts[i]], [1, texts[i].length], 'int32')).hidden; // (1, T, C)
      const last = (await hidden.array() as number[][][])[0][texts[i].length - 1];
      const byHand = last.reduce((s, h, c) => s + h * w[c], 0);
      expect(batched[i], `text ${i}`).toBeCloseTo(byHand, 5);
      hidden.dispose();
    }
    expect(() => model.forward(tf.zeros([2, 3], 'int32'), tf.ones([2, 4]))).toThrow('GPTRewardModel.forward: ids (B, T) and mask (B, T) must have the same shape, got [2,3] and [2,4]');
    model.dispose();
  });

  it('saves as GPT2ForSequenceClassification with num_labels 1 and score.weight (1, C), and loads to the same rewards', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reward-'));
    const model = GPTRewardModel.fromGPT(new GPT(config), { seed: 11 });
    const texts = [[3, 4, 5], [6, 1, 2, 8]];
    const before = await rewardsOf(model, texts);
    await saveRewardModel(model, path.join(dir, 'rm'));
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'rm', 'config.json'), 'utf8'));
    expect(json.architectures).toEqual(['GPT2ForSequenceClassification']);
    expect(json.num_labels).toBe(1);
    expect(json.llm_lab.rewardModel).toEqual({ seed: 11 });
    const { model: loaded } = loadRewardModel(path.join(dir, 'rm'));
    expect(loaded.namedParameters().map(([n, p]) => `${n} [${p.shape}]`)).toEqual(model.namedParameters().map(([n, p]) => `${n} [${p.shape}]`));
    expect(loaded.namedParameters().find(([n]) => n === 'score.weight')![1].shape).toEqual([1, 8]);
    expect(await rewardsOf(loaded, texts)).toEqual(before);
    // a classifier's or a plain GPT's folder is not a reward model: the error says what it is
    const classifier = GPTForSequenceClassification.fromGPT(new GPT(config), { labels: ['a', 'b'] });
    await saveClassifier(classifier, path.join(dir, 'cls'));
    expect(() => loadRewardModel(path.join(dir, 'cls'))).toThrow('has no reward model (llm_lab.rewardModel); it is a classifier: load it with loadClassifier');
    const gpt = new GPT(config);
    await saveGPT(gpt, path.join(dir, 'gpt'));
    expect(() => loadRewardModel(path.join(dir, 'gpt'))).toThrow('it is a plain GPT: load it with loadGPT');
    for (const m of [model, loaded, classifier, gpt]) m.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('preference batches', () => {
  it('hold the chosen rows, then the rejected rows, right-padded, with the real tokens and the answer tokens marked', async () => {
    const b = preferenceBatch([{ prompt: [5, 6], chosen: [7], rejected: [8, 9, 10] }, { prompt: [4], chosen: [1, 2], rejected: [3] }], 0);
    expect(b.pairs).toBe(2);
    expect(await b.ids.array()).toEqual([[5, 6, 7, 0, 0], [4, 1, 2, 0, 0], [5, 6, 8, 9, 10], [4, 3, 0, 0, 0]]);
    expect(await b.attentionMask.array()).toEqual([[1, 1, 1, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]);
    expect(await b.lossMask.array()).toEqual([[0, 0, 1, 0, 0], [0, 1, 1, 0, 0], [0, 0, 1, 1, 1], [0, 1, 0, 0, 0]]);
    const [c, r] = chosenAndRejected(tf.tensor1d([1, 2, 3, 4]), 2);
    expect([await values(c), await values(r)]).toEqual([[1, 2], [3, 4]]);
    tf.dispose([c, r]);
    disposePreferenceBatch(b);
  });

  it('come from text pairs by encoding the prompt and each answer on their own', () => {
    const tokenizer = CharTokenizer.fromText('abcdef');
    const [pair] = tokenizePairs(tokenizer, [{ prompt: 'ab', chosen: 'cd', rejected: 'e' }]);
    expect(pair).toEqual({ prompt: tokenizer.encode('ab'), chosen: tokenizer.encode('cd'), rejected: tokenizer.encode('e') });
  });
});

describe('rewardObjective', () => {
  const data = { train: toyPairs(48, 1), validation: toyPairs(32, 2) };

  it('loss is Bradley-Terry plus centerRewardsCoefficient x mean((r_chosen + r_rejected)²), and the step logs margin and accuracy', async () => {
    const model = GPTRewardModel.fromGPT(new GPT(config));
    const objective = rewardObjective(model, data, { batchSize: 4, centerRewardsCoefficient: 0.5, seed: 3 });
    const batch = objective.nextBatch() as Awaited<ReturnType<typeof objective.nextBatch>>;
    const logged: Record<string, number> = {};
    const loss = objective.loss(batch, (name, v) => (logged[name] = v.dataSync()[0]));
    const rewards = await values(model.forward(batch.ids, batch.attentionMask));
    const [rc, rr] = [rewards.slice(0, 4), rewards.slice(4)];
    const bt = rc.reduce((s, c, i) => s + Math.log1p(Math.exp(-(c - rr[i]))), 0) / 4;
    const centre = rc.reduce((s, c, i) => s + (c + rr[i]) ** 2, 0) / 4;
    expect((await values(loss))[0]).toBeCloseTo(bt + 0.5 * centre, 5);
    expect(logged['reward margin']).toBeCloseTo(rc.reduce((s, c, i) => s + c - rr[i], 0) / 4, 5);
    expect(logged['train accuracy']).toBe(rc.filter((c, i) => c > rr[i]).length / 4);
    objective.disposeBatch(batch);
    tf.dispose(loss);
    model.dispose();
  });

  it('refuses identical answers, empty answers, pairs past maxLength and bad settings, naming the pair and the values', () => {
    const model = GPTRewardModel.fromGPT(new GPT(config));
    const before = tf.memory().numTensors;
    const ok = { batchSize: 4 };
    const withPair = (pair: TokenizedPreferencePair) => ({ train: [...data.train.slice(0, 3), pair], validation: data.validation });
    expect(() => rewardObjective(model, withPair({ prompt: [2], chosen: [3, 4], rejected: [3, 4] }), ok)).toThrow('reward: train: pair 3: chosen and rejected are the same answer [3, 4]; a pair must prefer one answer to another');
    expect(() => rewardObjective(model, withPair({ prompt: [2], chosen: [3], rejected: [] }), ok)).toThrow('reward: train: pair 3: the rejected answer is empty (prompt [2])');
    expect(() => rewardObjective(model, withPair({ prompt: new Array(8).fill(2), chosen: [3], rejected: [4, 4, 4, 4, 5] }), ok)).toThrow('reward: train: pair 3: prompt (8 tokens) + rejected (5) = 13 tokens, more than maxLength 12; shorten it or leave it out');
    expect(() => rewardObjective(model, withPair({ prompt: [2], chosen: [13], rejected: [4] }), ok)).toThrow('reward: train: pair 3: chosen[0] = 13 is outside the vocabulary [0, 13)');
    expect(() => rewardObjective(model, data, { ...ok, maxLength: 13 })).toThrow('reward config: maxLength must be an integer in [2, blockSize = 12], got 13');
    expect(() => rewardObjective(model, data, { ...ok, centerRewardsCoefficient: -0.01 })).toThrow('reward config: centerRewardsCoefficient must be a number >= 0, got -0.01');
    expect(() => rewardObjective(model, { train: data.train, validation: [] }, ok)).toThrow('reward: validation: no preference pairs');
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('leaks no tensor: a step and an evaluation leave the tensor count as it was', async () => {
    const model = GPTRewardModel.fromGPT(new GPT(config));
    const trainer = new Trainer(rewardObjective(model, data, { batchSize: 4, centerRewardsCoefficient: 0.01 }), { steps: 3, learningRate: 1e-2, live: false });
    await trainer.trainStep();
    const before = tf.memory().numTensors;
    await trainer.trainStep();
    await trainer.evaluate();
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    model.dispose();
  });

  it('learns: after 60 steps it ranks at least 28 of 32 held-out pairs right (chance: 16, and 28 is 4 standard deviations above it)', async () => {
    const model = GPTRewardModel.fromGPT(new GPT(config));
    const start = await evaluateRewardModel(model, data.validation);
    const trainer = new Trainer(rewardObjective(model, data, { batchSize: 8, seed: 5 }), { steps: 60, learningRate: 1e-2, weightDecay: 0, live: false });
    for (let i = 0; i < 60; i++) await trainer.trainStep();
    const end = await evaluateRewardModel(model, data.validation);
    expect(end.accuracy).toBeGreaterThanOrEqual(28 / 32);
    expect(end.margin).toBeGreaterThan(start.margin + 1);
    expect(end.loss).toBeLessThan(start.loss);
    trainer.dispose();
    model.dispose();
  });
});
