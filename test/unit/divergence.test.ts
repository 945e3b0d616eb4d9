/**
 * Nothing lost when training diverges: a step whose loss or gradients are not finite applies
 * nothing, the update that led there is undone, and the model keeps the weights of the last step
 * that gave a finite loss (with a message that says what to change); a loss that jumps far up is
 * reported while the run goes on; a second train() waits for the first.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useDevice, type BackendName } from '../../kernel-lib/src/device';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { causalLM } from '../../kernel-lib/src/train/objective';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { maxAbsDiff } from './helpers';

const config = { vocabSize: 13, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, seed: 1 };
const stream = (n: number) => Int32Array.from({ length: n }, (_, i) => (i * 5 + (i >> 2)) % 13);
const data = { train: stream(400), val: stream(100) };
const objective = (model: GPT) => causalLM(model, data, { batchSize: 4 });

async function weights(model: GPT): Promise<Float32Array[]> {
  return Promise.all(model.parameters().map(p => p.data() as Promise<Float32Array>));
}

/** Every weight, its m and v, and AdamW's t: what an undo must put back. */
async function trainingState(trainer: Trainer) {
  const params = trainer.objective.model.parameters();
  const read = (t: tf.Tensor | undefined) => (t ? t.data().then(x => Array.from(x)) : Promise.resolve(null));
  const moments = params.map(p => trainer.optimizer.momentsOf(p));
  return { t: trainer.optimizer.t, weights: await Promise.all(params.map(read)), m: await Promise.all(moments.map(s => read(s?.m))), v: await Promise.all(moments.map(s => read(s?.v))) };
}

describe.each(['cpu', 'wasm'] as BackendName[])('divergence on %s', backend => {
  it('a learning rate that blows the weights up: the run stops, and the model keeps the weights of its last good step', async () => {
    await useDevice(backend, { quiet: true });
    const model = new GPT(config);
    const good = new Trainer(objective(model), { steps: 20, learningRate: 1e-2, live: false });
    await good.train();
    const before = await weights(model);
    const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], 'int32');
    const logitsBefore = Array.from(await model.forward(ids).logits.data());

    const bad = new Trainer(objective(model), { steps: 20, learningRate: 1e3, live: false });
    const summary = await bad.train();
    expect(summary.status).toBe('error');
    const failure = bad.lastFailure!;
    expect(failure.undone).toBe(true);
    expect(summary.message).toContain(`stopped at step ${failure.step}: the loss is`);
    expect(summary.message).toContain(`the model keeps the weights of step ${failure.keptStep}, the last that gave a finite loss. Try a lower learningRate (now 1000)`);
    expect(summary.message).not.toContain('gradClip'); // it is on already
    expect(bad.step).toBe(failure.keptStep);
    expect(bad.series('train loss').step.at(-1) ?? 0).toBeLessThanOrEqual(bad.step);
    if (failure.keptStep === 0) {
      // the very first update diverged: the weights are exactly those of the good run
      (await weights(model)).forEach((w, i) => expect(maxAbsDiff(w, before[i]), `parameter ${i}`).toBe(0));
      expect(Array.from(await model.forward(ids).logits.data())).toEqual(logitsBefore);
    }
    // whatever the step, the model works: finite logits, and it trains on at a sane rate
    expect((await model.forward(ids).logits.data()).every(Number.isFinite)).toBe(true);
    const again = new Trainer(objective(model), { steps: 5, learningRate: 1e-2, live: false });
    expect((await again.train()).status).toBe('done');
    tf.dispose(ids);
    for (const t of [good, bad, again]) t.dispose();
    model.dispose();
  });

  it('a poisoned weight: nothing is applied, the previous step is undone exactly (weights, m, v, t), and its undo record frees its tensors', async () => {
    await useDevice(backend, { quiet: true });
    const model = new GPT(config);
    const trainer = new Trainer(objective(model), { steps: 10, learningRate: 1e-2, live: false });
    await trainer.trainStep();
    const atStep1 = await trainingState(trainer);
    await trainer.trainStep();
    const tensors = tf.memory().numTensors;
    const wte = model.getParameter('transformer.wte.weight');
    const poisoned = (await wte.data()).slice();
    poisoned[3] = NaN;
    wte.assign(tf.tensor(poisoned, wte.shape));
    expect(await trainer.trainStep()).toBeNull();
    // the update of step 2 was undone: every other parameter is back where step 1 left it
    expect(trainer.lastFailure).toMatchObject({ step: 3, keptStep: 1, undone: true });
    expect(trainer.step).toBe(1);
    expect(await trainingState(trainer)).toEqual(atStep1);
    expect(tf.memory().numTensors).toBeLessThanOrEqual(tensors);
    trainer.dispose();
    model.dispose();
  });
});

describe('warnings and repeated calls', () => {
  it('rejects a weight decay or eps that is not a finite number, naming it', async () => {
    await useDevice('cpu', { quiet: true });
    const model = new GPT(config);
    expect(() => new Trainer(objective(model), { steps: 5, learningRate: 1e-2, weightDecay: Infinity })).toThrow('train config: weightDecay must be a number >= 0, got Infinity');
    expect(() => new Trainer(objective(model), { steps: 5, learningRate: 1e-2, eps: NaN })).toThrow('train config: eps must be a number > 0, got NaN');
    model.dispose();
  });

  it('says so when the training loss jumps far above its lowest, and trains on', async () => {
    await useDevice('cpu', { quiet: true });
    const model = new GPT(config);
    // learning rate 30 without clipping: the loss goes 2.6 -> 6062 -> 5903, finite but diverging
    const trainer = new Trainer(objective(model), { steps: 3, learningRate: 30, gradClip: 0, live: false });
    const summary = await trainer.train();
    const losses = trainer.series('train loss').value;
    expect(losses[1]).toBeGreaterThan(losses[0] + Math.max(1, losses[0]));
    expect(summary.status).toBe('done');
    expect(summary.message).toBe(`warning: at step 2 the training loss jumped to ${losses[1].toPrecision(4)}, from as low as ${losses[0].toPrecision(4)}: the run is diverging. Try a lower learningRate (now 30).`);
    // an objective whose loss may rise (PPO's, GRPO's: a new rollout each time) gets no such warning
    const rl = new Trainer({ ...objective(new GPT(config)), lossMayRise: true }, { steps: 3, learningRate: 30, gradClip: 0, live: false });
    const rlSummary = await rl.train();
    expect(rl.series('train loss').value).toEqual(losses);
    expect(rlSummary.message).toBeUndefined();
    rl.objective.model.dispose();
    rl.dispose();
    // an ordinary run says nothing
    const calm = new Trainer(objective(model), { steps: 20, learningRate: 1e-2, live: false });
    expect((await calm.train()).message).toBeUndefined();
    trainer.dispose();
    calm.dispose();
    model.dispose();
  });

  it('a train() called while another is stopping waits for it, then continues: every step once', async () => {
    await useDevice('cpu', { quiet: true });
    const model = new GPT(config);
    const trainer = new Trainer(objective(model), { steps: 12, learningRate: 1e-2, live: false });
    const first = trainer.train();
    while (trainer.step < 2) await new Promise(r => setTimeout(r, 1));
    trainer.stop();
    const second = trainer.train(); // the cell run again at once
    expect((await first).status).toBe('interrupted');
    expect((await second).status).toBe('done');
    expect(trainer.series('train loss').step).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    trainer.dispose();
    model.dispose();
  });
});
