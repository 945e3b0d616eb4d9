import { describe, expect, it } from 'vitest';
import { plotHeight, trainingLayout, trainingTraces } from '../../extension/src/renderers/training-plot';
import { alignmentSpec, trainingSpec } from './fixtures';

const theme = { brand: '#1', warn: '#2', accent: '#3', fontMuted: '#4', font: '#5', grid: '#6', fontFamily: 'x' } as never;
type Axis = { domain?: number[]; range?: number[]; title?: { text: string } };

describe('training figure', () => {
  it('leaves out the traces of series without points until their first (plotly draws NaN paths otherwise), their panel on a fixed range', () => {
    const spec = trainingSpec(0, 12);
    spec.series[1] = { ...spec.series[1], step: [0], value: [4.5] }; // val loss at step 0, before training
    const names = trainingTraces(spec, theme).map(t => t.name);
    expect(names).toEqual(['val loss']);
    const layout = trainingLayout(spec, theme) as Record<string, Axis>;
    expect(layout.yaxis2.range).toEqual([0, 1]);
    expect(layout.yaxis.range).toBeUndefined(); // validation loss has a point: autorange
  });

  it('places the first panel across the width and the others two to a row below it, in the order they first appear', () => {
    const spec = alignmentSpec(120, 300);
    spec.series.push({ name: 'kl', panel: 'kl', step: [1], value: [0.01] });
    const layout = trainingLayout(spec, theme) as Record<string, Axis>;
    expect([1, 2, 3, 4, 5].map(i => layout[`yaxis${i === 1 ? '' : i}`].title!.text)).toEqual(['loss (nats/token)', 'learning rate', 'tokens/s', 'reward margin', 'kl']);
    expect([1, 2, 3, 4, 5].map(i => layout[`xaxis${i === 1 ? '' : i}`].domain)).toEqual([[0, 1], [0, 0.44], [0.56, 1], [0, 0.44], [0.56, 1]]);
    const y = (i: number) => layout[`yaxis${i}`].domain!;
    expect(y(2)).toEqual(y(3)); // one row
    expect(y(4)).toEqual(y(5));
    expect(y(4)[1]).toBeLessThan(y(2)[0]); // the next row, below
    expect(layout.height).toBe(plotHeight(5));
    expect(plotHeight(3)).toBe(440); // the four standard series: the figure as it always was
    expect(plotHeight(5)).toBeGreaterThan(plotHeight(3));
  });

  it('gives legend entries to series that share a panel; a series alone on a panel of its own name has none', () => {
    const spec = alignmentSpec(120, 300);
    spec.series.push({ name: 'chosen', panel: 'reward', step: [1], value: [0.5] }, { name: 'rejected', panel: 'reward', step: [1], value: [-0.5] });
    const legend = trainingTraces(spec, theme).map(t => [t.name, t.showlegend]);
    expect(legend).toEqual([
      ['train loss', true],
      ['val loss', true],
      ['learning rate', false],
      ['tokens/s', false],
      ['reward margin', false],
      ['chosen', true],
      ['rejected', true]
    ]);
  });

  it('colors the standard series from the theme and the others from the palette, each its own', () => {
    const spec = alignmentSpec(120, 300);
    spec.series.push({ name: 'kl', panel: 'kl', step: [1], value: [0.01] });
    const colors = trainingTraces(spec, theme).map(t => (t.line as { color: string }).color);
    expect(colors.slice(0, 4)).toEqual(['#1', '#2', '#3', '#4']);
    expect(new Set(colors).size).toBe(6);
  });
});
