import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useDevice } from '../../kernel-lib/src/device/backend';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { AdamW } from '../../kernel-lib/src/train/adamw';
import { learningRateAt } from '../../kernel-lib/src/train/schedule';
import { clipByGlobalNorm, clipScale } from '../../kernel-lib/src/train/clip';
import { causalLM } from '../../kernel-lib/src/train/objective';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { generate } from '../../kernel-lib/src/generate';
import { setDisplaySink } from '../../kernel-lib/src/viz/display';
import { validateTrainingSpec } from '../../kernel-lib/src/contract/spec';
import { maxAbsDiff, onCpu } from './helpers';

beforeAll(onCpu);
afterEach(() => setDisplaySink(null));

const tinyConfig = { vocabSize: 13, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, seed: 1 };
/** A periodic token stream: easy to learn, enough to drive real steps. */
const stream = (n: number) => Int32Array.from({ length: n }, (_, i) => (i * 5) % 13);

function recordDisplays() {
  const messages: { update: boolean; id?: string; data: Record<string, string> }[] = [];
  setDisplaySink((m, update) => messages.push({ update, id: m.transient.display_id, data: m.data }));
  return messages;
}

describe('learning-rate schedule', () => {
  const s = { learningRate: 1e-3, minLearningRate: 1e-4, warmupSteps: 10, totalSteps: 110 };
  it('warms up linearly, peaks, then follows a cosine down to the floor', () => {
    expect(learningRateAt(0, s)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(4, s)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(10, s)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(60, s)).toBeCloseTo(5.5e-4, 12); // halfway: mean of peak and floor
    expect(learningRateAt(110, s)).toBeCloseTo(1e-4, 12);
    for (let i = 11; i < 110; i++) expect(learningRateAt(i, s)).toBeLessThan(learningRateAt(i - 1, s));
  });
});

describe('AdamW', () => {
  it('matches the update rule written out by hand', async () => {
    const w0 = [0.5, -1, 2, 0.25];
    const p = tf.variable(tf.tensor2d(w0, [2, 2]), true, 'adamw-test-w');
    const b = tf.variable(tf.tensor1d([0.1, -0.2]), true, 'adamw-test-b');
    const cfg = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
    const opt = new AdamW([['w', p], ['b', b]], cfg);
    const gs = [[0.1, -0.3, 0.2, 0.05], [-0.2, 0.1, 0.4, -0.1]];
    let w = [...w0], m = [0, 0, 0, 0], v = [0, 0, 0, 0];
    const lr = 0.01;
    for (let t = 1; t <= 2; t++) {
      const g = gs[t - 1];
      opt.step({ [p.name]: tf.tensor2d(g, [2, 2]), [b.name]: tf.tensor1d([1, 1]) }, lr);
      m = m.map((mi, i) => 0.9 * mi + 0.1 * g[i]);
      v = v.map((vi, i) => 0.95 * vi + 0.05 * g[i] ** 2);
      w = w.map((wi, i) => wi - lr * (m[i] / (1 - 0.9 ** t) / (Math.sqrt(v[i] / (1 - 0.95 ** t)) + 1e-8) + 0.1 * wi));
    }
    expect(maxAbsDiff(await p.data(), w)).toBeLessThan(1e-6);
    // Biases (rank 1) get no weight decay: two steps of exactly lr with a constant gradient.
    expect(maxAbsDiff(await b.data(), [0.1 - 2 * lr, -0.2 - 2 * lr])).toBeLessThan(1e-6);
    opt.dispose();
  });

  it('clips the global gradient norm', async () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) }; // norm 5
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
    expect((await norm.data())[0]).toBeCloseTo(5, 5);
    expect(maxAbsDiff(await clipped.a.data(), [0.6, 0])).toBeLessThan(1e-5);
    expect(maxAbsDiff(await clipped.b.data(), [0, 0.8])).toBeLessThan(1e-5);
  });

  it("gives AdamW clipByGlobalNorm's scale to the last bit (the Trainer clips through AdamW)", async () => {
    for (const x of [0, 0.3, 1e-4, 1.7, 5, 123.456, 9.9e5]) {
      // a = [1]: its clipped value is the scale itself
      const grads = { a: tf.tensor1d([1]), b: tf.tensor1d([x]) };
      const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
      expect(clipScale((await norm.data())[0], 1), `second gradient ${x}`).toBe((await clipped.a.data())[0]);
      tf.dispose([grads.a, grads.b, clipped.a, clipped.b, norm]);
    }
    expect(clipScale(10, 0)).toBe(1); // gradClip 0: no clipping
  });
});

