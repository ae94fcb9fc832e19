import { describe, expect, it } from 'vitest';
import type { Candle } from '../../lib/protocol';
import { applyCandle, applyTrade, bucketStart, createCandleState, intervalToMs } from './candles';

const MIN = 60_000;
const T0 = 1_677_628_800_000; // 2023-03-01T00:00:00Z, a minute (and day) boundary

function candle(openTime: number, o: string, h: string, l: string, c: string, v: string, closed: boolean): Candle {
  return { openTime, open: o, high: h, low: l, close: c, volume: v, closed };
}

let nextId = 1;
function trade(ts: number, price: string, quantity = '0.1', tradeId = String(nextId++)) {
  return { tradeId, price, quantity, ts };
}

describe('intervalToMs / bucketStart', () => {
  it('parses the supported intervals', () => {
    expect(intervalToMs('1m')).toBe(60_000);
    expect(intervalToMs('5m')).toBe(300_000);
    expect(intervalToMs('1h')).toBe(3_600_000);
    expect(intervalToMs('1d')).toBe(86_400_000);
    expect(intervalToMs('1w')).toBe(604_800_000);
    expect(intervalToMs('1M')).toBeNull();
    expect(intervalToMs('0m')).toBeNull();
    expect(intervalToMs('m')).toBeNull();
  });

  it('aligns buckets to UTC boundaries', () => {
    expect(bucketStart(T0 + 59_999, MIN)).toBe(T0);
    expect(bucketStart(T0 + 60_000, MIN)).toBe(T0 + MIN);
    expect(bucketStart(T0 + 7 * MIN + 5, 5 * MIN)).toBe(T0 + 5 * MIN);
    expect(bucketStart(Date.UTC(2023, 2, 1, 13, 45), 86_400_000)).toBe(Date.UTC(2023, 2, 1));
    expect(bucketStart(Date.UTC(2023, 2, 1, 13, 45), 3_600_000)).toBe(Date.UTC(2023, 2, 1, 13));
  });

  it('starts weekly buckets on Monday 00:00 UTC', () => {
    // 2023-03-01 was a Wednesday; that week started Monday 2023-02-27.
    expect(bucketStart(Date.UTC(2023, 2, 1, 12), 604_800_000)).toBe(Date.UTC(2023, 1, 27));
  });
});

describe('applyTrade', () => {
  const history = [
    candle(T0 - MIN, '100', '110', '95', '105', '3', true),
    candle(T0, '105', '108', '104', '106', '1.5', false),
  ];
  const base = createCandleState(MIN, history);

  it('updates high/low/close/volume of the forming candle for a trade in the same bucket', () => {
    const up = applyTrade(base, trade(T0 + 10_000, '109.5', '0.25'));
    expect(up.candles).toHaveLength(2);
    expect(up.candles[1]).toEqual(candle(T0, '105', '109.5', '104', '109.5', '1.75', false));

    const down = applyTrade(up, trade(T0 + 20_000, '103.25', '0.75'));
    expect(down.candles[1]).toEqual(candle(T0, '105', '109.5', '103.25', '103.25', '2.50', false));
  });

  it('keeps high and low when the trade is inside the range', () => {
    const next = applyTrade(base, trade(T0 + 1_000, '107'));
    expect(next.candles[1]).toMatchObject({ high: '108', low: '104', close: '107' });
  });

  it('starts a new candle at the trade price for a trade in a later bucket', () => {
    const next = applyTrade(base, trade(T0 + MIN + 1, '111', '0.3'));
    expect(next.candles).toHaveLength(3);
    expect(next.candles[2]).toEqual(candle(T0 + MIN, '111', '111', '111', '111', '0.3', false));
    // the previous forming candle is left for the server's closed candle to finalise
    expect(next.candles[1]).toBe(history[1]);
  });

  it('skips empty buckets when a trade arrives after a quiet period', () => {
    const next = applyTrade(base, trade(T0 + 5 * MIN + 30_000, '99'));
    expect(next.candles.map((c) => c.openTime)).toEqual([T0 - MIN, T0, T0 + 5 * MIN]);
  });

  it('ignores trades from an older bucket', () => {
    expect(applyTrade(base, trade(T0 - 1, '1000'))).toBe(base);
    expect(applyTrade(base, trade(T0 - 10 * MIN, '1'))).toBe(base);
  });

  it('does not let an out-of-order (older) trade in the same bucket move the close', () => {
    const a = applyTrade(base, trade(T0 + 30_000, '107'));
    const b = applyTrade(a, trade(T0 + 10_000, '104.5', '1'));
    expect(b.candles[1]).toMatchObject({ close: '107', low: '104', high: '108', volume: '2.6' });
    const c = applyTrade(b, trade(T0 + 5_000, '120', '1'));
    expect(c.candles[1]).toMatchObject({ close: '107', high: '120' });
  });

  it('ignores a duplicate trade id', () => {
    const t = trade(T0 + 1_000, '107', '1');
    const once = applyTrade(base, t);
    expect(applyTrade(once, t)).toBe(once);
  });

  it('ignores trades for a candle the server already closed', () => {
    const closed = createCandleState(MIN, [candle(T0, '105', '108', '104', '106', '1.5', true)]);
    expect(applyTrade(closed, trade(T0 + 59_000, '200'))).toBe(closed);
  });

  it('builds the first candle from a trade when there is no history', () => {
    const next = applyTrade(createCandleState(MIN), trade(T0 + 42, '1.5', '2'));
    expect(next.candles).toEqual([candle(T0, '1.5', '1.5', '1.5', '1.5', '2', false)]);
  });

  it('keeps unchanged candles by identity and does not mutate the input', () => {
    const snapshot = JSON.stringify(base);
    const next = applyTrade(base, trade(T0 + 1, '107'));
    expect(next.candles[0]).toBe(base.candles[0]);
    expect(JSON.stringify(base)).toBe(snapshot);
  });

  it('trims the oldest bars beyond maxBars', () => {
    const next = applyTrade(base, trade(T0 + MIN, '1'), 2);
    expect(next.candles.map((c) => c.openTime)).toEqual([T0, T0 + MIN]);
  });
});

