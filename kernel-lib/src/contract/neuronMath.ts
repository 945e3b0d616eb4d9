/**
 * The arithmetic the neuron view shows, as plain numbers (no tfjs, no DOM: the extension runs it
 * too, so the view and its static fallback show the same numbers). One query token q against every
 * key k of one head:
 *   products[d] = q[d] * k[d],  score = sum_d products[d],  scaled = score / sqrt(headSize),
 *   weight = softmax(scaled) over the keys the query may read.
 */
import type { NeuronViewSpec } from './spec';

export interface NeuronRow {
  key: number;
  /** q[d] * k[d] for every dimension d. */
  products: number[];
  score: number;
  scaled: number;
  /** softmax weight; 0 for a masked (future) key. */
  weight: number;
  masked: boolean;
}

export function neuronRows(spec: Pick<NeuronViewSpec, 'q' | 'k' | 'headSize' | 'causal'>, query: number): NeuronRow[] {
  const q = spec.q[query];
  const rows: NeuronRow[] = spec.k.map((k, key) => {
    const products = q.map((qd, d) => qd * k[d]);
    const score = products.reduce((a, b) => a + b, 0);
    return { key, products, score, scaled: score / Math.sqrt(spec.headSize), weight: 0, masked: spec.causal && key > query };
  });
  // softmax over the allowed keys, shifted by the largest for numerical safety
  const allowed = rows.filter(r => !r.masked);
  const max = Math.max(...allowed.map(r => r.scaled));
  const exps = allowed.map(r => Math.exp(r.scaled - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  allowed.forEach((r, i) => (r.weight = exps[i] / sum));
  return rows;
}