describe('Trainer', () => {
  it('leaks no tensors across training steps', async () => {
    const model = new GPT(tinyConfig);
    const trainer = new Trainer(causalLM(model, { train: stream(400), val: stream(100) }, { batchSize: 4 }), { steps: 50, learningRate: 1e-2, live: false });
    await trainer.trainStep();
    await trainer.trainStep();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await trainer.trainStep();
    await trainer.evaluate();
    expect(tf.memory().numTensors).toBe(before);
    await generate(model, [1, 2, 3], { maxNewTokens: 5 });
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    model.dispose();
  });

  it('trains, shows one live view updated in place, and ends with status done', async () => {
    const messages = recordDisplays();
    const model = new GPT(tinyConfig);
    const trainer = new Trainer(causalLM(model, { train: stream(400), val: stream(100) }, { batchSize: 4 }), { steps: 30, learningRate: 1e-2, evalEvery: 10, liveIntervalMs: 0, title: 'tiny' });
    await trainer.train();
    const h = trainer.history;
    expect(h.status).toBe('done');
    expect(h.step).toBe(30);
    const valLoss = trainer.series('val loss');
    expect(valLoss.step).toEqual([0, 10, 20, 30]);
    expect(valLoss.value[3]).toBeLessThan(valLoss.value[0] - 0.5);
    // Ten quick steps between evaluations: still a throughput point before each evaluation.
    const throughput = trainer.series('tokens/s');
    expect(throughput.step).toEqual(expect.arrayContaining([10, 20, 30]));
    expect(throughput.value.every(v => v > 0)).toBe(true);
    expect(messages.length).toBeGreaterThan(3);
    expect(messages[0].update).toBe(false);
    expect(messages.slice(1).every(m => m.update && m.id === messages[0].id)).toBe(true);
    const lastSpec = validateTrainingSpec(JSON.parse(messages.at(-1)!.data['application/vnd.llm-lab.training.v2+json']));
    expect(lastSpec.status).toBe('done');
    // the static picture (for nbconvert and GitHub) is drawn once, with the final state
    expect(messages.at(-1)!.data['image/svg+xml']).toMatch(/^<svg/);
    expect(messages.slice(0, -1).filter(m => 'image/svg+xml' in m.data)).toEqual([]);
    expect(messages.at(-1)!.data['text/plain']).toMatch(/tiny: done, step 30\/30/);
    trainer.dispose();
    model.dispose();
  });

  it('an interrupt (SIGINT) stops between steps, keeps a usable model, and train() continues', async () => {
    const messages = recordDisplays();
    const model = new GPT(tinyConfig);
    const trainer = new Trainer(causalLM(model, { train: stream(400), val: stream(100) }, { batchSize: 4 }), { steps: 40, learningRate: 1e-2, evalEvery: 100, liveIntervalMs: 0 });
    const running = trainer.train();
    // Interrupt as the kernel does, once a few steps are done.
    while (trainer.step < 3) await new Promise(r => setTimeout(r, 1));
    process.emit('SIGINT');
    await running;
    const h = trainer.history;
    expect(h.status).toBe('interrupted');
    expect(h.step).toBeLessThan(40);
    expect(h.message).toMatch(/interrupted after step \d+ of 40/);
    const last = JSON.parse(messages.at(-1)!.data['application/vnd.llm-lab.training.v2+json']);
    expect(last.status).toBe('interrupted');
    expect(last.step).toBe(trainer.step);
    expect(process.listenerCount('SIGINT')).toBe(0); // the handler is gone after training
    // The model still works: finite logits, and the same ones the weights of that step give.
    const ids = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    const logits = Array.from(await model.forward(ids).logits.data());
    expect(logits.every(Number.isFinite)).toBe(true);
    const copy = new GPT(tinyConfig);
    for (const [name, p] of copy.namedParameters()) p.assign(model.getParameter(name));
    expect(Array.from(await copy.forward(ids).logits.data())).toEqual(logits);
    copy.dispose();
    // Training resumes where it stopped: every step once, in order.
    const stoppedAt = trainer.step;
    const h2 = await trainer.train();
    expect(h2).toMatchObject({ status: 'done', step: 40, totalSteps: 40 });
    expect(trainer.series('train loss').step).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(stoppedAt).toBeLessThan(40);
    tf.dispose(ids);
    trainer.dispose();
    model.dispose();
  });

  it('stops on a non-finite loss without applying that update', async () => {
    recordDisplays();
    const model = new GPT(tinyConfig);
    const trainer = new Trainer(causalLM(model, { train: stream(400), val: stream(100) }, { batchSize: 4 }), { steps: 10, learningRate: 1e-2, liveIntervalMs: 0 });
    const initial = await model.getParameter('transformer.h.0.mlp.c_fc.weight').data();
    await trainer.trainStep();
    const wte = model.getParameter('transformer.wte.weight');
    const poisoned = (await wte.data()).slice();
    poisoned[0] = NaN;
    wte.assign(tf.tensor(poisoned, wte.shape));
    await trainer.train();
    const h = trainer.history;
    expect(h.status).toBe('error');
    expect(h.message).toMatch(/^stopped at step 2: the loss is NaN\. The update before it made the weights diverge and is undone: the model keeps the weights of step 0/);
    // nothing of step 2 was applied, and step 1 (whose weights gave the NaN) was taken back
    expect(trainer.step).toBe(0);
    expect(maxAbsDiff(await model.getParameter('transformer.h.0.mlp.c_fc.weight').data(), initial)).toBe(0);
    expect((await wte.data()).every(Number.isFinite)).toBe(true);
    trainer.dispose();
    model.dispose();
  });
});

