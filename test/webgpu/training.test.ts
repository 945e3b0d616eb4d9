/**
 * WebGPU (Dawn) against the cpu backend: the same GPT, same seed, same batches must give the
 * same forward outputs and the same losses over a few training steps. In CI this runs on a
 * software Vulkan adapter (scripts/lavapipe.sh; scripts/test.sh selects it when there is no GPU).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { probeAdapter, useDevice } from '../../kernel-lib/src/device/backend';
import { generate } from '../../kernel-lib/src/generate';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { causalLM } from '../../kernel-lib/src/train/objective';
import { Trainer } from '../../kernel-lib/src/train/trainer';
import { maxAbsDiff } from '../unit/helpers';
import { releaseWebgpuAfterAll } from './release';

const config = { vocabSize: 23, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, seed: 3 };
const tokens = Int32Array.from({ length: 2000 }, (_, i) => (i * 7 + (i >> 3)) % 23);

async function run(backend: 'cpu' | 'webgpu') {
  await useDevice(backend, { quiet: true });
  const model = new GPT(config);
  const ids = tf.tensor2d(Array.from(tokens.subarray(0, 32)), [2, 16], 'int32');
  const out = model.forward(ids, { attentions: true });
  const logits = await out.logits.data();
  const attention = await out.attentions![1].data();
  tf.dispose([ids, out.logits, ...out.attentions!]);
  const trainer = new Trainer(causalLM(model, { train: tokens, val: tokens }, { batchSize: 4, seed: 9 }), { steps: 5, learningRate: 3e-3, live: false });
  const losses: number[] = [];
  for (let i = 0; i < 5; i++) losses.push((await trainer.trainStep())!.loss);
  const wte = await model.getParameter('transformer.wte.weight').data();
  const sample = await generate(model, [1, 2, 3], { maxNewTokens: 8, temperature: 0.8, seed: 4 });
  trainer.dispose();
  model.dispose();
  return { logits, attention, losses, wte, sample };
}

releaseWebgpuAfterAll();

describe('webgpu matches cpu', () => {
  it('has a WebGPU adapter to test on', async () => {
    const adapter = await probeAdapter();
    expect(adapter, 'no WebGPU adapter: on a machine without a GPU run scripts/lavapipe.sh and source .local/mesa25/env.sh (scripts/test.sh does)').not.toBeNull();
  });

  it('forward, attention, five training steps and sampling agree', async () => {
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    expect(maxAbsDiff(gpu.logits, cpu.logits)).toBeLessThan(1e-4);
    expect(maxAbsDiff(gpu.attention, cpu.attention)).toBeLessThan(1e-5);
    expect(maxAbsDiff(gpu.losses, cpu.losses)).toBeLessThan(1e-4);
    expect(gpu.losses[4]).toBeLessThan(gpu.losses[0]);
    expect(maxAbsDiff(gpu.wte, cpu.wte)).toBeLessThan(1e-4);
    expect(gpu.sample).toEqual(cpu.sample);
  });
});
