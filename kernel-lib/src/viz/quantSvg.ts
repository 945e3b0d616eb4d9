/**
 * The static pictures of the quantization views (for nbconvert, GitHub, a lab without the
 * extension): the same marks the extension draws, in fixed colours on white.
 */
import { HEAD_COLORS } from '../contract/palette';
import {
  clusterLabels,
  errorGroups,
  formatPercent,
  histogramBins,
  histogramRange,
  histogramSummary,
  int8Explanation,
  layerErrorTitle,
  outlierChannels,
  outlierSummary,
  QuantErrorSpec,
  QuantHistogramSpec,
  QuantOutliersSpec,
  QuantTradeoffSpec,
  TradeoffPoint,
  tradeoffMetricDomain,
  tradeoffSeries,
  tradeoffXDomain,
  tradeoffTitle
} from '../contract/quant';
import { wrapText } from './compare';
import { scaleLog } from 'd3-scale';
import { axis, escapeXml, num, scaleLinear, svgDocument, text } from './svg';

/** Bars of the weight histogram: enough to show NF4's 16 steps, few enough to read. */
export const HISTOGRAM_BINS = 80;
const BLUE = HEAD_COLORS[0];
const RED = HEAD_COLORS[2];
const heading = (title: string, summary: string) => [text(8, 16, title, 'font-size="12" font-weight="bold" fill="#222"'), text(8, 32, summary, 'fill="#444"')];

export function quantHistogramSvg(spec: QuantHistogramSpec): string {
  const [W, H, left, right, top, bottom] = [680, 270, 48, 664, 44, 236];
  const [lo, hi] = histogramRange(spec.values, spec.levels);
  const counts = histogramBins(spec.values, lo, hi, HISTOGRAM_BINS);
  const x = scaleLinear().domain([lo, hi]).range([left, right]);
  const y = scaleLinear().domain([0, Math.max(...counts)]).nice().range([bottom, top]);
  const bw = (right - left) / HISTOGRAM_BINS;
  const body = heading(spec.title, histogramSummary(spec));
  counts.forEach((c, b) => {
    if (c > 0) body.push(`<rect x="${num(left + b * bw)}" y="${num(y(c))}" width="${num(Math.max(bw - 1, 0.5))}" height="${num(bottom - y(c))}" fill="${BLUE}" fill-opacity=".75"/>`);
  });
  for (const level of spec.levels) body.push(`<line x1="${num(x(level))}" x2="${num(x(level))}" y1="${top}" y2="${bottom}" stroke="${RED}" stroke-opacity="${spec.levels.length > 32 ? 0.2 : 0.8}"><title>level ${level.toPrecision(4)}</title></line>`);
  body.push(axis(x, 'bottom', bottom), axis(y, 'left', left, 4), text((left + right) / 2, H - 4, `weight (red lines: the ${spec.levels.length} ${spec.method} levels)`, 'text-anchor="middle" fill="#555"'));
  return svgDocument(W, H, body);
}

export function quantErrorSvg(spec: QuantErrorSpec): string {
  const { names, methods, at } = errorGroups(spec.layers);
  const labelW = Math.min(34, Math.max(...names.map(n => n.length))) * 6.2 + 12;
  const [left, plotW, barH] = [8 + labelW, 420, 9];
  const groupH = methods.length * barH + 8;
  const top = 60;
  const bottom = top + names.length * groupH;
  const x = scaleLinear().domain([0, Math.max(...spec.layers.map(l => l.relError)) || 1]).nice().range([left, left + plotW]);
  const body = heading(spec.title, 'relative error per layer (usually \u2016W \u2212 Q(W)\u2016 / \u2016W\u2016), a bar per method');
  let lx = 8;
  methods.forEach((m, j) => {
    body.push(`<rect x="${num(lx)}" y="40" width="12" height="10" fill="${HEAD_COLORS[j]}"/>`, text(lx + 16, 49, m, 'fill="#444"'));
    lx += 28 + m.length * 6.5;
  });
  names.forEach((name, i) => {
    const gy = top + i * groupH;
    const shown = name.length > 34 ? '\u2026' + name.slice(-33) : name;
    body.push(text(left - 6, gy + groupH / 2 + 2, shown, 'text-anchor="end" font-family="monospace" fill="#222"'));
    methods.forEach((m, j) => {
      const row = at(name, m);
      if (!row) return;
      const by = gy + 4 + j * barH;
      body.push(`<rect x="${left}" y="${by}" width="${num(x(row.relError) - left)}" height="${barH - 1}" fill="${HEAD_COLORS[j]}"><title>${escapeXml(layerErrorTitle(row))}</title></rect>`);
      if (methods.length <= 3) body.push(text(x(row.relError) + 4, by + barH - 1, formatPercent(row.relError), 'font-size="9" fill="#555"'));
    });
  });
  body.push(axis(x, 'bottom', bottom), text(left + plotW / 2, bottom + 30, 'relative error', 'text-anchor="middle" fill="#555"'));
  return svgDocument(Math.max(left + plotW + 56, lx + 8), bottom + 40, body);
}

