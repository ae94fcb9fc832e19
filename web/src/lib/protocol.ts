/**
 * Wire protocol of the CryptoPulse gateway: domain types plus runtime
 * validation of everything that arrives over the network. Nothing here
 * throws on bad input — parsers return `null` and the caller drops the
 * message.
 *
 * Decimal fields stay strings (see lib/decimal.ts).
 */
import { isDecimalString } from './decimal';

export interface Candle {
  /** Bucket start, ms since epoch (UTC). */
  openTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  closed: boolean;
}

export interface Trade {
  symbol: string;
  tradeId: string;
  price: string;
  quantity: string;
  /** Trade time, ms since epoch. */
  ts: number;
}

export type ServerMessage =
  | ({ type: 'trade' } & Trade)
  | ({ type: 'candle'; symbol: string; interval: string } & Candle)
  | { type: 'subscribed'; symbol: string; interval: string }
  | { type: 'error'; code: string; message: string }
  | { type: 'ping' }
  | { type: 'pong' }
  | { type: 'unsubscribed' };

export type ClientMessage =
  | { action: 'subscribe'; symbol: string; interval: string }
  | { action: 'unsubscribe' }
  | { action: 'ping' };

type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isTimestamp(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Validates a candle object in the wire format (snake_case, string decimals). */
export function parseCandle(raw: unknown): Candle | null {
  if (!isRecord(raw)) return null;
  const { open_time, open, high, low, close, volume, closed } = raw;
  if (!isTimestamp(open_time)) return null;
  if (![open, high, low, close, volume].every(isDecimalString)) return null;
  if (typeof closed !== 'boolean') return null;
  return {
    openTime: open_time,
    open: open as string,
    high: high as string,
    low: low as string,
    close: close as string,
    volume: volume as string,
    closed,
  };
}

/** Parses one WebSocket frame. Returns null for anything malformed or unknown. */
export function parseServerMessage(data: unknown): ServerMessage | null {
  let raw: unknown = data;
  if (typeof data === 'string') {
    try {
      raw = JSON.parse(data);
    } catch {
      return null;
    }
  }
  if (!isRecord(raw) || typeof raw.type !== 'string') return null;

  switch (raw.type) {
    case 'trade': {
      const { symbol, trade_id, price, quantity, ts } = raw;
      if (!isNonEmptyString(symbol) || !isTimestamp(ts)) return null;
      if (!isDecimalString(price) || !isDecimalString(quantity)) return null;
      // trade ids are documented as strings; tolerate integer ids too.
      const tradeId =
        typeof trade_id === 'string' ? trade_id : Number.isSafeInteger(trade_id) ? String(trade_id) : null;
      if (tradeId === null) return null;
      return { type: 'trade', symbol, tradeId, price, quantity, ts };
    }
    case 'candle': {
      const { symbol, interval } = raw;
      if (!isNonEmptyString(symbol) || !isNonEmptyString(interval)) return null;
      const candle = parseCandle(raw);
      return candle ? { type: 'candle', symbol, interval, ...candle } : null;
    }
    case 'subscribed': {
      const { symbol, interval } = raw;
      if (!isNonEmptyString(symbol) || !isNonEmptyString(interval)) return null;
      return { type: 'subscribed', symbol, interval };
    }
    case 'error': {
      const { code, message } = raw;
      if (!isNonEmptyString(code)) return null;
      return { type: 'error', code, message: typeof message === 'string' ? message : '' };
    }
    case 'ping':
    case 'pong':
    case 'unsubscribed':
      return { type: raw.type };
    default:
      return null;
  }
}
