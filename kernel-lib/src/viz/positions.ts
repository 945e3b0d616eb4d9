/**
 * Views of positional encodings (nn/positions.ts):
 *   - the encoding matrix, positions x dimensions, as a heatmap (sinusoidal, or a model's learned wpe),
 *   - how similar the encodings of two positions are as a function of their distance: the mean
 *     cosine similarity of rows p and p + d. For RoPE, pass the same vector rotated to every
 *     position (rope(q tiled over T)): its curve is q.k / |q|^2 at relative distance d.
 * Static bundles (SVG + text): nothing here needs interaction.
 */
import * as tf from '@tensorflow/tfjs';
import { checkMarks } from '../contract/limits';
import { display, MimeBundle } from './display';
import { linesBundle } from './lines';
import { svgDocument, text } from './svg';

/** Colour levels on each side of 0 in the heatmap. */
const LEVELS = 12;
const NEGATIVE = [33, 102, 172];
const POSITIVE = [178, 24, 43];

/** Level of v in [-LEVELS, LEVELS] on a scale where |v| = max is the darkest. */
export function colorLevel(v: number, max: number): number {
  if (!(max > 0) || !Number.isFinite(v)) return 0;
  return Math.max(-LEVELS, Math.min(LEVELS, Math.round((v / max) * LEVELS)));
}

/** White at level 0, blue below, red above. */
export function levelColor(level: number): string {
  const target = level < 0 ? NEGATIVE : POSITIVE;
  const t = Math.abs(level) / LEVELS;
  return '#' + target.map(c => Math.round(255 + t * (c - 255)).toString(16).padStart(2, '0')).join('');
}

function checkMatrix(name: string, m: number[][]): void {
  if (!Array.isArray(m) || m.length === 0 || !Array.isArray(m[0]) || m[0].length === 0) {
    throw new Error(`positions view: ${JSON.stringify(name)} must be a non-empty matrix (positions x dimensions)`);
  }
  const bad = m.findIndex(row => row.length !== m[0].length);
  if (bad >= 0) throw new Error(`positions view: row ${bad} of ${JSON.stringify(name)} has ${m[bad].length} values, row 0 has ${m[0].length}`);
}

function maxAbs(m: number[][]): number {
  let max = 0;
  for (const row of m) for (const v of row) if (Number.isFinite(v)) max = Math.max(max, Math.abs(v));
  return max;
}

/** A few evenly spaced ticks from 0 to n - 1. */
function ticks(n: number): number[] {
  const step = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024].find(s => n / s <= 5) ?? Math.ceil(n / 5);
  return Array.from({ length: Math.ceil(n / step) }, (_, i) => i * step);
}

/**
 * One panel: a cell per (position, dimension), one <path> per colour level, runs of equal level
 * in a row merged into one rectangle (a 64 x 64 matrix stays tens of kilobytes).
 */
function heatmapPanel(name: string, m: number[][], x0: number, y0: number, cw: number, ch: number): string[] {
  const T = m.length;
  const d = m[0].length;
  const max = maxAbs(m);
  const runs = new Map<number, string[]>();
  for (let p = 0; p < T; p++) {
    let start = 0;
    for (let i = 1; i <= d; i++) {
      const level = colorLevel(m[p][start], max);
      if (i < d && colorLevel(m[p][i], max) === level) continue;
      if (level !== 0) {
        const w = (i - start) * cw;
        const list = runs.get(level) ?? [];
        list.push(`M${x0 + start * cw} ${y0 + p * ch}h${w}v${ch}h-${w}z`);
        runs.set(level, list);
      }
      start = i;
    }
  }
  const W = d * cw;
  const H = T * ch;
  const body = [
    text(x0, y0 - 24, name, 'font-size="12" font-weight="bold" fill="#222"'),
    text(x0, y0 - 10, `${T} positions x ${d} dimensions, |value| <= ${max.toPrecision(2)}`, 'font-size="10" fill="#555"'),
    `<rect x="${x0}" y="${y0}" width="${W}" height="${H}" fill="#ffffff" stroke="#bbb"/>`,
    ...[...runs.entries()].sort((a, b) => a[0] - b[0]).map(([level, parts]) => `<path fill="${levelColor(level)}" d="${parts.join('')}"/>`)
  ];
  for (const p of ticks(T)) body.push(text(x0 - 4, y0 + p * ch + ch / 2 + 3.5, String(p), 'text-anchor="end" font-size="10" fill="#444"'));
  for (const i of ticks(d)) body.push(text(x0 + i * cw + cw / 2, y0 + H + 12, String(i), 'text-anchor="middle" font-size="10" fill="#444"'));
  body.push(
    text(x0 + W / 2, y0 + H + 26, 'dimension', 'text-anchor="middle" fill="#444"'),
    text(x0 - 30, y0 + H / 2, 'position', `text-anchor="middle" fill="#444" transform="rotate(-90 ${x0 - 30} ${y0 + H / 2})"`)
  );
  // the colour scale: one swatch per level, from -max to +max
  const sw = Math.max(4, Math.floor(Math.min(W, 200) / (2 * LEVELS + 1)));
  const ly = y0 + H + 36;
  for (let l = -LEVELS; l <= LEVELS; l++) body.push(`<rect x="${x0 + (l + LEVELS) * sw}" y="${ly}" width="${sw}" height="8" fill="${levelColor(l)}"/>`);
  body.push(
    text(x0, ly + 20, `-${max.toPrecision(2)}`, 'font-size="10" fill="#444"'),
    text(x0 + (2 * LEVELS + 1) * sw, ly + 20, `+${max.toPrecision(2)}`, 'text-anchor="end" font-size="10" fill="#444"')
  );
  return body;
}

