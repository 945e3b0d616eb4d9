/**
 * DPO: the loss, its implicit rewards and its gradient against a hand computation; the reference
 * model outside the gradient and the optimizer (a frozen copy, or a LoRA policy's own base);
 * padded batches giving each pair the log-probs it has alone; bad configs refused with nothing
 * changed; a few steps raising the margin on the training pairs.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { dpoLoss, dpoObjective, pairLogProbs } from '../../kernel-lib/src/align/dpo';
import { preferenceBatch, TokenizedPreferencePair, disposePreferenceBatch } from '../../kernel-lib/src/align/pairs';
import { createReferenceModel } from '../../kernel-lib/src/align/reference';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { getPeftModel } from '../../kernel-lib/src/peft/peftModel';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { maxAbsDiff, onCpu, values } from './helpers';

beforeAll(onCpu);

const config = { vocabSize: 13, blockSize: 12, nLayer: 1, nHead: 2, nEmbd: 8, seed: 4 };

/** Prompts of 1 to 3 tokens; the chosen answer repeats token 1, the rejected one token 2, of different lengths. */
function toyPairs(n: number, offset = 0): TokenizedPreferencePair[] {
  return Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    const prompt = Array.from({ length: 1 + (k % 3) }, (_, t) => 3 + ((k + t) % 9));
    return { prompt, chosen: [1, 1, 3 + (k % 5)].slice(0, 1 + (k % 3)), rejected: [2, 2, 2, 4].slice(0, 1 + ((k + 1) % 4)) };
  });
}

const weightsOf = async (model: GPT) => Promise.all(model.parameters().map(p => values(p)));

