/**
 * A tensor's shape with a name for each axis, in one line: describe(x, 'B T C') gives
 * "[2, 5, 16]  (B=2, T=5, C=16)". The names are the ones the code comments use (nn/, models/).
 * A number stands for an axis of that size, e.g. a padding mask 'B 1 1 T'.
 */
import * as tf from '@tensorflow/tfjs';

export function describe(x: tf.Tensor | number[], dims: string): string {
  const shape = x instanceof tf.Tensor ? x.shape : x;
  const names = dims.split(/[\s,()]+/).filter(Boolean);
  if (names.length !== shape.length) {
    throw new Error(`describe: ${names.length} names (${names.join(' ')}) for a shape of ${shape.length} axes [${shape.join(', ')}]`);
  }
  const wrong = names.findIndex((n, i) => /^\d+$/.test(n) && Number(n) !== shape[i]);
  if (wrong >= 0) throw new Error(`describe: axis ${wrong} has size ${shape[wrong]}, not ${names[wrong]} (shape [${shape.join(', ')}])`);
  return `[${shape.join(', ')}]  (${names.map((n, i) => (/^\d+$/.test(n) ? n : `${n}=${shape[i]}`)).join(', ')})`;
}
