import * as tf from '@tensorflow/tfjs';
import { useDevice } from '../../kernel-lib/src/backend';

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
