/** How numbers read in the views' text (headers, readouts). */

// Durations, counts and series values read the same in the kernel's text views and here.
export { formatCount, formatDuration, formatValue } from '@llm-lab/kernel/contract';

/** An attention weight in [0, 1]: 3 decimals, or 2 significant digits when that would read 0.000. */
export function formatWeight(w: number): string {
  return w !== 0 && Math.abs(w) < 0.0005 ? w.toExponential(1) : w.toFixed(3);
}
