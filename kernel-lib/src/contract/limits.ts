/**
 * How big a view may be: the sizes a browser tab draws comfortably. Both sides read them: the
 * kernel's builders refuse (or thin) before building a bigger spec, and the validators reject a
 * bigger one (hand-made, or from an older kernel) before any drawing, from array lengths alone.
 *
 * Why these numbers:
 * - tokens: the heatmap draws tokens^2 cells of one head; 256 tokens are 65,536 SVG cells, the
 *   most that still responds to the pointer. The course's models have a context of 48 to 64.
 * - weights: every layer, head (and frame) travels in the spec, as JSON (~7 bytes a rounded weight)
 *   and as JS arrays (~8 bytes and more); 2,000,000 are ~15 MB of JSON, ~30 MB of heap.
 *   4 layers x 4 heads x 256^2 fit, GPT-2 small (12 x 12) up to 117 tokens.
 * - neuronNumbers: q and k, 2 x tokens x headSize; the neuron view draws about half as many cells
 *   (q and the products per key), 65,536 at most, as many as the heatmap: 256 tokens x 256 dimensions.
 * - series: each panel is a subplot; seriesPoints: what the kernel thins a series to; points:
 *   over all series, 4 series of a 50,000-step run (older kernels sent every point).
 * - samples and sampleChars: the generated texts under the curves.
 * - marks: what a static picture built in the kernel draws (the positions view's cells, the lines
 *   view's points, the tokens view's tokens), as many as the heatmap's cells.
 * - classes: the confusion matrix draws classes^2 cells, each with its count, and a label per row
 *   and column; past 50 classes the labels no longer fit beside a readable cell.
 * - exampleRows, exampleTokens, exampleColumns: what a lesson shows of its examples (the token
 *   mask's chat examples, the before/after comparison's prompts); the builders keep the first ones
 *   and say so. exampleTokens are one token-mask row (a long chat example), one span each.
 */
export const VIEW_LIMITS = {
  tokens: 256,
  weights: 2_000_000,
  neuronNumbers: 131_072,
  series: 32,
  /** What the kernel thins each series to (a plot has a few hundred pixels across). */
  seriesPoints: 600,
  points: 200_000,
  samples: 200,
  sampleChars: 4_000,
  marks: 65_536,
  classes: 50,
  exampleRows: 50,
  exampleTokens: 1_024,
  exampleColumns: 6
} as const;

/** A view too big to draw; the message names the sizes, the limit and what to do instead. */
export class ViewSizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ViewSizeError';
  }
}

/** 23040000 -> "23,040,000". */
const count = (n: number): string => n.toLocaleString('en-US');
const comfortably = 'a browser draws comfortably';

/** The sizes of an attention view: layers, heads, query and key tokens (keys: cross-attention), frames over training. */
export interface AttentionSize {
  nLayers: number;
  nHeads: number;
  queries: number;
  keys?: number;
  frames?: number;
}

/**
 * Throw a ViewSizeError unless an attention view of `size` fits VIEW_LIMITS; `view` names it
 * ("attention view", "head view", ...). Reads only the sizes: call it before building or walking the weights.
 */
export function checkAttentionSize(view: string, size: AttentionSize): void {
  const { nLayers, nHeads, queries, frames } = size;
  const cross = size.keys !== undefined;
  const keys = size.keys ?? queries;
  const longest = Math.max(queries, keys);
  const tokens = cross ? `${count(queries)} target x ${count(keys)} source tokens` : `${count(queries)} tokens`;
  if (longest > VIEW_LIMITS.tokens) {
    throw new ViewSizeError(`the ${view} of ${tokens} has more than the ${count(VIEW_LIMITS.tokens)} tokens a sequence may have for ${comfortably}: show a shorter text`);
  }
  const perFrame = nLayers * nHeads * queries * keys;
  const weights = perFrame * (frames ?? 1);
  if (weights <= VIEW_LIMITS.weights) return;
  const grid = cross ? `${count(queries)} x ${count(keys)}` : `${count(queries)}^2`;
  const factors = `${frames !== undefined ? `${count(frames)} frames x ` : ''}${nLayers} layers x ${nHeads} heads x ${grid}`;
  const perToken = nLayers * nHeads * (cross ? keys : queries);
  const maxTokens = Math.floor(cross ? VIEW_LIMITS.weights / perToken : Math.sqrt(VIEW_LIMITS.weights / (nLayers * nHeads)));
  const maxFrames = Math.floor(VIEW_LIMITS.weights / perFrame);
  const advice =
    frames !== undefined && maxFrames >= 1
      ? `keep fewer checkpoints (at most ${count(maxFrames)} of this size)`
      : cross
        ? `show a shorter target text (at most ${count(maxTokens)} tokens with this source)`
        : `show a shorter text (at most ${count(maxTokens)} tokens with ${nLayers} layers x ${nHeads} heads)`;
  throw new ViewSizeError(`the ${view} of ${tokens} would hold ${count(weights)} weights (${factors}), more than ${count(VIEW_LIMITS.weights)} ${comfortably}: ${advice}`);
}