describe('applyCandle (closed candles from the server)', () => {
  const forming = candle(T0, '105', '108', '104', '106', '1.5', false);
  const base = createCandleState(MIN, [candle(T0 - MIN, '100', '110', '95', '105', '3', true), forming]);

  it('replaces the bar with the same open_time', () => {
    const final = candle(T0, '105', '108.5', '103', '107', '2.2', true);
    const next = applyCandle(base, final);
    expect(next.candles).toHaveLength(2);
    expect(next.candles[1]).toBe(final);
  });

  it('replaces a bar that is no longer the last one', () => {
    const withNew = applyTrade(base, trade(T0 + MIN + 5, '107.5'));
    const final = candle(T0, '105', '108.5', '103', '107', '2.2', true);
    const next = applyCandle(withNew, final);
    expect(next.candles.map((c) => c.openTime)).toEqual([T0 - MIN, T0, T0 + MIN]);
    expect(next.candles[1]).toBe(final);
    expect(next.candles[2]).toBe(withNew.candles[2]);
    // later trades keep updating the new forming candle
    const after = applyTrade(next, trade(T0 + MIN + 10, '108'));
    expect(after.candles[2]).toMatchObject({ close: '108', high: '108' });
  });

  it('stops trades from changing a bar once it is closed', () => {
    const closed = applyCandle(base, candle(T0, '105', '108', '104', '106', '1.5', true));
    expect(applyTrade(closed, trade(T0 + 59_999, '1'))).toBe(closed);
  });

  it('appends a closed candle newer than everything held', () => {
    const c = candle(T0 + MIN, '106', '107', '105', '106.5', '4', true);
    const next = applyCandle(base, c);
    expect(next.candles[2]).toBe(c);
  });

  it('inserts a missing bar in order and ignores bars older than the window', () => {
    const gappy = createCandleState(MIN, [candle(T0 - 2 * MIN, '1', '1', '1', '1', '1', true), forming]);
    const missing = candle(T0 - MIN, '2', '2', '2', '2', '1', true);
    expect(applyCandle(gappy, missing).candles.map((c) => c.openTime)).toEqual([T0 - 2 * MIN, T0 - MIN, T0]);
    expect(applyCandle(gappy, candle(T0 - 60 * MIN, '2', '2', '2', '2', '1', true))).toBe(gappy);
  });

  it('never lets a forming update overwrite a closed bar, and ignores identical repeats', () => {
    const closedBar = candle(T0 - MIN, '100', '110', '95', '105', '3', true);
    expect(applyCandle(base, { ...closedBar, close: '1', closed: false })).toBe(base);
    expect(applyCandle(base, { ...closedBar })).toBe(base);
  });

  it('ignores candles that are not on the interval grid', () => {
    expect(applyCandle(base, candle(T0 + 30_000, '1', '1', '1', '1', '1', true))).toBe(base);
  });
});
