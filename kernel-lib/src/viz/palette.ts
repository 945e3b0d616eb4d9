/**
 * One color per attention head, the same in the interactive views and their static SVGs
 * (no imports: the extension bundles this file). Mid-tone colors that read on light and dark
 * backgrounds alike; heads beyond ten reuse them.
 */
export const HEAD_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac'];

export function headColor(head: number): string {
  return HEAD_COLORS[head % HEAD_COLORS.length];
}
