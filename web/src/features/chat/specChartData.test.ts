import { describe, expect, it } from 'vitest';
import type { ChartSpec } from '../../lib/chartSpec';
import { overlaySeries, tradeMarkers } from './specChartData';

const HOUR = 3_600_000;
const T0 = 1677628800000;

function spec(partial: Partial<ChartSpec>): ChartSpec {
  const candles = [0, 1, 2].map((i) => ({
    openTime: T0 + i * HOUR,
    open: '1',
    high: '2',
    low: '0.5',
    close: '1.5',
    volume: '3',
    closed: true,
  }));
  return { symbol: 'BTC/USDT', interval: '1h', candles, overlays: [], markers: [], ...partial };
}

describe('spec chart data', () => {
  it('puts price overlays on the candles and gives each other indicator its own pane', () => {
    const series = overlaySeries(
      spec({
        overlays: [
          { indicator: 'sma', params: { period: 20 }, pane: 'price', lines: [{ output: 'sma', points: [{ t: T0, v: 1.25 }] }] },
          { indicator: 'rsi', params: { period: 14 }, pane: 'separate', lines: [{ output: 'rsi', points: [] }] },
          {
            indicator: 'macd',
            params: { fast: 12, slow: 26, signal: 9 },
            pane: 'separate',
            lines: [
              { output: 'macd', points: [] },
              { output: 'signal', points: [] },
            ],
          },
        ],
      }),
    );
    expect(series.map((s) => [s.title, s.pane])).toEqual([
      ['SMA(20)', 0],
      ['RSI(14)', 1],
      ['MACD', 2],
      ['MACD signal', 2],
    ]);
    expect(series[0]?.points).toEqual([{ time: T0 / 1000, value: 1.25 }]);
  });

  it('snaps trade markers to the candle they happened in and leaves out those outside the chart', () => {
    const markers = tradeMarkers(
      spec({
        markers: [
          { t: T0 + 2 * HOUR + 59_000, price: '1.4', side: 'sell', label: 'sold 0.1' },
          { t: T0 + 30 * 60_000, price: '1.1', side: 'buy', label: 'bought 0.1' },
          { t: T0 - 1, price: '1', side: 'buy', label: 'before the chart' },
        ],
      }),
    );
    expect(markers.map((m) => [m.time, m.position, m.text])).toEqual([
      [T0 / 1000, 'belowBar', 'bought 0.1'],
      [(T0 + 2 * HOUR) / 1000, 'aboveBar', 'sold 0.1'],
    ]);
  });
});
