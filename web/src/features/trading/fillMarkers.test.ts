import { describe, expect, it } from 'vitest';
import { fillMarkers, type Fill } from './fillMarkers';

function fill(id: string, side: string, tradedAt: string, symbol = 'BTC/USDT'): Fill {
  return { id, order_id: 'o', venue: 'paper', symbol, trade_id: id, side, quantity: '0.01', price: '23142.31', commission: '0', commission_asset: 'USDT', traded_at: tradedAt };
}

const first = Date.parse('2026-11-28T12:00:00Z');
const range = { first, last: first + 9 * 60_000 };

describe('fill markers', () => {
  it('pins each fill of the symbol to its candle, in time order, buys below and sells above', () => {
    const markers = fillMarkers(
      [fill('b', 'sell', '2026-11-28T12:03:59.900Z'), fill('a', 'buy', '2026-11-28T12:01:30Z'), fill('x', 'buy', '2026-11-28T12:02:00Z', 'ETH/USDT')],
      'BTC/USDT',
      60_000,
      range,
    );
    expect(markers.map((m) => [m.id, m.time, m.position])).toEqual([
      ['a', first / 1000 + 60, 'belowBar'],
      ['b', first / 1000 + 180, 'aboveBar'],
    ]);
    expect(markers[0]!.text).toBe('Buy 0.01 @ 23,142.31');
  });

  it('drops fills outside the candles on the chart, and draws nothing without candles', () => {
    const fills = [fill('old', 'buy', '2026-11-28T11:59:59Z'), fill('new', 'buy', '2026-11-28T12:10:00Z')];
    expect(fillMarkers(fills, 'BTC/USDT', 60_000, range)).toEqual([]);
    expect(fillMarkers([fill('a', 'buy', '2026-11-28T12:01:00Z')], 'BTC/USDT', 60_000, null)).toEqual([]);
  });
});
