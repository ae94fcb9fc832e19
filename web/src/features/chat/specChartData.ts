/**
 * A chart specification turned into what lightweight-charts draws: candle bars, one line per
 * indicator output (on the price pane or a pane of its own), and trade markers snapped to the
 * candle they happened in (the library places markers on bars).
 */
import type { LineData, SeriesMarker, UTCTimestamp } from 'lightweight-charts';
import type { ChartMarker, ChartSpec } from '../../lib/chartSpec';

export interface OverlaySeries {
  title: string;
  pane: number;
  points: LineData<UTCTimestamp>[];
}

const seconds = (ms: number) => Math.floor(ms / 1000) as UTCTimestamp;

/** One series per indicator output; each `separate` indicator gets the next pane below the price. */
export function overlaySeries(spec: ChartSpec): OverlaySeries[] {
  const out: OverlaySeries[] = [];
  let nextPane = 1;
  for (const overlay of spec.overlays) {
    const pane = overlay.pane === 'price' ? 0 : nextPane++;
    const period = overlay.params.period !== undefined ? `(${overlay.params.period})` : '';
    for (const line of overlay.lines) {
      const name = line.output === overlay.indicator ? '' : ` ${line.output}`;
      out.push({
        title: `${overlay.indicator.toUpperCase()}${period}${name}`,
        pane,
        points: line.points.map((p) => ({ time: seconds(p.t), value: p.v })),
      });
    }
  }
  return out;
}

/** The open time of the candle a moment falls in, or null when it is outside the drawn candles. */
function barOf(openTimes: readonly number[], t: number): number | null {
  const first = openTimes[0];
  if (first === undefined || t < first) return null;
  let lo = 0;
  let hi = openTimes.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((openTimes[mid] ?? Infinity) <= t) lo = mid;
    else hi = mid - 1;
  }
  return openTimes[lo] ?? null;
}

export function tradeMarkers(spec: ChartSpec): SeriesMarker<UTCTimestamp>[] {
  const openTimes = spec.candles.map((c) => c.openTime);
  const markers: SeriesMarker<UTCTimestamp>[] = [];
  for (const marker of spec.markers as ChartMarker[]) {
    const bar = barOf(openTimes, marker.t);
    if (bar === null) continue;
    const buy = marker.side === 'buy';
    markers.push({
      time: seconds(bar),
      position: buy ? 'belowBar' : 'aboveBar',
      shape: buy ? 'arrowUp' : 'arrowDown',
      color: buy ? '#26a69a' : '#ef5350',
      text: marker.label,
    });
  }
  return markers.sort((a, b) => a.time - b.time);
}
