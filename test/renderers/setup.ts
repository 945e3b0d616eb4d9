/**
 * What jsdom lacks and the drawing libraries touch. Import this FIRST in every renderer test
 * (module evaluation follows import order). Stubs are minimal: they let the code run, the
 * tests then assert on the DOM and on plotly's data, not on pixel measurements.
 */

// @lumino/dragdrop subclasses DragEvent at import time.
if (typeof globalThis.DragEvent === 'undefined') {
  (globalThis as { DragEvent?: unknown }).DragEvent = class DragEvent extends MouseEvent {};
}

// plotly probes canvas support for text measuring and WebGL; no canvas is a supported answer,
// jsdom's own stub prints a "Not implemented" error for each probe instead.
HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;