describe('dpoLoss', () => {
  // Two pairs, beta = 0.5. Summed answer log-probs:
  //   policy chosen [-3, -5], policy rejected [-4, -4.5], reference chosen [-3.5, -4.8], reference rejected [-3.6, -4.4]
  // implicit rewards beta (log π - log π_ref):
  //   chosen   0.5 (-3 + 3.5) = 0.25,   0.5 (-5 + 4.8) = -0.1
  //   rejected 0.5 (-4 + 3.6) = -0.2,   0.5 (-4.5 + 4.4) = -0.05
  //   margins  0.45, -0.05; accuracy 1/2
  // loss = mean(-log sigmoid(margin)) = (log(1 + e^-0.45) + log(1 + e^0.05)) / 2 = (0.493306 + 0.718403) / 2 = 0.605854
  // d loss / d log π_chosen[i] = -beta sigmoid(-margin_i) / 2 = -0.25 (0.389361, 0.512497) = (-0.097340, -0.128124);
  // d loss / d log π_rejected[i] is its negative.
  const policyChosen = [-3, -5];
  const policyRejected = [-4, -4.5];
  const refChosen = [-3.5, -4.8];
  const refRejected = [-3.6, -4.4];

  it('matches the hand computation: rewards, margins, accuracy, loss and its gradient w.r.t. the policy log-probs', async () => {
    const [pc, pr, rc, rr] = [policyChosen, policyRejected, refChosen, refRejected].map(v => tf.tensor1d(v));
    const out = dpoLoss(pc, pr, rc, rr, 0.5);
    expect(maxAbsDiff(await values(out.chosenRewards), [0.25, -0.1])).toBeLessThan(1e-6);
    expect(maxAbsDiff(await values(out.rejectedRewards), [-0.2, -0.05])).toBeLessThan(1e-6);
    expect(maxAbsDiff(await values(out.margins), [0.45, -0.05])).toBeLessThan(1e-6);
    expect((await values(out.accuracy))[0]).toBe(0.5);
    expect((await values(out.loss))[0]).toBeCloseTo(0.605854, 5);
    const [gc, gr] = tf.grads((a: tf.Tensor, b: tf.Tensor) => dpoLoss(a as tf.Tensor1D, b as tf.Tensor1D, rc, rr, 0.5).loss)([pc, pr]);
    expect(maxAbsDiff(await values(gc), [-0.09734, -0.128124])).toBeLessThan(1e-5);
    expect(maxAbsDiff(await values(gr), [0.09734, 0.128124])).toBeLessThan(1e-5);
    tf.dispose([pc, pr, rc, rr, ...Object.values(out), gc, gr]);
  });

  it('with labelSmoothing 0.1 is 0.9 x the loss + 0.1 x the flipped one: the loss plus 0.1 x the mean margin, here 0.625854', async () => {
    // -log sigmoid(-m) - (-log sigmoid(m)) = m, so the smoothed loss = loss + eps mean(m) = 0.605854 + 0.1 x 0.2,
    // and its gradient w.r.t. log π_chosen = the plain one + eps beta / B = (-0.072340, -0.103124).
    const [pc, pr, rc, rr] = [policyChosen, policyRejected, refChosen, refRejected].map(v => tf.tensor1d(v));
    const out = dpoLoss(pc, pr, rc, rr, 0.5, 0.1);
    expect((await values(out.loss))[0]).toBeCloseTo(0.625854, 5);
    const [gc] = tf.grads((a: tf.Tensor) => dpoLoss(a as tf.Tensor1D, pr, rc, rr, 0.5, 0.1).loss)([pc]);
    expect(maxAbsDiff(await values(gc), [-0.07234, -0.103124])).toBeLessThan(1e-5);
    tf.dispose([pc, pr, rc, rr, ...Object.values(out), gc]);
  });

  it('refuses beta <= 0, labelSmoothing outside [0, 0.5) and log-probs of different shapes, creating no tensor', () => {
    const [pc, pr, rc, rr] = [policyChosen, policyRejected, refChosen, refRejected].map(v => tf.tensor1d(v));
    const before = tf.memory().numTensors;
    expect(() => dpoLoss(pc, pr, rc, rr, 0)).toThrow('dpoLoss: beta must be a number > 0 (how strongly the policy is held to the reference; TRL\'s default is 0.1), got 0');
    expect(() => dpoLoss(pc, pr, rc, rr, -0.1)).toThrow('got -0.1');
    expect(() => dpoLoss(pc, pr, rc, rr, 0.1, 0.5)).toThrow('dpoLoss: labelSmoothing must be in [0, 0.5), got 0.5');
    const three = tf.tensor1d([1, 2, 3]);
    expect(() => dpoLoss(pc, pr, rc, three, 0.1)).toThrow('dpoLoss: the four log-probs must have one shape (B,), got [2], [2], [2], [3]');
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([pc, pr, rc, rr, three]);
  });
});

describe('preference batches', () => {
  it('give every pair the summed answer log-probs it has alone, chosen and rejected, padding and prompt left out', async () => {
    const model = new GPT(config);
    const pairs = toyPairs(3);
    const batch = preferenceBatch(pairs);
    const [chosen, rejected] = pairLogProbs(model, batch);
    const together = [...(await values(chosen)), ...(await values(rejected))];
    const alone: number[] = [];
    for (const part of ['chosen', 'rejected'] as const) {
      for (const p of pairs) {
        // one row, no padding: prompt + answer, scored on the answer only, summed by hand from the logits
        const ids = [...p.prompt, ...p[part]];
        const logits = tf.tidy(() => tf.logSoftmax(model.forward(tf.tensor2d([ids], [1, ids.length], 'int32')).logits));
        const table = (await logits.array()) as number[][][];
        logits.dispose();
        let sum = 0;
        for (let t = p.prompt.length; t < ids.length; t++) sum += table[0][t - 1][ids[t]];
        alone.push(sum);
      }
    }
    expect(maxAbsDiff(together, alone)).toBeLessThan(1e-5);
    tf.dispose([chosen, rejected]);
    disposePreferenceBatch(batch);
    model.dispose();
  });
});

