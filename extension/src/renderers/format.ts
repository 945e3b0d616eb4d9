/** How numbers read in the views' text (headers, readouts). */

/** 42s, 3m05s, 1h02m: short enough for a status line. */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '?';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

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
