/**
 * The chart specification the copilot sends inside a chat reply (shared/messages/charts.py),
 * validated like every other wire message: a malformed one is dropped, never half-drawn.
 */
import { isDecimalString } from './decimal';
import { isRecord, type Candle } from './protocol';

export interface ChartLine {
  output: string;
  points: { t: number; v: number }[];
}

export interface ChartOverlay {
  indicator: string;
  params: Record<string, number>;
  pane: 'price' | 'separate';
  lines: ChartLine[];
}

export interface ChartMarker {
  t: number;
  price: string;
  side: 'buy' | 'sell';
  label: string;
}

export interface ChartSpec {
  symbol: string;
  interval: string;
  candles: Candle[];
  overlays: ChartOverlay[];
  markers: ChartMarker[];
}

const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function all<T>(raw: unknown, parse: (item: unknown) => T | null): T[] | null {
  if (!Array.isArray(raw)) return null;
  const out: T[] = [];
  for (const item of raw) {
    const parsed = parse(item);
    if (parsed === null) return null;
    out.push(parsed);
  }
  return out;
}

function parseCandle(raw: unknown): Candle | null {
  if (!isRecord(raw) || !isMs(raw.t)) return null;
  const { o, h, l, c, v } = raw;
  if (![o, h, l, c, v].every(isDecimalString)) return null;
  return { openTime: raw.t, open: o as string, high: h as string, low: l as string, close: c as string, volume: v as string, closed: true };
}

function parseLine(raw: unknown): ChartLine | null {
  if (!isRecord(raw) || typeof raw.output !== 'string') return null;
  const points = all(raw.points, (p) =>
    isRecord(p) && isMs(p.t) && typeof p.v === 'number' && Number.isFinite(p.v) ? { t: p.t, v: p.v } : null,
  );
  return points ? { output: raw.output, points } : null;
}

function parseOverlay(raw: unknown): ChartOverlay | null {
  if (!isRecord(raw) || typeof raw.indicator !== 'string') return null;
  if (raw.pane !== 'price' && raw.pane !== 'separate') return null;
  if (!isRecord(raw.params) || !Object.values(raw.params).every((v) => typeof v === 'number')) return null;
  const lines = all(raw.lines, parseLine);
  if (!lines || lines.length === 0) return null;
  return { indicator: raw.indicator, params: raw.params as Record<string, number>, pane: raw.pane, lines };
}

function parseMarker(raw: unknown): ChartMarker | null {
  if (!isRecord(raw) || !isMs(raw.t) || !isDecimalString(raw.price)) return null;
  if ((raw.side !== 'buy' && raw.side !== 'sell') || typeof raw.label !== 'string') return null;
  return { t: raw.t, price: raw.price, side: raw.side, label: raw.label };
}

export function parseChartSpec(raw: unknown): ChartSpec | null {
  if (!isRecord(raw) || raw.kind !== 'chart' || raw.version !== 1) return null;
  if (typeof raw.symbol !== 'string' || typeof raw.interval !== 'string') return null;
  const candles = all(raw.candles, parseCandle);
  const overlays = all(raw.overlays ?? [], parseOverlay);
  const markers = all(raw.markers ?? [], parseMarker);
  if (!candles || !overlays || !markers) return null;
  return { symbol: raw.symbol, interval: raw.interval, candles, overlays, markers };
}

/** A short text alternative for screen readers: what the chart shows. */
export function describeChart(spec: ChartSpec): string {
  const last = spec.candles[spec.candles.length - 1];
  const overlays = spec.overlays.map((o) => `${o.indicator.toUpperCase()}${o.params.period ? `(${o.params.period})` : ''}`);
  const parts = [`${spec.symbol} ${spec.interval} chart, ${spec.candles.length} candles`];
  if (last) parts.push(`last close ${last.close}`);
  if (overlays.length) parts.push(`with ${overlays.join(', ')}`);
  if (spec.markers.length) parts.push(`${spec.markers.length} of your trades marked`);
  return parts.join('; ');
}
