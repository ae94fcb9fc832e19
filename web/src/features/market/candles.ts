/**
 * Pure candle-series logic: keeps the forming (last) candle up to date from
 * trades and merges closed candles pushed by the server.
 *
 * Rules
 *  - Buckets are `intervalMs` long and UTC-aligned (epoch multiples; weeks
 *    start on Monday 00:00 UTC like the exchanges).
 *  - Trade in the last candle's bucket: extend high/low, add volume, move
 *    close (unless the trade is older than the newest one already applied).
 *  - Trade in a later bucket: start a new candle at the trade price.
 *  - Trade in an earlier bucket, for a candle already closed, or a duplicate
 *    trade id: ignored.
 *  - Closed candle from the server: authoritative — replaces the bar with the
 *    same open_time (or is inserted/appended in order).
 *
 * All functions return a new state (or the same object when nothing
 * changed); unchanged candles keep their identity so the chart layer can
 * diff by reference. Decimals stay strings.
 */
import { addDecimal, compareDecimal, maxDecimal, minDecimal } from '../../lib/decimal';
import type { Candle, Trade } from '../../lib/protocol';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** 1970-01-01 was a Thursday; the first Monday 00:00 UTC is 4 days later. */
const WEEK_OFFSET = 4 * DAY;

const UNIT_MS: Record<string, number> = { s: SECOND, m: MINUTE, h: HOUR, d: DAY, w: WEEK };

/** "1m" → 60000, "4h" → 14400000. Null for anything unsupported (e.g. months). */
export function intervalToMs(interval: string): number | null {
  const match = /^(\d{1,4})([smhdw])$/.exec(interval);
  if (!match) return null;
  const n = Number(match[1]);
  const unit = UNIT_MS[match[2] as string];
  return n > 0 && unit !== undefined ? n * unit : null;
}

/** Start of the UTC-aligned bucket containing `ts`. */
export function bucketStart(ts: number, intervalMs: number): number {
  const offset = intervalMs % WEEK === 0 ? WEEK_OFFSET : 0;
  return Math.floor((ts - offset) / intervalMs) * intervalMs + offset;
}

export interface CandleState {
  intervalMs: number;
  /** Ascending by openTime, unique openTimes. */
  candles: readonly Candle[];
  /** Time of the newest trade folded into the last candle (null: none yet). */
  lastTradeTs: number | null;
  /** Trade ids already folded into the last candle (bounded), to drop duplicates. */
  recentTradeIds: readonly string[];
}

export const DEFAULT_MAX_BARS = 5_000;
const MAX_RECENT_TRADE_IDS = 512;

export function createCandleState(intervalMs: number, candles: readonly Candle[] = []): CandleState {
  return { intervalMs, candles, lastTradeTs: null, recentTradeIds: [] };
}

function trim(candles: Candle[], maxBars: number): Candle[] {
  return candles.length > maxBars ? candles.slice(candles.length - maxBars) : candles;
}

export function applyTrade(
  state: CandleState,
  trade: Pick<Trade, 'tradeId' | 'price' | 'quantity' | 'ts'>,
  maxBars: number = DEFAULT_MAX_BARS,
): CandleState {
  const bucket = bucketStart(trade.ts, state.intervalMs);
  const last = state.candles[state.candles.length - 1];

  if (!last || bucket > last.openTime) {
    const candle: Candle = {
      openTime: bucket,
      open: trade.price,
      high: trade.price,
      low: trade.price,
      close: trade.price,
      volume: trade.quantity,
      closed: false,
    };
    return {
      ...state,
      candles: trim([...state.candles, candle], maxBars),
      lastTradeTs: trade.ts,
      recentTradeIds: [trade.tradeId],
    };
  }

  // Older bucket, or the bucket is already final.
  if (bucket < last.openTime || last.closed) return state;
  if (state.recentTradeIds.includes(trade.tradeId)) return state;

  const isNewest = state.lastTradeTs === null || trade.ts >= state.lastTradeTs;
  const updated: Candle = {
    ...last,
    high: maxDecimal(last.high, trade.price),
    low: minDecimal(last.low, trade.price),
    close: isNewest ? trade.price : last.close,
    volume: addDecimal(last.volume, trade.quantity),
  };
  const ids = [...state.recentTradeIds, trade.tradeId];
  return {
    ...state,
    candles: [...state.candles.slice(0, -1), updated],
    lastTradeTs: isNewest ? trade.ts : state.lastTradeTs,
    recentTradeIds: ids.length > MAX_RECENT_TRADE_IDS ? ids.slice(-MAX_RECENT_TRADE_IDS) : ids,
  };
}

/** Merges a candle pushed by the server (normally `closed: true`). */
export function applyCandle(state: CandleState, candle: Candle, maxBars: number = DEFAULT_MAX_BARS): CandleState {
  const { candles } = state;
  if (candle.openTime !== bucketStart(candle.openTime, state.intervalMs)) return state; // not on this interval's grid

  const last = candles[candles.length - 1];
  if (!last || candle.openTime > last.openTime) {
    return {
      ...state,
      candles: trim([...candles, candle], maxBars),
      // Trades seen so far belonged to an older bucket.
      lastTradeTs: candle.closed ? null : state.lastTradeTs,
      recentTradeIds: [],
    };
  }

  const index = findIndex(candles, candle.openTime);
  if (index >= 0) {
    const existing = candles[index] as Candle;
    // A still-forming update must never overwrite a final bar.
    if (existing.closed && !candle.closed) return state;
    if (sameCandle(existing, candle)) return state;
    const next = candles.slice();
    next[index] = candle;
    return { ...state, candles: next };
  }

  // A bar we did not have (gap). Older than everything we hold: not worth drawing.
  const first = candles[0] as Candle;
  if (candle.openTime < first.openTime) return state;
  const insertAt = -index - 1;
  return { ...state, candles: [...candles.slice(0, insertAt), candle, ...candles.slice(insertAt)] };
}

/** Binary search by openTime: the index, or -(insertion point) - 1. */
function findIndex(candles: readonly Candle[], openTime: number): number {
  let lo = 0;
  let hi = candles.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const t = (candles[mid] as Candle).openTime;
    if (t === openTime) return mid;
    if (t < openTime) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

function sameCandle(a: Candle, b: Candle): boolean {
  return (
    a.openTime === b.openTime &&
    a.closed === b.closed &&
    compareDecimal(a.open, b.open) === 0 &&
    compareDecimal(a.high, b.high) === 0 &&
    compareDecimal(a.low, b.low) === 0 &&
    compareDecimal(a.close, b.close) === 0 &&
    compareDecimal(a.volume, b.volume) === 0
  );
}