describe('bad input fails before any work, naming the values', () => {
  it('rejects configs and prompts with clear messages', async () => {
    const messages = recordDisplays();
    const before = tf.memory().numTensors;
    expect(() => new GPT({ ...tinyConfig, nEmbd: 130, nHead: 4 })).toThrow('nEmbd (d_model = 130) must be divisible by nHead (4)');
    expect(tf.memory().numTensors).toBe(before);
    const model = new GPT(tinyConfig);
    const data = { train: stream(400), val: stream(100) };
    expect(() => new Trainer(causalLM(model, data, { batchSize: 4 }), { steps: 10, learningRate: 0 })).toThrow('learningRate must be a positive number, got 0');
    expect(() => new Trainer(causalLM(model, data, { batchSize: 4 }), { steps: 10, learningRate: -1e-3 })).toThrow('got -0.001');
    expect(() => new Trainer(causalLM(model, { train: stream(5), val: stream(100) }, { batchSize: 4 }), { steps: 10, learningRate: 1e-3 })).toThrow('train split has 5 tokens, fewer than blockSize + 1 = 9');
    expect(() => new Trainer(causalLM(model, { train: Int32Array.from([...stream(20), 99]), val: stream(100) }, { batchSize: 4 }), { steps: 10, learningRate: 1e-3 })).toThrow('train[20] = 99 is outside');
    await expect(generate(model, Array(9).fill(1), { maxNewTokens: 2 })).rejects.toThrow('the prompt has 9 tokens, longer than the context blockSize 8');
    await expect(generate(model, [1], { maxNewTokens: 2, topP: 1.5 })).rejects.toThrow('topP must be in (0, 1], got 1.5');
    await expect(useDevice('tpu')).rejects.toThrow('unknown backend "tpu": choose one of "auto", "webgpu", "wasm", "cpu"');
    expect(messages).toHaveLength(0);
    model.dispose();
  });
});
