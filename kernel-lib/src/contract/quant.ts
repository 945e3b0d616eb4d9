/**
 * The quantization lesson's view specs: a layer's weights under its quantization grid, the error
 * each layer gets under each method, the outlier channels that spoil per-tensor int8, and the
 * trade-off between bits per weight (or bytes) and a quality metric. Plain numbers in, no tensors.
 * The arithmetic both sides show (bins, rounding, outliers) lives here too. Re-exported by index.ts.
 */
import { arr, bool, fail, header, int, nonEmptyStr, num, obj, SpecError, str } from './check';
import { ViewSizeError } from './limits';

/**
 * How big these views may be. values: a histogram of 20,000 weights has the same shape as one of
 * millions (the builders take every k-th); levels: an 8-bit grid; channels: GPT-2's widest layer
 * (3,072) five times over, one thin bar each; errorRows: 48 linears of a 12-layer model x 8
 * methods, with room; points: a trade-off of a few dozen runs.
 */
export const QUANT_LIMITS = { values: 20_000, levels: 256, channels: 16_384, errorRows: 1_024, errorMethods: 8, points: 200, series: 10 } as const;

export interface QuantHistogramSpec {
  kind: 'quant-histogram';
  version: 1;
  title: string;
  /** The weights' name (a layer, or one block of it) and the method: untrusted text. */
  name: string;
  method: string;
  bits: number;
  /** The weights drawn (at most QUANT_LIMITS.values: every k-th when there were more). */
  values: number[];
  /** How many weights there were before thinning. */
  totalValues: number;
  /** The grid in weight units, increasing: NF4's 16 levels times absmax, 256 int8 steps. */
  levels: number[];
}

export interface QuantLayerError {
  /** A layer's name, e.g. transformer.h.0.attn.c_attn (untrusted text). */
  name: string;
  method: string;
  /** The error relative to the weights' size, usually ||W - Q(W)|| / ||W||. */
  relError: number;
  maxAbsError?: number;
}

export interface QuantErrorSpec {
  kind: 'quant-error';
  version: 1;
  title: string;
  layers: QuantLayerError[];
}

export interface QuantOutliersSpec {
  kind: 'quant-outliers';
  version: 1;
  title: string;
  name: string;
  /** max |x| of each channel (a column of the weight, or of the activations). */
  channelAbsMax: number[];
  /** A channel is an outlier when its absmax is over k x the median channel's. */
  k: number;
}

export interface TradeoffPoint {
  /** Which model: "base model", "fine-tuned" (a line each). */
  series: string;
  /** The format at this point: "fp32", "int8", "nf4". */
  label: string;
  bitsPerWeight: number;
  bytes: number;
  metric: number;
}

export interface QuantTradeoffSpec {
  kind: 'quant-tradeoff';
  version: 1;
  title: string;
  points: TradeoffPoint[];
  /** "perplexity", "accuracy". */
  metricName: string;
  lowerIsBetter: boolean;
}

function over(view: string, n: number, what: string, limit: number, advice: string): void {
  if (n > limit) throw new ViewSizeError(`the ${view} has ${n.toLocaleString('en-US')} ${what}, more than ${limit.toLocaleString('en-US')} a browser draws comfortably: ${advice}`);
}

function nonEmpty(v: unknown, path: string): unknown[] {
  const a = arr(v, path);
  if (a.length === 0) fail(path, 'a non-empty array', v);
  return a;
}

