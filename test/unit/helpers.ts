import * as tf from '@tensorflow/tfjs';
import { useDevice } from '../../kernel-lib/src/device/backend';
import { GPT } from '../../kernel-lib/src/models/gpt';
import { causalLM } from '../../kernel-lib/src/train/objective';
import { Trainer } from '../../kernel-lib/src/train/trainer';

/** Unit tests compare against naive references on the cpu backend (float32, exact enough). */
export async function onCpu(): Promise<void> {
  await useDevice('cpu', { quiet: true });
}

export async function values(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A 2-layer GPT small enough for every backend, and a repeating token pattern to train it on. */
export const SMALL_GPT = { vocabSize: 23, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, seed: 3 };
export const PATTERN_TOKENS = Int32Array.from({ length: 2000 }, (_, i) => (i * 7 + (i >> 3)) % 23);

/** The losses of `steps` training steps of SMALL_GPT on the current backend; onStep runs after each. */
export async function smallGptLosses(steps: number, onStep?: (step: number) => void): Promise<number[]> {
  const model = new GPT(SMALL_GPT);
  const trainer = new Trainer(causalLM(model, { train: PATTERN_TOKENS, val: PATTERN_TOKENS }, { batchSize: 4, seed: 9 }), { steps, learningRate: 3e-3, live: false });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push((await trainer.trainStep())!.loss);
    onStep?.(i);
  }
  trainer.dispose();
  model.dispose();
  return losses;
}
