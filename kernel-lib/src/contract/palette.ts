/**
 * One color per attention head, and per training series beyond the standard four, the same in
 * the interactive views and their static SVGs (no imports: the extension bundles this file).
 * Mid-tone colors that read on light and dark backgrounds alike; beyond ten they repeat.
 */
export const HEAD_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac'];

export function headColor(head: number): string {
  return HEAD_COLORS[head % HEAD_COLORS.length];
}

/**
 * The color of the `index`-th series of a training view that is not one of the standard four
 * (those have colors of their own). It starts at the third color: the first two, blue and
 * orange, are too close to the losses' colors.
 */
export function seriesColor(index: number): string {
  return HEAD_COLORS[(index + 2) % HEAD_COLORS.length];
}