describe('dpoObjective', () => {
  const data = { train: toyPairs(8), validation: toyPairs(4, 20) };

  it('trains the policy alone: AdamW holds state for the policy parameters only, the reference keeps every bit', async () => {
    const policy = new GPT(config);
    const reference = createReferenceModel(policy);
    const referenceBefore = await weightsOf(reference);
    const policyBefore = await weightsOf(policy);
    const trainer = new Trainer(dpoObjective(policy, reference, data, { beta: 0.1, batchSize: 4 }), { steps: 2, learningRate: 1e-2, live: false });
    expect((await trainer.trainStep())).not.toBeNull();
    const state = trainer.optimizer.stateSize();
    expect(state.parameters).toEqual(policy.namedParameters().map(([name]) => name));
    expect(state.numbers).toBe(2 * policy.numParams());
    expect(reference.countParameters().trainable).toBe(0);
    const referenceAfter = await weightsOf(reference);
    referenceAfter.forEach((w, i) => expect(Float32Array.from(w), reference.namedParameters()[i][0]).toEqual(Float32Array.from(referenceBefore[i])));
    expect(maxAbsDiff((await weightsOf(policy)).flat(), policyBefore.flat())).toBeGreaterThan(1e-4);
    trainer.dispose();
    policy.dispose();
    reference.dispose();
  });

  it('logs chosen and rejected log-probs, reward margin and accuracy; at step 0 the policy is the reference, so the margin is 0 and the loss log 2', async () => {
    const policy = new GPT(config);
    const reference = createReferenceModel(policy);
    const objective = dpoObjective(policy, reference, data, { beta: 0.1, batchSize: 4 });
    const evaluation = await objective.evaluate();
    expect(evaluation.loss).toBeCloseTo(Math.log(2), 6);
    expect(evaluation.metrics['reward margin']).toBeCloseTo(0, 6);
    expect(evaluation.metrics['reward accuracy']).toBe(0); // a tie is not a win
    const trainer = new Trainer(objective, { steps: 1, learningRate: 1e-2, live: false });
    const log = (await trainer.trainStep())!;
    expect(Object.keys(log.logged)).toEqual(['chosen logp', 'rejected logp', 'reward margin', 'reward accuracy']);
    expect(log.logged['chosen logp']).toBeLessThan(0);
    expect(log.logged['reward margin']).toBeCloseTo(0, 6);
    expect(log.loss).toBeCloseTo(Math.log(2), 6);
    trainer.dispose();
    policy.dispose();
    reference.dispose();
  });

  it('with a LoRA policy and no reference model uses the base with the adapters off: AdamW state for the adapters only', async () => {
    const base = new GPT(config);
    const plain = createReferenceModel(base); // the base's numbers, to compare with
    const peft = getPeftModel(base, { peftType: 'LORA', r: 2, loraAlpha: 4, targetModules: ['c_attn'] });
    const trainer = new Trainer(dpoObjective(peft, null, data, { beta: 0.5, batchSize: 4 }), { steps: 3, learningRate: 5e-2, live: false });
    for (let i = 0; i < 3; i++) expect(await trainer.trainStep()).not.toBeNull();
    expect(trainer.optimizer.stateSize().parameters).toEqual(peft.model.trainableParameters().map(([name]) => name));
    expect(trainer.optimizer.stateSize().parameters.every(name => /lora_[AB]/.test(name))).toBe(true);
    // the reference's log-probs (taken in nextBatch) are the base model's, though the adapters have trained
    const batch = await trainer.objective.nextBatch();
    const [baseChosen] = pairLogProbs(plain, batch);
    const [policyChosen] = pairLogProbs(base, batch);
    expect(maxAbsDiff(await values(batch.refChosenLogps), await values(baseChosen))).toBeLessThan(1e-5);
    expect(maxAbsDiff(await values(policyChosen), await values(baseChosen))).toBeGreaterThan(1e-3);
    trainer.objective.disposeBatch(batch);
    tf.dispose([baseChosen, policyChosen]);
    trainer.dispose();
    base.dispose();
    plain.dispose();
  });

  it('refuses bad configs with the values, changing nothing: beta <= 0, a reference of another shape or the policy itself, identical answers', async () => {
    const policy = new GPT(config);
    const reference = createReferenceModel(policy);
    reference.unfreeze(); // so that we can see that a refused call does not freeze it
    const wider = new GPT({ ...config, nEmbd: 16 });
    const deeper = new GPT({ ...config, nLayer: 2 });
    const before = tf.memory().numTensors;
    const weights = await weightsOf(policy);
    const ok = { beta: 0.1, batchSize: 2 };
    expect(() => dpoObjective(policy, reference, data, { ...ok, beta: 0 })).toThrow('DPO config: beta must be a number > 0 (how strongly the policy is held to the reference; TRL\'s default is 0.1), got 0');
    expect(() => dpoObjective(policy, reference, data, { ...ok, beta: -1 })).toThrow('got -1');
    expect(() => dpoObjective(policy, wider, data, ok)).toThrow('dpoObjective: the reference model is not of the policy\'s shape: transformer.wte.weight is [13,8] in the policy but [13,16] in the reference');
    expect(() => dpoObjective(policy, deeper, data, ok)).toThrow('the reference has transformer.h.1.ln_1.weight [8], the policy has no such weight');
    expect(() => dpoObjective(policy, policy, data, ok)).toThrow('dpoObjective: the reference is the policy itself (its weights would move with it); give a frozen copy, createReferenceModel(policy), or a LoRA PeftModel as the policy');
    expect(() => dpoObjective(policy, null, data, ok)).toThrow('dpoObjective: no reference model was given');
    const same = { prompt: [3], chosen: [5, 6], rejected: [5, 6] };
    expect(() => dpoObjective(policy, reference, { train: [...data.train, same], validation: data.validation }, ok)).toThrow('DPO: train: pair 8: chosen and rejected are the same answer [5, 6]; a pair must prefer one answer to another');
    expect(() => dpoObjective(policy, reference, { train: [{ prompt: [3], chosen: [], rejected: [4] }], validation: data.validation }, ok)).toThrow('DPO: train: pair 0: the chosen answer is empty (prompt [3])');
    expect(() => dpoObjective(policy, reference, { train: [{ prompt: [], chosen: [1], rejected: [4] }], validation: data.validation }, ok)).toThrow('DPO: train: pair 0: the prompt has 0 tokens, fewer than 1');
    expect(() => dpoObjective(policy, reference, { train: data.train, validation: [{ prompt: [3, 3, 3, 3], chosen: [1], rejected: new Array(9).fill(2) }] }, ok)).toThrow('DPO: validation: pair 0: prompt (4 tokens) + rejected (9) = 13 tokens, more than maxLength 12; shorten it or leave it out');
    expect(tf.memory().numTensors).toBe(before);
    expect(reference.countParameters().frozen).toBe(0);
    expect((await weightsOf(policy)).flat()).toEqual(weights.flat());
    for (const m of [policy, reference, wider, deeper]) m.dispose();
  });

  it('leaks no tensor: a step and an evaluation leave the tensor count as it was', async () => {
    const policy = new GPT(config);
    const reference = createReferenceModel(policy);
    const trainer = new Trainer(dpoObjective(policy, reference, data, { batchSize: 4 }), { steps: 3, learningRate: 1e-2, live: false });
    await trainer.trainStep(); // the first step creates AdamW's state
    const before = tf.memory().numTensors;
    await trainer.trainStep();
    await trainer.evaluate();
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    policy.dispose();
    reference.dispose();
  });

  it('learns: 25 steps raise the reward margin and accuracy on the training pairs above the reference (margin 0)', async () => {
    const policy = new GPT(config);
    const reference = createReferenceModel(policy);
    const train = toyPairs(8);
    const objective = dpoObjective(policy, reference, { train, validation: train }, { beta: 0.5, batchSize: 8 });
    const trainer = new Trainer(objective, { steps: 25, learningRate: 1e-2, warmupSteps: 0, live: false });
    for (let i = 0; i < 25; i++) await trainer.trainStep();
    const after = await objective.evaluate();
    expect(after.metrics['reward margin']).toBeGreaterThan(2);
    expect(after.metrics['reward accuracy']).toBe(1);
    expect(after.loss).toBeLessThan(0.3); // log 2 = 0.69 at the start
    trainer.dispose();
    policy.dispose();
    reference.dispose();
  });
});
