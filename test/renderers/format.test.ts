import { describe, expect, it } from 'vitest';
import { formatCount, formatDuration, formatValue, formatWeight } from '../../extension/src/renderers/format';

describe('formatting', () => {
  it('writes durations short enough for a status line', () => {
    expect([0, 42.4, 60, 185, 3600, 3725, -1, NaN].map(formatDuration)).toEqual(['0s', '42s', '1m00s', '3m05s', '1h00m', '1h02m', '?', '?']);
  });

  it('writes counts, series values and weights', () => {
    expect(formatCount(16383.6)).toBe('16,384');
    expect([1.23456, -0.42, 0, 0.0003, 16383.6, null].map(formatValue)).toEqual(['1.235', '-0.420', '0.000', '3.00e-4', '16,384', '?']);
    expect([0, 1, 0.1234, 0.0004, 0.00002].map(formatWeight)).toEqual(['0.000', '1.000', '0.123', '4.0e-4', '2.0e-5']);
  });
});
