/**
 * The static lines chart on a log x axis: points evenly spaced for x growing by a constant factor,
 * ticks at the data's x values, and x <= 0 refused with the bad value named; reference curves dashed.
 */
import { describe, expect, it } from 'vitest';
import { linesSvg } from '../../kernel-lib/src/viz/lines';

/** The x coordinates of the first curve's path ("M x,y L x,y ..."). */
const pathXs = (svg: string) => [...svg.match(/<path d="([^"]+)"/)![1].matchAll(/[ML]([\d.]+),/g)].map(m => Number(m[1]));

describe('linesSvg with xLog', () => {
  const series = { pretrained: [0.4, 0.5, 0.6, 0.7], random: [0.3, 0.4, 0.5, 0.7] };

  it('spaces x values that grow by a constant factor evenly, and labels them', () => {
    const svg = linesSvg(series, { x: [8, 32, 128, 512], xLog: true });
    const xs = pathXs(svg);
    const gaps = xs.slice(1).map((x, i) => x - xs[i]);
    for (const g of gaps) expect(g).toBeCloseTo(gaps[0], 1);
    for (const label of ['8', '32', '128', '512']) expect(svg).toContain(`>${label}</text>`);
  });

  it('keeps a linear axis by default: 8 to 32 takes a sixteenth of the width that 128 to 512 does', () => {
    const xs = pathXs(linesSvg(series, { x: [8, 32, 128, 512] }));
    expect((xs[1] - xs[0]) / (xs[3] - xs[2])).toBeCloseTo(24 / 384, 2);
  });

  it('refuses an x that is not above 0, naming it', () => {
    expect(() => linesSvg(series, { x: [0, 32, 128, 512], xLog: true })).toThrow('a log x axis needs every x > 0, got x[0] = 0');
  });
});

describe('linesSvg with dashed curves', () => {
  const series = { model: [0.1, 0.5, 0.7], 'perfect learner': [0.1, 0.6, 0.8] };

  it('dashes the named curves and their legend marks only', () => {
    const svg = linesSvg(series, { dashed: ['perfect learner'] });
    const paths = [...svg.matchAll(/<path [^>]*>/g)].map(m => m[0]);
    expect(paths).toHaveLength(2);
    expect(paths[0]).not.toContain('stroke-dasharray');
    expect(paths[1]).toContain('stroke-dasharray');
    expect(linesSvg(series)).not.toContain('stroke-dasharray="5 3"');
  });

  it('refuses a name that is not a curve, listing the curves', () => {
    expect(() => linesSvg(series, { dashed: ['chance'] })).toThrow('lines: dashed names "chance", which are not curves; the curves are "model", "perfect learner"');
  });
});
