import { describe, expect, it } from 'vitest';
import { TRACE_NAMES, trainingLayout, trainingTraces } from '../../extension/src/renderers/training-plot';
import { trainingSpec } from './fixtures';

const theme = { brand: '#1', warn: '#2', accent: '#3', fontMuted: '#4', font: '#5', grid: '#6', fontFamily: 'x' } as never;
const empty = { step: [], value: [] };

describe('training figure at the first live update', () => {
  it('leaves out the small subplots\' traces until they have points (plotly draws NaN paths otherwise)', () => {
    const spec = trainingSpec(0, 12, { trainLoss: empty, learningRate: empty, throughput: empty, valLoss: { step: [0], value: [4.5] } });
    const names = trainingTraces(spec, theme).map(t => t.name);
    expect(names).toEqual([TRACE_NAMES.trainLoss, TRACE_NAMES.valLoss]);
    const layout = trainingLayout(spec, theme) as Record<string, { range?: number[] }>;
    expect(layout.yaxis2.range).toEqual([0, 1]);
    expect(layout.yaxis.range).toBeUndefined(); // validation loss has a point: autorange
  });

  it('shows all four curves once every series has points', () => {
    expect(trainingTraces(trainingSpec(120, 300), theme).map(t => t.name)).toEqual(Object.values(TRACE_NAMES));
  });
});
