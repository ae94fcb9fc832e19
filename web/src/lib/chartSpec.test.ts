import { describe, expect, it } from 'vitest';
import { describeChart, parseChartSpec } from './chartSpec';

const spec = {
  kind: 'chart',
  version: 1,
  symbol: 'BTC/USDT',
  interval: '1h',
  candles: [
    { t: 1677628800000, o: '23140.48', h: '23150.77', l: '23128.52', c: '23142.31', v: '2.13' },
    { t: 1677632400000, o: '23142.31', h: '23160', l: '23100', c: '23155.1', v: '1.5' },
  ],
  overlays: [
    { indicator: 'sma', params: { period: 20 }, pane: 'price', lines: [{ output: 'sma', points: [{ t: 1677632400000, v: 23148.7 }] }] },
    { indicator: 'rsi', params: { period: 14 }, pane: 'separate', lines: [{ output: 'rsi', points: [] }] },
  ],
  markers: [{ t: 1677632400000, price: '23150', side: 'buy', label: 'bought 0.01' }],
};

describe('parseChartSpec', () => {
  it('reads a chart the copilot drew, keeping prices exact', () => {
    const parsed = parseChartSpec(spec);
    expect(parsed?.candles[1]).toEqual({
      openTime: 1677632400000,
      open: '23142.31',
      high: '23160',
      low: '23100',
      close: '23155.1',
      volume: '1.5',
      closed: true,
    });
    expect(parsed?.overlays.map((o) => o.pane)).toEqual(['price', 'separate']);
    expect(parsed?.markers[0]).toEqual({ t: 1677632400000, price: '23150', side: 'buy', label: 'bought 0.01' });
    expect(describeChart(parsed!)).toBe(
      'BTC/USDT 1h chart, 2 candles; last close 23155.1; with SMA(20), RSI(14); 1 of your trades marked',
    );
  });

  it('drops a malformed chart whole rather than drawing part of it', () => {
    const broken = [
      { ...spec, version: 2 },
      { ...spec, kind: 'table' },
      { ...spec, candles: [{ ...spec.candles[0], c: 1 }] },
      { ...spec, overlays: [{ ...spec.overlays[0], pane: 'floating' }] },
      { ...spec, overlays: [{ ...spec.overlays[0], lines: [{ output: 'sma', points: [{ t: 1, v: null }] }] }] },
      { ...spec, markers: [{ ...spec.markers[0], side: 'short' }] },
    ];
    for (const raw of broken) expect(parseChartSpec(raw)).toBeNull();
  });
});