export function validateQuantHistogramSpec(v: unknown): QuantHistogramSpec {
  const o = obj(v, 'spec');
  header(o, 'quant-histogram', [1]);
  str(o.name, 'name');
  str(o.method, 'method');
  const bits = int(o.bits, 'bits', 1);
  if (bits > 16) fail('bits', 'an integer from 1 to 16', o.bits);
  const values = nonEmpty(o.values, 'values');
  over('weight histogram', values.length, 'values', QUANT_LIMITS.values, 'take every k-th weight (the builder does)');
  values.forEach((x, i) => num(x, `values[${i}]`));
  if (int(o.totalValues, 'totalValues', 1) < values.length) throw new SpecError(`totalValues (${o.totalValues}) must be at least the number of values (${values.length})`);
  const levels = nonEmpty(o.levels, 'levels');
  over('weight histogram', levels.length, 'levels', QUANT_LIMITS.levels, 'draw a grid of at most 8 bits');
  if (levels.length > 2 ** bits) throw new SpecError(`levels has ${levels.length} values, more than the 2^${bits} = ${2 ** bits} that ${bits} bits can name`);
  levels.forEach((x, i) => {
    num(x, `levels[${i}]`);
    if (i > 0 && (x as number) <= (levels[i - 1] as number)) throw new SpecError(`levels must increase, got levels[${i - 1}] = ${levels[i - 1]} then levels[${i}] = ${x}`);
  });
  return o as unknown as QuantHistogramSpec;
}

export function validateQuantErrorSpec(v: unknown): QuantErrorSpec {
  const o = obj(v, 'spec');
  header(o, 'quant-error', [1]);
  const layers = nonEmpty(o.layers, 'layers');
  over('error view', layers.length, 'rows (layer, method)', QUANT_LIMITS.errorRows, 'show fewer layers');
  const seen = new Map<string, number>();
  layers.forEach((l, i) => {
    const p = `layers[${i}]`;
    const row = obj(l, p);
    const name = str(row.name, `${p}.name`);
    const method = nonEmptyStr(row.method, `${p}.method`);
    if (num(row.relError, `${p}.relError`) < 0) fail(`${p}.relError`, 'a number >= 0', row.relError);
    if (row.maxAbsError !== undefined && num(row.maxAbsError, `${p}.maxAbsError`) < 0) fail(`${p}.maxAbsError`, 'a number >= 0', row.maxAbsError);
    const key = JSON.stringify([name, method]);
    if (seen.has(key)) throw new SpecError(`${p} repeats layer ${JSON.stringify(name)} with method ${JSON.stringify(method)} (first at layers[${seen.get(key)}])`);
    seen.set(key, i);
  });
  const methods = errorGroups(o.layers as QuantLayerError[]).methods;
  over('error view', methods.length, 'methods', QUANT_LIMITS.errorMethods, 'compare fewer methods at once');
  return o as unknown as QuantErrorSpec;
}

export function validateQuantOutliersSpec(v: unknown): QuantOutliersSpec {
  const o = obj(v, 'spec');
  header(o, 'quant-outliers', [1]);
  str(o.name, 'name');
  const channels = nonEmpty(o.channelAbsMax, 'channelAbsMax');
  over('outlier view', channels.length, 'channels', QUANT_LIMITS.channels, 'show one layer at a time');
  channels.forEach((x, i) => {
    if (num(x, `channelAbsMax[${i}]`) < 0) fail(`channelAbsMax[${i}]`, 'a number >= 0 (an absolute maximum)', x);
  });
  if (num(o.k, 'k') < 1) fail('k', 'a number >= 1 (how many times the median makes an outlier)', o.k);
  return o as unknown as QuantOutliersSpec;
}

export function validateQuantTradeoffSpec(v: unknown): QuantTradeoffSpec {
  const o = obj(v, 'spec');
  header(o, 'quant-tradeoff', [1]);
  nonEmptyStr(o.metricName, 'metricName');
  bool(o.lowerIsBetter, 'lowerIsBetter');
  const points = nonEmpty(o.points, 'points');
  over('trade-off view', points.length, 'points', QUANT_LIMITS.points, 'plot fewer runs');
  points.forEach((pt, i) => {
    const p = `points[${i}]`;
    const q = obj(pt, p);
    nonEmptyStr(q.series, `${p}.series`);
    str(q.label, `${p}.label`);
    if (num(q.bitsPerWeight, `${p}.bitsPerWeight`) <= 0) fail(`${p}.bitsPerWeight`, 'a number > 0', q.bitsPerWeight);
    if (num(q.bytes, `${p}.bytes`) <= 0) fail(`${p}.bytes`, 'a number > 0', q.bytes);
    num(q.metric, `${p}.metric`);
  });
  over('trade-off view', new Set(points.map(p => (p as TradeoffPoint).series)).size, 'series', QUANT_LIMITS.series, 'compare fewer models');
  return o as unknown as QuantTradeoffSpec;
}

