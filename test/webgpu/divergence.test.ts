/**
 * Divergence on WebGPU, where AdamW writes the weights in place (nothing to undo with): a batch
 * with a non-finite loss applies nothing, and the model goes back to its last copy on the CPU,
 * taken only of weights that had just given a finite loss.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useDevice } from '../../kernel-lib/src/device/backend';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { causalLM } from '../../kernel-lib/src/train/objective';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { maxAbsDiff } from '../unit/helpers';
import { releaseWebgpuAfterAll } from './release';

const config = { vocabSize: 23, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16, seed: 3 };
const tokens = Int32Array.from({ length: 2000 }, (_, i) => (i * 7 + (i >> 3)) % 23);

releaseWebgpuAfterAll();

describe('divergence on webgpu', () => {
  it('a poisoned weight: nothing is applied, and the weights go back to the last host copy', async () => {
    await useDevice('webgpu', { quiet: true });
    const model = new GPT(config);
    const trainer = new Trainer(causalLM(model, { train: tokens, val: tokens }, { batchSize: 4, seed: 1 }), { steps: 20, learningRate: 3e-3, live: false, hostCopyEvery: 2 });
    for (let i = 0; i < 4; i++) await trainer.trainStep();
    const atStep4 = await Promise.all(model.parameters().map(p => p.data() as Promise<Float32Array>));
    await trainer.trainStep(); // step 5 copies the weights of step 4 to the host first
    const wte = model.getParameter('transformer.wte.weight');
    const poisoned = (await wte.data()).slice();
    poisoned[0] = NaN;
    wte.assign(tf.tensor(poisoned, wte.shape));
    expect(await trainer.trainStep()).toBeNull();
    expect(trainer.lastFailure).toMatchObject({ step: 6, keptStep: 4, undone: true });
    expect(trainer.step).toBe(4);
    const now = await Promise.all(model.parameters().map(p => p.data() as Promise<Float32Array>));
    now.forEach((w, i) => expect(maxAbsDiff(w, atStep4[i]), `parameter ${i}`).toBe(0));
    expect((await trainer.trainStep())!.step).toBe(5); // and it trains on from there
    trainer.dispose();
    model.dispose();
  });
});
