import * as tf from '@tensorflow/tfjs';
import { JSDOM } from 'jsdom';
import { beforeAll, describe, expect, it } from 'vitest';
import { rope, sinusoidalEncoding } from '../../kernel-lib/src/nn/positions';
import { describe as describeShape } from '../../kernel-lib/src/viz/describe';
import { linesBundle } from '../../kernel-lib/src/viz/lines';
import { colorLevel, distanceBundle, levelColor, positionsBundle, positionsSvg, similarityByDistance } from '../../kernel-lib/src/viz/positions';
import { seededRandom } from '../../kernel-lib/src/random';
import { maxAbsDiff, onCpu } from './helpers';

beforeAll(onCpu);

/** Parse as XML: a malformed document gives a <parsererror>. */
function parseSvg(svg: string): Document {
  const doc = new new JSDOM('').window.DOMParser().parseFromString(svg, 'image/svg+xml');
  expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
  expect(doc.documentElement.tagName).toBe('svg');
  return doc;
}

/** Cells painted by the heatmap's paths: every "M x y h w v h h -w z" run, as [x, y, w, h, fill]. */
function paintedRuns(doc: Document): [number, number, number, number, string][] {
  return [...doc.getElementsByTagName('path')].flatMap(p =>
    [...(p.getAttribute('d') ?? '').matchAll(/M(\d+) (\d+)h(\d+)v(\d+)h-\d+z/g)].map(
      m => [+m[1], +m[2], +m[3], +m[4], p.getAttribute('fill')!] as [number, number, number, number, string]
    )
  );
}

const T = 24;
const D = 16;
// the closed form: rows p and p + d of a sinusoidal encoding have cosine (2 / D) sum_i cos(d w_i)
const closedForm = (d: number) => (2 / D) * Array.from({ length: D / 2 }, (_, i) => Math.cos(d / 10000 ** ((2 * i) / D))).reduce((a, b) => a + b, 0);

