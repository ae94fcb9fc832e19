/**
 * The user's fills as chart markers: one per fill on the chart's symbol, placed on the candle
 * that contains it (lightweight-charts pins markers to bar times), buys below, sells above.
 */
import type { SeriesMarker, UTCTimestamp } from 'lightweight-charts';
import type { Schemas } from '../../lib/client';
import { bucketStart } from '../market/candles';
import { formatAmount } from './format';

export type Fill = Schemas['FillPublic'];

export const MARKER_COLORS = { buy: '#26a69a', sell: '#ef5350' } as const;

export function fillMarkers(
  fills: readonly Fill[],
  symbol: string,
  intervalMs: number,
  range: { first: number; last: number } | null,
): SeriesMarker<UTCTimestamp>[] {
  if (range === null) return [];
  const markers: { at: number; marker: SeriesMarker<UTCTimestamp> }[] = [];
  for (const fill of fills) {
    if (fill.symbol !== symbol) continue;
    const ts = Date.parse(fill.traded_at);
    if (Number.isNaN(ts)) continue;
    const open = bucketStart(ts, intervalMs);
    if (open < range.first || open > range.last) continue; // no bar to pin it to
    const buy = fill.side.toLowerCase() === 'buy';
    markers.push({
      at: ts,
      marker: {
        time: Math.floor(open / 1000) as UTCTimestamp,
        position: buy ? 'belowBar' : 'aboveBar',
        shape: buy ? 'arrowUp' : 'arrowDown',
        color: buy ? MARKER_COLORS.buy : MARKER_COLORS.sell,
        text: `${buy ? 'Buy' : 'Sell'} ${formatAmount(fill.quantity)} @ ${formatAmount(fill.price)}`,
        id: fill.id,
      },
    });
  }
  // The chart wants markers in time order.
  return markers.sort((a, b) => a.at - b.at).map((m) => m.marker);
}
