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