// ---- what the kernel's pictures and the extension's views both show -------------------------

/** The smallest and largest of the values and the levels (so every grid line is on the axis); never empty. */
export function histogramRange(values: readonly number[], levels: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of [...values, ...levels]) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

/** counts[b]: how many values fall in [lo + b w, lo + (b + 1) w), the last bin closed at hi. */
export function histogramBins(values: readonly number[], lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const w = (hi - lo) / bins;
  for (const x of values) {
    if (x < lo || x > hi) continue;
    counts[Math.min(bins - 1, Math.floor((x - lo) / w))] += 1;
  }
  return counts;
}

/** The level nearest to x (levels increasing): what round-to-nearest quantization makes of x. */
export function nearestLevel(levels: readonly number[], x: number): number {
  let a = 0;
  let b = levels.length - 1;
  while (b - a > 1) {
    const m = (a + b) >> 1;
    if (levels[m] <= x) a = m;
    else b = m;
  }
  return Math.abs(x - levels[a]) <= Math.abs(levels[b] - x) ? levels[a] : levels[b];
}

/** "16 levels (4 bits, nf4) · mean |w − q(w)| 0.0041 · 20,000 of 589,824 weights shown". */
export function histogramSummary(spec: QuantHistogramSpec): string {
  const meanError = spec.values.reduce((s, x) => s + Math.abs(x - nearestLevel(spec.levels, x)), 0) / spec.values.length;
  const shown = spec.totalValues > spec.values.length ? `${spec.values.length.toLocaleString('en-US')} of ${spec.totalValues.toLocaleString('en-US')} weights shown (1 in ${Math.round(spec.totalValues / spec.values.length)})` : `${spec.values.length.toLocaleString('en-US')} weights`;
  return `${spec.levels.length} levels (${spec.bits} bits, ${spec.method}) \u00b7 mean |w \u2212 q(w)| ${meanError.toPrecision(2)} \u00b7 ${shown}`;
}

/** Layer names and methods in the order they first appear, and each (layer, method)'s row. */
export function errorGroups(layers: readonly QuantLayerError[]): { names: string[]; methods: string[]; at: (name: string, method: string) => QuantLayerError | undefined } {
  const names = [...new Set(layers.map(l => l.name))];
  const methods = [...new Set(layers.map(l => l.method))];
  const rows = new Map(layers.map(l => [JSON.stringify([l.name, l.method]), l]));
  return { names, methods, at: (name, method) => rows.get(JSON.stringify([name, method])) };
}

/** "transformer.h.0.attn.c_attn, nf4: relative error 2.31%, max |error| 0.0123". */
export function layerErrorTitle(l: QuantLayerError): string {
  return `${l.name}, ${l.method}: relative error ${formatPercent(l.relError)}${l.maxAbsError !== undefined ? `, max |error| ${l.maxAbsError.toPrecision(3)}` : ''}`;
}

/** 0.0231 -> "2.31%", 0.00004 -> "0.0040%". */
export function formatPercent(x: number): string {
  const p = 100 * x;
  return p === 0 ? '0%' : p >= 10 ? `${p.toFixed(1)}%` : `${p.toPrecision(2)}%`;
}

/** The median channel's absmax, the threshold k x median, and the channels over it. */
export function outlierChannels(absMax: readonly number[], k: number): { median: number; threshold: number; flagged: number[] } {
  const sorted = [...absMax].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const threshold = k * median;
  const flagged = absMax.flatMap((x, i) => (x > threshold ? [i] : []));
  return { median, threshold, flagged };
}