export function quantOutliersSvg(spec: QuantOutliersSpec): string {
  const n = spec.channelAbsMax.length;
  const { threshold, flagged, median } = outlierChannels(spec.channelAbsMax, spec.k);
  const outlier = new Set(flagged);
  const [W, left, right, top, bottom] = [720, 48, 704, 44, 220];
  const x = scaleLinear().domain([0, n]).range([left, right]);
  const y = scaleLinear().domain([0, Math.max(...spec.channelAbsMax, threshold) || 1]).nice().range([bottom, top]);
  const bw = (right - left) / n;
  const body = heading(spec.title, outlierSummary(spec));
  spec.channelAbsMax.forEach((v, i) => {
    const bad = outlier.has(i);
    if (v > 0 || bad) body.push(`<rect x="${num(x(i))}" y="${num(y(v))}" width="${num(Math.max(bw - (bw > 3 ? 1 : 0), 0.6))}" height="${num(bottom - y(v))}" fill="${bad ? RED : BLUE}"${bad ? '' : ' fill-opacity=".7"'}><title>channel ${i}: ${v.toPrecision(3)}${bad ? ` = ${(v / median).toFixed(1)} \u00d7 median: outlier` : ''}</title></rect>`);
  });
  body.push(`<line x1="${left}" x2="${right}" y1="${num(y(threshold))}" y2="${num(y(threshold))}" stroke="#555" stroke-dasharray="4 3"/>`);
  body.push(text(right, y(threshold) - 4, `${spec.k} \u00d7 median = ${threshold.toPrecision(3)}`, 'text-anchor="end" fill="#555"'));
  body.push(axis(x, 'bottom', bottom), axis(y, 'left', left, 4), text((left + right) / 2, bottom + 30, 'channel', 'text-anchor="middle" fill="#555"'));
  const lines = wrapText(int8Explanation(spec.channelAbsMax, median), 110, 4);
  lines.forEach((l, i) => body.push(text(8, bottom + 50 + i * 14, l, 'fill="#444"')));
  return svgDocument(W, bottom + 56 + lines.length * 14, body);
}

export function quantTradeoffSvg(spec: QuantTradeoffSpec): string {
  const [pw, ph, top] = [340, 220, 80];
  const body = heading(spec.title, `${spec.metricName} (${spec.lowerIsBetter ? 'lower' : 'higher'} is better) against bits per weight and against model size`);
  const y = scaleLinear().domain(tradeoffMetricDomain(spec.points)).nice().range([top + ph, top]);
  const names = tradeoffSeries(spec.points, 'bitsPerWeight').map(s => s.series);
  names.forEach((s, j) => body.push(`<rect x="${8 + j * 140}" y="40" width="12" height="10" fill="${HEAD_COLORS[j]}"/>`, text(24 + j * 140, 49, s.length > 18 ? s.slice(0, 17) + '\u2026' : s, 'fill="#444"')));
  (['bitsPerWeight', 'bytes'] as const).forEach((key, k) => {
    const left = 56 + k * (pw + 60);
    // sizes in MB: tick labels stay short
    const at = (p: TradeoffPoint) => (key === 'bytes' ? p.bytes / 1e6 : p.bitsPerWeight);
    const xs = spec.points.map(at);
    // bits and bytes double from format to format: a log axis spaces 4, 8, 16, 32 evenly
    const x = scaleLog().base(key === 'bytes' ? 10 : 2).domain(tradeoffXDomain(xs)).range([left, left + pw]);
    tradeoffSeries(spec.points, key).forEach(({ series, points }) => {
      const color = HEAD_COLORS[names.indexOf(series)];
      body.push(`<polyline points="${points.map(p => `${num(x(at(p)))},${num(y(p.metric))}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
      for (const p of points) body.push(`<circle cx="${num(x(at(p)))}" cy="${num(y(p.metric))}" r="4" fill="${color}"><title>${escapeXml(tradeoffTitle(p, spec.metricName))}</title></circle>`);
      for (const l of clusterLabels(points.map(p => ({ x: x(at(p)), y: y(p.metric), label: p.label })))) body.push(text(l.x + 6, l.y - 6, l.text, 'font-size="10" fill="#333"'));
    });
    body.push(axis(x as never, 'bottom', top + ph, 5), axis(y, 'left', left, 5), text(left + pw / 2, top + ph + 32, key === 'bytes' ? 'model size (MB)' : 'bits per weight', 'text-anchor="middle" fill="#555"'));
    body.push(text(left - 40, top - 8, `${spec.metricName} ${spec.lowerIsBetter ? '\u2193 better' : '\u2191 better'}`, 'fill="#555"'));
  });
  return svgDocument(56 + 2 * pw + 60 + 24, top + ph + 44, body);
}
