/**
 * The chart boundary: the only place where decimal strings become numbers,
 * plus the plan for turning a new candle array into the cheapest chart calls.
 */
import type { CandlestickData, UTCTimestamp } from 'lightweight-charts';
import { decimalPlaces } from '../../lib/decimal';
import type { Candle } from '../../lib/protocol';

export function toChartBar(candle: Candle): CandlestickData<UTCTimestamp> {
  return {
    time: Math.floor(candle.openTime / 1000) as UTCTimestamp,
    open: Number(candle.open),
    high: Number(candle.high),
    low: Number(candle.low),
    close: Number(candle.close),
  };
}

/** Price-axis precision: the most decimals among the recent closes (0..8, default 2). */
export function pricePrecision(candles: readonly Candle[], sample = 50): number {
  if (candles.length === 0) return 2;
  let places = 0;
  for (const candle of candles.slice(-sample)) {
    places = Math.max(places, decimalPlaces(candle.close), decimalPlaces(candle.open));
  }
  return Math.min(places, 8);
}

export type ChartPlan =
  | { kind: 'none' }
  | { kind: 'reset' }
  | { kind: 'update'; updates: { candle: Candle; historical: boolean }[] };

/**
 * Compares what the chart currently shows (`drawn`) with the new state
 * (`next`). Candles are immutable and unchanged ones keep their identity, so
 * a reference comparison finds the first changed bar. Tail changes (forming
 * candle, new candle, a just-closed bar replaced) become `series.update`
 * calls; anything else (new symbol, trimmed history, inserted gap) resets.
 */
export function planChartUpdate(drawn: readonly Candle[], next: readonly Candle[]): ChartPlan {
  if (drawn === next) return { kind: 'none' };
  if (drawn.length === 0 || next.length < drawn.length) {
    return drawn.length === 0 && next.length === 0 ? { kind: 'none' } : { kind: 'reset' };
  }
  if (drawn[0]?.openTime !== next[0]?.openTime) return { kind: 'reset' };

  let first = 0;
  while (first < drawn.length && drawn[first] === next[first]) first += 1;
  if (first === next.length) return { kind: 'none' };

  const updates: { candle: Candle; historical: boolean }[] = [];
  for (let i = first; i < next.length; i += 1) {
    const candle = next[i] as Candle;
    if (i < drawn.length) {
      if ((drawn[i] as Candle).openTime !== candle.openTime) return { kind: 'reset' };
      if (drawn[i] === candle) continue;
    }
    updates.push({ candle, historical: i < drawn.length - 1 });
  }
  // Many historical rewrites are cheaper as one setData.
  if (updates.filter((u) => u.historical).length > 5) return { kind: 'reset' };
  return { kind: 'update', updates };
}