/**
 * Why outliers hurt per-tensor int8, in this layer's numbers: the largest channel sets the step
 * (absmax / 127), and a typical channel (the median) then lands on only a few of the 255 levels.
 */
export function int8Explanation(absMax: readonly number[], median: number): string {
  const max = Math.max(...absMax);
  const step = max / 127;
  const used = step === 0 ? 0 : Math.round(median / step);
  return `Per-tensor int8 uses one step for the whole tensor, absmax / 127 = ${max.toPrecision(3)} / 127 = ${step.toPrecision(3)}: a typical channel (|x| up to the median, ${median.toPrecision(3)}) gets only \u00b1${used} of the \u00b1127 levels. Per-channel scales, or keeping outlier channels in 16 bits (LLM.int8), avoid that.`;
}

/** "5 of 768 channels over 6 × the median (0.0410)". */
export function outlierSummary(spec: QuantOutliersSpec): string {
  const { median, flagged } = outlierChannels(spec.channelAbsMax, spec.k);
  return `${flagged.length} of ${spec.channelAbsMax.length.toLocaleString('en-US')} channels over ${spec.k} \u00d7 the median (${median.toPrecision(3)})`;
}

/** The points of each series in the order the series first appear, each sorted by x. */
export function tradeoffSeries(points: readonly TradeoffPoint[], x: 'bitsPerWeight' | 'bytes'): { series: string; points: TradeoffPoint[] }[] {
  const names = [...new Set(points.map(p => p.series))];
  return names.map(series => ({ series, points: points.filter(p => p.series === series).sort((a, b) => a[x] - b[x]) }));
}

/** The metric axis: the values' range with 8% room above and below (never empty). */
export function tradeoffMetricDomain(points: readonly TradeoffPoint[]): [number, number] {
  const ys = points.map(p => p.metric);
  const [lo, hi] = [Math.min(...ys), Math.max(...ys)];
  const pad = lo === hi ? Math.abs(lo) * 0.1 || 1 : (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

/** A log axis over positive xs with a little room at both ends (a factor 1.15), never empty. */
export function tradeoffXDomain(xs: readonly number[]): [number, number] {
  return [Math.min(...xs) / 1.15, Math.max(...xs) * 1.15];
}

/** 124_000_000 -> "124 MB", 1_500 -> "1.5 kB" (decimal units, as model cards give sizes). */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u += 1;
  }
  return `${n >= 100 || u === 0 ? Math.round(n) : +n.toPrecision(2)} ${units[u]}`;
}

/** 'nf4 (base model): 4.5 bits/weight, 70 MB, perplexity 31.2'. */
export function tradeoffTitle(p: TradeoffPoint, metricName: string): string {
  return `${p.label} (${p.series}): ${+p.bitsPerWeight.toPrecision(3)} bits/weight, ${formatBytes(p.bytes)}, ${metricName} ${+p.metric.toPrecision(4)}`;
}

/**
 * One label per cluster of points drawn within `gap` pixels of each other (formats of nearly the same
 * size and score: int8 three ways, int4 and nf4), their names joined, so labels never print over one
 * another; placed at the cluster's first point.
 */
export function clusterLabels(points: readonly { x: number; y: number; label: string }[], gap = 14): { x: number; y: number; text: string }[] {
  const clusters: { x: number; y: number; labels: string[] }[] = [];
  for (const p of points) {
    const near = clusters.find(c => Math.abs(c.x - p.x) < gap * 3 && Math.abs(c.y - p.y) < gap);
    if (near) {
      if (!near.labels.includes(p.label)) near.labels.push(p.label);
    } else clusters.push({ x: p.x, y: p.y, labels: [p.label] });
  }
  return clusters.map(c => ({ x: c.x, y: c.y, text: c.labels.join(', ') }));
}
