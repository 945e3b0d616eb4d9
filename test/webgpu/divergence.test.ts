/**
 * Divergence on WebGPU, where AdamW writes the weights and moments in place: an update that may be
 * undone copies p, m and v in the same dispatch, so a batch with a non-finite loss applies nothing
 * and the update before it is taken back exactly, as on cpu and wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useDevice } from '../../kernel-lib/src/device/backend';
import { adamwInPlace } from '../../kernel-lib/src/device/webgpuInPlace';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { causalLM } from '../../kernel-lib/src/train/objective';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { releaseWebgpuAfterAll } from './release';

const config = { vocabSize: 23, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16, seed: 3 };
const tokens = Int32Array.from({ length: 2000 }, (_, i) => (i * 7 + (i >> 3)) % 23);

releaseWebgpuAfterAll();

/** The bits of a float32 array (so that -0 and 0, or two NaNs, are told apart as the device stores them). */
const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

/** Everything an undo must put back, read from the device: every weight, its m and v, and AdamW's t. */
async function trainingState(trainer: Trainer) {
  const params = trainer.objective.model.parameters();
  const read = (t: tf.Tensor | undefined) => (t ? t.data().then(x => bits(x as Float32Array)) : Promise.resolve(null));
  const moments = params.map(p => trainer.optimizer.momentsOf(p));
  return {
    t: trainer.optimizer.t,
    weights: await Promise.all(params.map(read)),
    m: await Promise.all(moments.map(s => read(s?.m))),
    v: await Promise.all(moments.map(s => read(s?.v)))
  };
}

describe('divergence on webgpu', () => {
  it('a learning rate that blows the weights up: the model keeps bit for bit the weights, m, v and t of its last good step', async () => {
    await useDevice('webgpu', { quiet: true });
    const model = new GPT(config);
    const trainer = new Trainer(causalLM(model, { train: tokens, val: tokens }, { batchSize: 4, seed: 1 }), { steps: 40, learningRate: 1e3, live: false });
    // the state each step starts from, read back before it runs
    const seen = [await trainingState(trainer)];
    let log;
    while ((log = await trainer.trainStep())) seen.push(await trainingState(trainer));
    const failure = trainer.lastFailure!;
    expect(failure.step).toBe(seen.length);
    expect(failure.step).toBeGreaterThan(1); // an update was applied, and is undone
    expect(failure).toMatchObject({ keptStep: failure.step - 2, undone: true });
    expect(trainer.step).toBe(failure.keptStep);
    const kept = seen[failure.keptStep];
    expect(kept.t).toBe(failure.keptStep);
    expect(await trainingState(trainer)).toEqual(kept);
    trainer.dispose();
    model.dispose();
  });

  it('a poisoned weight: the update before it is undone exactly, moments made by it are dropped, and the next update runs in place again', async () => {
    await useDevice('webgpu', { quiet: true });
    const model = new GPT(config);
    const trainer = new Trainer(causalLM(model, { train: tokens, val: tokens }, { batchSize: 4, seed: 1 }), { steps: 20, learningRate: 3e-3, live: false });
    const wte = model.getParameter('transformer.wte.weight');
    const wpe = model.getParameter('transformer.wpe.weight');
    model.freeze('transformer.wpe'); // it gets its first gradient (and its m and v) at step 4 only
    for (let i = 0; i < 3; i++) await trainer.trainStep();
    expect(trainer.optimizer.momentsOf(wpe)).toBeUndefined();
    const atStep3 = await trainingState(trainer);
    model.unfreeze('transformer.wpe');
    await trainer.trainStep();
    expect(trainer.optimizer.momentsOf(wpe)).toBeDefined();
    const poisoned = (await wte.data()).slice();
    poisoned[0] = NaN;
    wte.assign(tf.tensor(poisoned, wte.shape));
    expect(await trainer.trainStep()).toBeNull();
    expect(trainer.lastFailure).toMatchObject({ step: 5, keptStep: 3, undone: true });
    expect(trainer.step).toBe(3);
    expect(trainer.optimizer.momentsOf(wpe)).toBeUndefined();
    expect(await trainingState(trainer)).toEqual(atStep3);
    // p, m and v own their buffers again: no three-dispatch kernel, and training goes on from step 3
    const { kernelNames } = await tf.profile(async () => expect((await trainer.trainStep())!.step).toBe(4));
    expect(kernelNames).not.toContain('LlmLabAdamW');
    trainer.dispose();
    model.dispose();
  });

  it('the in-place update that keeps copies gives bit for bit the p, m and v of the one that does not, and copies them as they were', async () => {
    await useDevice('webgpu', { quiet: true });
    const n = 300; // more than one workgroup of 64, not a multiple of it
    const values = (seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 13.1 + i * 0.7) * (seed === 3 ? 0.01 : 1));
    const [p0, g0, m0] = [values(1), values(2), values(4)];
    const v0 = values(3).map(x => x * x);
    const fresh = () => [tf.tensor1d(p0), tf.tensor1d(m0), tf.tensor1d(v0)];
    const g = tf.tensor1d(g0);
    const step = { lr: 0.01, beta1: 0.9, beta2: 0.95, c1: 1 - 0.9 ** 3, c2: 1 - 0.95 ** 3, eps: 1e-8, weightDecay: 0.1, gradScale: 0.5 };
    const [p1, m1, v1] = fresh();
    const [p2, m2, v2] = fresh();
    const before: [tf.Tensor, tf.Tensor, tf.Tensor] = [tf.zeros([n]), tf.zeros([n]), tf.zeros([n])];
    expect(adamwInPlace(p1, g, m1, v1, step)).toBe(true);
    expect(adamwInPlace(p2, g, m2, v2, step, before)).toBe(true);
    const read = (ts: tf.Tensor[]) => Promise.all(ts.map(t => t.data().then(x => bits(x as Float32Array))));
    const [withCopies, without] = [await read([p2, m2, v2]), await read([p1, m1, v1])];
    expect(withCopies).toEqual(without);
    expect(maxChange(withCopies[0], p0)).toBeGreaterThan(1e-3); // it did update
    expect(await read(before)).toEqual([p0, m0, v0].map(bits));
    tf.dispose([g, p1, m1, v1, p2, m2, v2, ...before]);
  });
});

function maxChange(bitsNow: number[], was: Float32Array): number {
  const now = new Float32Array(Uint32Array.from(bitsNow).buffer);
  return Math.max(...was.map((x, i) => Math.abs(now[i] - x)));
}