/** Throw a ViewSizeError unless a neuron view of `tokens` tokens and `headSize` dimensions fits VIEW_LIMITS. */
export function checkNeuronSize(tokens: number, headSize: number): void {
  if (tokens > VIEW_LIMITS.tokens) {
    throw new ViewSizeError(`the neuron view of ${count(tokens)} tokens has more than the ${count(VIEW_LIMITS.tokens)} tokens a sequence may have for ${comfortably}: show a shorter text`);
  }
  const numbers = 2 * tokens * headSize;
  if (numbers > VIEW_LIMITS.neuronNumbers) {
    const maxTokens = Math.floor(VIEW_LIMITS.neuronNumbers / (2 * headSize));
    throw new ViewSizeError(
      `the neuron view of ${count(tokens)} tokens would hold ${count(numbers)} numbers (q and k: 2 x ${count(tokens)} tokens x ${count(headSize)} dimensions), more than ${count(VIEW_LIMITS.neuronNumbers)} ${comfortably}: show a shorter text (at most ${count(maxTokens)} tokens)`
    );
  }
}

/** The sizes of a training view: series, points over all series, samples and the longest sample's characters. */
export interface TrainingSize {
  series: number;
  points: number;
  samples: number;
  sampleChars: number;
}

/** Throw a ViewSizeError unless a training view of `size` fits VIEW_LIMITS. */
export function checkTrainingSize(size: TrainingSize): void {
  const over = (what: string, n: number, limit: number, advice: string) => {
    if (n > limit) throw new ViewSizeError(`the training view has ${count(n)} ${what}, more than ${count(limit)} ${comfortably}: ${advice}`);
  };
  over('series', size.series, VIEW_LIMITS.series, 'log fewer named values');
  over('points (over all series)', size.points, VIEW_LIMITS.points, `thin each series (the kernel sends at most ${count(VIEW_LIMITS.seriesPoints)} points a series)`);
  over('samples', size.samples, VIEW_LIMITS.samples, 'keep the latest samples only');
  over('characters in one sample', size.sampleChars, VIEW_LIMITS.sampleChars, 'generate shorter samples');
}

/**
 * Throw a ViewSizeError unless a static picture of `marks` marks fits VIEW_LIMITS.marks;
 * `what` says what they are, with the sizes ("cells (sinusoidal: 512 x 512)").
 */
export function checkMarks(view: string, marks: number, what: string, advice: string): void {
  if (marks > VIEW_LIMITS.marks) throw new ViewSizeError(`the ${view} would draw ${count(marks)} ${what}, more than ${count(VIEW_LIMITS.marks)} ${comfortably}: ${advice}`);
}

/** Throw a ViewSizeError unless a classification view of `classes` classes fits VIEW_LIMITS.classes. */
export function checkClassificationSize(classes: number): void {
  if (classes > VIEW_LIMITS.classes) {
    throw new ViewSizeError(
      `the classification view of ${count(classes)} classes would draw a ${count(classes)} x ${count(classes)} confusion matrix, more than the ${count(VIEW_LIMITS.classes)} classes whose labels ${comfortably}: group the rare classes into one`
    );
  }
}

/** The sizes of a view of examples (token mask, comparison): rows, the longest row's tokens, columns. */
export interface ExamplesSize {
  rows: number;
  tokens?: number;
  columns?: number;
}

/**
 * Throw a ViewSizeError unless a view of examples fits VIEW_LIMITS; the builders thin theirs
 * first (keep the first rows, cut long rows), so this catches hand-made or foreign specs.
 */
export function checkExamplesSize(view: string, size: ExamplesSize): void {
  const over = (what: string, n: number, limit: number, advice: string) => {
    if (n > limit) throw new ViewSizeError(`the ${view} has ${count(n)} ${what}, more than ${count(limit)} ${comfortably}: ${advice}`);
  };
  over('examples', size.rows, VIEW_LIMITS.exampleRows, 'show fewer examples');
  over('tokens in one example', size.tokens ?? 0, VIEW_LIMITS.exampleTokens, 'show shorter examples');
  over('columns', size.columns ?? 0, VIEW_LIMITS.exampleColumns, 'compare fewer models');
}
