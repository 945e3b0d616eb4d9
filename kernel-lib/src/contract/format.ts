/**
 * Formatting shared by the kernel's text/SVG views and the extension's renderers.
 * No tfjs, no DOM: the extension bundles this file.
 */

/** 42s, 3m07s, 1h05m: elapsed times and ETAs. */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '?';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** 12,345 (whole numbers with thousands separators, whatever the locale). */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * The value of a training series as the status line shows it: a loss or a margin to 3 decimals
 * (1.235, -0.420), a big one as a count (16,384), a small one with its exponent (3.00e-4); '?'
 * where the kernel sent null for a NaN.
 */
export function formatValue(v: number | null | undefined): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '?';
  const size = Math.abs(v);
  if (size >= 10_000) return formatCount(v);
  return size !== 0 && size < 0.01 ? v.toExponential(2) : v.toFixed(3);
}

/** Places kept for attention weights in view specs: finer than a colour or a 3-decimal readout shows. */
export const WEIGHT_DECIMALS = 4;

/**
 * One row of weights (a query's attention over its keys) rounded to `decimals` places so that it
 * keeps its sum (rounded to those places): largest-remainder rounding. Each entry moves by less
 * than 10^-decimals, and a softmax row still sums to 1. Non-finite entries pass through.
 */
export function roundRow(row: readonly number[], decimals = WEIGHT_DECIMALS): number[] {
  const scale = 10 ** decimals;
  const scaled = row.map(w => (typeof w === 'number' ? w * scale : NaN));
  const units = scaled.map((s, i) => (Number.isFinite(s) ? Math.floor(s) : row[i]));
  const finite = scaled.map((_, i) => i).filter(i => Number.isFinite(scaled[i]));
  let missing = Math.round(finite.reduce((a, i) => a + scaled[i], 0)) - finite.reduce((a, i) => a + units[i], 0);
  // the units the floors lost go to the entries that lost the most
  const byLoss = [...finite].sort((a, b) => scaled[b] - units[b] - (scaled[a] - units[a]));
  for (const i of byLoss) {
    if (missing <= 0) break;
    units[i] += 1;
    missing -= 1;
  }
  return units.map((u, i) => (Number.isFinite(scaled[i]) ? u / scale : u));
}

/** weights[layer][head][query][key], every row rounded by roundRow: what the views' specs carry. */
export function roundWeights(weights: readonly (readonly (readonly (readonly number[])[])[])[], decimals = WEIGHT_DECIMALS): number[][][][] {
  return weights.map(layer => layer.map(head => head.map(row => roundRow(row, decimals))));
}
