/** How numbers read in the views' text (headers, readouts). */

// Elapsed times and ETAs read the same in the kernel's text views and here.
export { formatDuration } from '@llm-lab/kernel/dist/viz/format';

/** 12,345 (whole numbers with thousands separators, whatever the browser's locale). */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A loss to 3 decimals (nats per token); '?' where the kernel sent null for NaN. */
export function formatLoss(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '?';
}

/** An attention weight in [0, 1]: 3 decimals, or 2 significant digits when that would read 0.000. */
export function formatWeight(w: number): string {
  return w !== 0 && Math.abs(w) < 0.0005 ? w.toExponential(1) : w.toFixed(3);
}