/** Encoding matrices (positions x dimensions) as heatmaps side by side. */
export function positionsSvg(encodings: Record<string, number[][]>): string {
  const entries = Object.entries(encodings);
  if (entries.length === 0) throw new Error('positions view: give at least one encoding, e.g. { sinusoidal: matrix }');
  entries.forEach(([name, m]) => checkMatrix(name, m));
  const cells = entries.reduce((sum, [, m]) => sum + m.length * m[0].length, 0);
  const sizes = entries.map(([name, m]) => `${name}: ${m.length} x ${m[0].length}`).join(', ');
  checkMarks('positions view', cells, `cells (${sizes})`, 'show fewer positions or dimensions, e.g. matrix.slice(0, 64)');
  const top = 40;
  const left = 46;
  const gap = 40;
  let x = left;
  let height = 0;
  const body: string[] = [];
  for (const [name, m] of entries) {
    const cw = Math.max(2, Math.min(10, Math.floor(300 / m[0].length)));
    const ch = Math.max(2, Math.min(10, Math.floor(300 / m.length)));
    body.push(...heatmapPanel(name, m, x, top, cw, ch));
    x += Math.max(m[0].length * cw, 2 * LEVELS + 1) + gap + left;
    height = Math.max(height, top + m.length * ch + 70);
  }
  return svgDocument(x - gap - left + 16, height, body);
}

export function positionsText(encodings: Record<string, number[][]>): string {
  return Object.entries(encodings)
    .map(([name, m]) => {
      checkMatrix(name, m);
      const flat = m.flat().filter(Number.isFinite);
      return `${name}: ${m.length} positions x ${m[0].length} dimensions, values ${Math.min(...flat).toFixed(3)}..${Math.max(...flat).toFixed(3)}`;
    })
    .join('\n');
}

export function positionsBundle(encodings: Record<string, number[][]>): MimeBundle {
  return { 'image/svg+xml': positionsSvg(encodings), 'text/plain': positionsText(encodings) };
}

async function matrixOf(name: string, m: tf.Tensor | number[][]): Promise<number[][]> {
  if (!(m instanceof tf.Tensor)) return m;
  if (m.rank !== 2) throw new Error(`positions view: ${JSON.stringify(name)} must be 2-D (positions, dimensions), got shape [${m.shape}]`);
  return (await m.array()) as number[][];
}

/**
 * Show encoding matrices as heatmaps: showPositions({ sinusoidal: sinusoidalEncoding(64, 64),
 * learned: model.wpe.weight }). Rows are positions, columns dimensions; red > 0 > blue.
 */
export async function showPositions(encodings: Record<string, tf.Tensor | number[][]>): Promise<void> {
  const matrices: Record<string, number[][]> = {};
  for (const [name, m] of Object.entries(encodings)) matrices[name] = await matrixOf(name, m);
  display(positionsBundle(matrices));
}

/**
 * Mean cosine similarity of the rows p and p + d of an encoding (T, dim), over every p, for
 * d = 0..maxDistance (at most T - 1). For sinusoidal encodings it is (2 / dim) sum_i cos(d w_i),
 * the same for every p: similarity depends on the distance only.
 */
export function similarityByDistance(encoding: number[][], maxDistance = encoding.length - 1): number[] {
  checkMatrix('encoding', encoding);
  const T = encoding.length;
  if (!(Number.isInteger(maxDistance) && maxDistance >= 0 && maxDistance < T)) {
    throw new Error(`similarityByDistance: maxDistance must be an integer in [0, ${T - 1}] (the encoding has ${T} positions), got ${maxDistance}`);
  }
  const norms = encoding.map(row => Math.sqrt(row.reduce((s, v) => s + v * v, 0)));
  const cosine = (a: number, b: number) => {
    let dot = 0;
    for (let i = 0; i < encoding[a].length; i++) dot += encoding[a][i] * encoding[b][i];
    return dot / (norms[a] * norms[b] || 1);
  };
  return Array.from({ length: maxDistance + 1 }, (_, d) => {
    let sum = 0;
    for (let p = 0; p + d < T; p++) sum += cosine(p, p + d);
    return sum / (T - d);
  });
}

/** The similarity-by-distance curves as a line chart, one line per encoding. */
export function distanceBundle(curves: Record<string, number[]>): MimeBundle {
  return linesBundle(curves, {
    title: 'Similarity of two positions by their distance',
    xLabel: 'distance d between the positions',
    yLabel: 'mean cosine similarity'
  });
}

/** Show curves from similarityByDistance, e.g. { sinusoidal: s, learned: l, RoPE: r }. */
export function showSimilarityByDistance(curves: Record<string, number[]>): void {
  display(distanceBundle(curves));
}
