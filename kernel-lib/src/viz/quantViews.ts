/**
 * The quantization lesson's views, from plain numbers (a notebook reads them off its tensors):
 * a layer's weights under the quantization grid, the error of each layer under each method, the
 * outlier channels that spoil per-tensor int8, and quality against bits per weight and bytes.
 * The static pictures are drawn in quantSvg.ts.
 */
import {
  errorGroups,
  formatBytes,
  histogramSummary,
  int8Explanation,
  layerErrorTitle,
  outlierChannels,
  outlierSummary,
  QUANT_LIMITS,
  QuantErrorSpec,
  QuantHistogramSpec,
  QuantLayerError,
  QuantOutliersSpec,
  QuantTradeoffSpec,
  TradeoffPoint,
  tradeoffSeries,
  validateQuantErrorSpec,
  validateQuantHistogramSpec,
  validateQuantOutliersSpec,
  validateQuantTradeoffSpec
} from '../contract/quant';
import { bundleOf, display, MimeBundle } from './display';
import { quantErrorSvg, quantHistogramSvg, quantOutliersSvg, quantTradeoffSvg } from './quantSvg';

export interface ViewOptions {
  title?: string;
}

export interface QuantHistogramInput {
  /** The weights' name: a layer, or one block of it. */
  name: string;
  /** The weights (a block, a layer): thinned to every k-th past QUANT_LIMITS.values. */
  values: ArrayLike<number>;
  /** The grid in weight units, e.g. NF4's 16 levels x the block's absmax, or int8's 256 steps. */
  levels: ArrayLike<number>;
  method: string;
  bits: number;
}

/** The histogram's spec: every k-th weight when there are more than QUANT_LIMITS.values; levels sorted. */
export function quantHistogramSpec(input: QuantHistogramInput, options: ViewOptions = {}): QuantHistogramSpec {
  const n = input.values.length;
  const every = Math.max(1, Math.ceil(n / QUANT_LIMITS.values));
  const values: number[] = [];
  for (let i = 0; i < n; i += every) values.push(input.values[i]);
  const levels = Array.from(input.levels).sort((a, b) => a - b);
  const title = options.title ?? `${input.name}: weights and the ${input.method} grid`;
  return validateQuantHistogramSpec({ kind: 'quant-histogram', version: 1, title, name: input.name, method: input.method, bits: input.bits, values, totalValues: n, levels });
}

export function quantErrorSpec(input: { layers: QuantLayerError[] }, options: ViewOptions = {}): QuantErrorSpec {
  const layers = input.layers.map(l => ({ ...l }));
  const methods = [...new Set(layers.map(l => l.method))];
  const title = options.title ?? `Quantization error per layer: ${methods.join(' vs ')}`;
  return validateQuantErrorSpec({ kind: 'quant-error', version: 1, title, layers });
}

export interface QuantOutliersInput {
  name: string;
  channelAbsMax: ArrayLike<number>;
  /** A channel over k x the median channel's absmax is an outlier; default 6. */
  k?: number;
}

export function quantOutliersSpec(input: QuantOutliersInput, options: ViewOptions = {}): QuantOutliersSpec {
  const title = options.title ?? `${input.name}: largest |x| per channel`;
  return validateQuantOutliersSpec({ kind: 'quant-outliers', version: 1, title, name: input.name, channelAbsMax: Array.from(input.channelAbsMax), k: input.k ?? 6 });
}

export interface QuantTradeoffInput {
  points: TradeoffPoint[];
  metricName: string;
  lowerIsBetter: boolean;
}

export function quantTradeoffSpec(input: QuantTradeoffInput, options: ViewOptions = {}): QuantTradeoffSpec {
  const title = options.title ?? `${input.metricName} against bits per weight and model size`;
  return validateQuantTradeoffSpec({ kind: 'quant-tradeoff', version: 1, title, points: input.points.map(p => ({ ...p })), metricName: input.metricName, lowerIsBetter: input.lowerIsBetter });
}

// ---- text fallbacks -------------------------------------------------------------------------

export function quantHistogramText(spec: QuantHistogramSpec): string {
  const lv = spec.levels;
  return [spec.title, histogramSummary(spec), `levels from ${lv[0].toPrecision(3)} to ${lv[lv.length - 1].toPrecision(3)}`].join('\n');
}

export function quantErrorText(spec: QuantErrorSpec): string {
  const { names, methods, at } = errorGroups(spec.layers);
  const lines = [spec.title];
  for (const name of names) for (const m of methods) {
    const row = at(name, m);
    if (row) lines.push(layerErrorTitle(row));
  }
  return lines.join('\n');
}

export function quantOutliersText(spec: QuantOutliersSpec): string {
  const { flagged, median } = outlierChannels(spec.channelAbsMax, spec.k);
  const list = flagged.slice(0, 20).map(i => `${i} (${spec.channelAbsMax[i].toPrecision(3)})`).join(', ');
  return [spec.title, outlierSummary(spec), ...(flagged.length > 0 ? [`outlier channels: ${list}${flagged.length > 20 ? ', \u2026' : ''}`] : []), int8Explanation(spec.channelAbsMax, median)].join('\n');
}

export function quantTradeoffText(spec: QuantTradeoffSpec): string {
  const lines = [spec.title];
  for (const { series, points } of tradeoffSeries(spec.points, 'bitsPerWeight')) {
    lines.push(`${series}: ${points.map(p => `${p.label} ${+p.bitsPerWeight.toPrecision(3)} bits ${formatBytes(p.bytes)} ${spec.metricName} ${+p.metric.toPrecision(4)}`).join('; ')}`);
  }
  return lines.join('\n');
}

// ---- bundles and show* ----------------------------------------------------------------------

export const quantHistogramBundle = (spec: QuantHistogramSpec): MimeBundle => bundleOf(spec, quantHistogramSvg(spec), quantHistogramText(spec));
export const quantErrorBundle = (spec: QuantErrorSpec): MimeBundle => bundleOf(spec, quantErrorSvg(spec), quantErrorText(spec));
export const quantOutliersBundle = (spec: QuantOutliersSpec): MimeBundle => bundleOf(spec, quantOutliersSvg(spec), quantOutliersText(spec));
export const quantTradeoffBundle = (spec: QuantTradeoffSpec): MimeBundle => bundleOf(spec, quantTradeoffSvg(spec), quantTradeoffText(spec));

/** Show a layer's weights as a histogram under the quantization grid's levels. */
export function showQuantHistogram(input: QuantHistogramInput, options: ViewOptions = {}): void {
  display(quantHistogramBundle(quantHistogramSpec(input, options)));
}

/** Show each layer's relative error, one bar per method. */
export function showQuantError(input: { layers: QuantLayerError[] }, options: ViewOptions = {}): void {
  display(quantErrorBundle(quantErrorSpec(input, options)));
}

/** Show each channel's absmax with the outliers (over k x median) flagged, and why they hurt per-tensor int8. */
export function showQuantOutliers(input: QuantOutliersInput, options: ViewOptions = {}): void {
  display(quantOutliersBundle(quantOutliersSpec(input, options)));
}

/** Show a metric against bits per weight and against model bytes, a line per model. */
export function showQuantTradeoff(input: QuantTradeoffInput, options: ViewOptions = {}): void {
  display(quantTradeoffBundle(quantTradeoffSpec(input, options)));
}