describe('positions view', () => {
  it('similarity by distance of sinusoidal encodings matches the closed form', async () => {
    const pe = sinusoidalEncoding(T, D);
    const curve = similarityByDistance((await pe.array()) as number[][]);
    pe.dispose();
    expect(curve).toHaveLength(T);
    expect(maxAbsDiff(curve, curve.map((_, d) => closedForm(d)))).toBeLessThan(1e-5);
    expect(curve[0]).toBeCloseTo(1, 6);
  });

  it('for RoPE, the curve of one vector rotated to every position is q.k / |q|^2 at distance d', async () => {
    const random = seededRandom(3);
    const q = Array.from({ length: D }, () => random() * 2 - 1);
    const rotated = tf.tidy(() => rope(tf.tensor2d([q], [1, D]).tile([T, 1])));
    const curve = similarityByDistance((await rotated.array()) as number[][], 10);
    rotated.dispose();
    // pair i (norm^2 r_i) turned by d theta_i: q.k = sum_i r_i cos(d theta_i)
    const norm2 = q.reduce((s, v) => s + v * v, 0);
    const expected = Array.from({ length: 11 }, (_, d) =>
      Array.from({ length: D / 2 }, (_, i) => (q[2 * i] ** 2 + q[2 * i + 1] ** 2) * Math.cos(d * 10000 ** ((-2 * i) / D))).reduce((a, b) => a + b, 0) / norm2
    );
    expect(maxAbsDiff(curve, expected)).toBeLessThan(1e-5);
  });

  it('rejects ragged matrices and distances past the end, with the values', () => {
    expect(() => similarityByDistance([[1, 2], [3]])).toThrow('row 1 of "encoding" has 1 values, row 0 has 2');
    expect(() => similarityByDistance([[1], [2]], 2)).toThrow('maxDistance must be an integer in [0, 1] (the encoding has 2 positions), got 2');
  });

  it('paints every cell of the heatmap once, in the colour of its value', async () => {
    const pe = sinusoidalEncoding(T, D);
    const m = (await pe.array()) as number[][];
    pe.dispose();
    const doc = parseSvg(positionsSvg({ sinusoidal: m }));
    const runs = paintedRuns(doc);
    // cell size and origin as drawn: the first run starts at the panel's corner
    const x0 = Math.min(...runs.map(r => r[0]));
    const y0 = Math.min(...runs.map(r => r[1]));
    const ch = runs[0][3];
    const cw = ch; // square cells for a matrix no bigger than 30 x 30
    const painted = new Map<string, string>();
    for (const [x, y, w, , fill] of runs) {
      for (let c = 0; c < w / cw; c++) {
        const key = `${(y - y0) / ch},${(x - x0) / cw + c}`;
        expect(painted.has(key), `cell ${key} painted twice`).toBe(false);
        painted.set(key, fill);
      }
    }
    let max = 0;
    for (const row of m) for (const v of row) max = Math.max(max, Math.abs(v));
    for (let p = 0; p < T; p++) {
      for (let i = 0; i < D; i++) {
        const level = colorLevel(m[p][i], max);
        // level 0 is the white background: not painted
        expect(painted.get(`${p},${i}`)).toBe(level === 0 ? undefined : levelColor(level));
      }
    }
    expect(levelColor(0)).toBe('#ffffff');
    expect(colorLevel(-max, max)).toBe(-colorLevel(max, max));
  });

  it('escapes names in the SVG and says the sizes and ranges in text', () => {
    const name = '<script>alert("x")</script> & co';
    const b = positionsBundle({ [name]: [[1, -0.5], [0.25, 0]] });
    const doc = parseSvg(b['image/svg+xml']);
    expect(doc.getElementsByTagName('script')).toHaveLength(0);
    expect(b['image/svg+xml']).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
    expect(b['text/plain']).toBe(`${name}: 2 positions x 2 dimensions, values -0.500..1.000`);
    expect(() => positionsSvg({ bad: [[1, 2], [3]] })).toThrow('row 1 of "bad" has 1 values, row 0 has 2');
  });

  it('draws the distance curves as a line chart: one path and one legend entry per curve', () => {
    const b = distanceBundle({ sinusoidal: [1, 0.9, 0.7], 'learned <wpe>': [1, 0.2, 0.1] });
    const doc = parseSvg(b['image/svg+xml']);
    const curves = [...doc.getElementsByTagName('path')].filter(p => p.getAttribute('fill') === 'none');
    expect(curves).toHaveLength(2);
    expect(b['image/svg+xml']).toContain('learned &lt;wpe&gt;');
    expect(b['text/plain'].split('\n')).toEqual([
      'Similarity of two positions by their distance',
      'sinusoidal: 0 -> 1.000, 1 -> 0.900, 2 -> 0.700',
      'learned <wpe>: 0 -> 1.000, 1 -> 0.200, 2 -> 0.100'
    ]);
    expect(() => linesBundle({ a: [1, 2] }, { x: [0, 1, 2] })).toThrow('curve "a" has 2 values, but there are 3 x values');
  });
});

describe('describe', () => {
  it('names each axis of a shape', () => {
    const x = tf.zeros([2, 5, 16]);
    expect(describeShape(x, 'B T C')).toBe('[2, 5, 16]  (B=2, T=5, C=16)');
    expect(describeShape([2, 4, 5, 4], '(B, nh, T, hs)')).toBe('[2, 4, 5, 4]  (B=2, nh=4, T=5, hs=4)');
    expect(() => describeShape(x, 'B nh T hs')).toThrow('describe: 4 names (B nh T hs) for a shape of 3 axes [2, 5, 16]');
    expect(describeShape([2, 1, 1, 7], 'B 1 1 T')).toBe('[2, 1, 1, 7]  (B=2, 1, 1, T=7)');
    expect(() => describeShape(x, 'B 4 C')).toThrow('describe: axis 1 has size 5, not 4 (shape [2, 5, 16])');
    x.dispose();
  });
});
