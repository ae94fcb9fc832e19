import { describe, expect, it } from 'vitest';
import type { Candle } from '../../lib/protocol';
import { planChartUpdate, pricePrecision, toChartBar } from './chartBars';

const c = (openTime: number, close = '1', closed = true): Candle => ({
  openTime,
  open: '1',
  high: '2',
  low: '0.5',
  close,
  volume: '1',
  closed,
});

describe('toChartBar', () => {
  it('converts ms to seconds and decimal strings to numbers', () => {
    expect(
      toChartBar({
        openTime: 1_677_628_800_000,
        open: '23140.48',
        high: '23150.77',
        low: '23128.52',
        close: '23142.31',
        volume: '2.131777',
        closed: true,
      }),
    ).toEqual({ time: 1_677_628_800, open: 23140.48, high: 23150.77, low: 23128.52, close: 23142.31 });
  });
});

describe('pricePrecision', () => {
  it('uses the decimals the server sends, capped at 8', () => {
    expect(pricePrecision([])).toBe(2);
    expect(pricePrecision([c(0, '23142.31')])).toBe(2);
    expect(pricePrecision([c(0, '0.123456789012')])).toBe(8);
    expect(pricePrecision([{ ...c(0, '100'), open: '100' }])).toBe(0);
  });
});

describe('planChartUpdate', () => {
  const a = c(0);
  const b = c(60);
  const d = c(120, '1', false);

  it('does nothing when nothing changed', () => {
    const arr = [a, b];
    expect(planChartUpdate(arr, arr)).toEqual({ kind: 'none' });
    expect(planChartUpdate([a, b], [a, b])).toEqual({ kind: 'none' });
    expect(planChartUpdate([], [])).toEqual({ kind: 'none' });
  });

  it('updates the last bar in place', () => {
    const d2 = { ...d, close: '3' };
    expect(planChartUpdate([a, b, d], [a, b, d2])).toEqual({ kind: 'update', updates: [{ candle: d2, historical: false }] });
  });

  it('appends new bars', () => {
    const e = c(180);
    expect(planChartUpdate([a, b], [a, b, e])).toEqual({ kind: 'update', updates: [{ candle: e, historical: false }] });
  });

  it('replaces a just-closed bar behind the forming one as a historical update', () => {
    const b2 = { ...b, close: '9' };
    expect(planChartUpdate([a, b, d], [a, b2, d])).toEqual({ kind: 'update', updates: [{ candle: b2, historical: true }] });
  });

  it('resets for a first draw, a new series, trimmed history or an inserted bar', () => {
    expect(planChartUpdate([], [a])).toEqual({ kind: 'reset' });
    expect(planChartUpdate([a, b], [])).toEqual({ kind: 'reset' });
    expect(planChartUpdate([a, b], [b, d])).toEqual({ kind: 'reset' });
    expect(planChartUpdate([a, d], [a, b, d])).toEqual({ kind: 'reset' });
  });
});
