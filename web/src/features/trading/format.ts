/**
 * How amounts read on screen. Every figure stays the exact decimal string the server sent; this
 * only groups digits and picks words, so what the user approves is what the server will check.
 */
import { compareDecimal, formatDecimal, isDecimalString } from '../../lib/decimal';
import type { Schemas } from '../../lib/client';

/** "1234.5" → "1,234.5"; a missing value reads as a dash. */
export function formatAmount(value: string | null | undefined, unit?: string): string {
  if (value === null || value === undefined || value === '') return '—';
  const text = formatDecimal(value);
  return unit ? `${text} ${unit}` : text;
}

export function baseOf(symbol: string): string {
  return symbol.split('/')[0] ?? symbol;
}

export function quoteOf(symbol: string): string {
  return symbol.split('/')[1] ?? '';
}

/** The size of an order as the user asked for it: base quantity, or a quote amount to spend. */
export function describeSize(
  order: Pick<Schemas['IntentPublic'], 'symbol' | 'quantity' | 'quote_quantity'>,
): string {
  if (order.quantity !== null) return formatAmount(order.quantity, baseOf(order.symbol));
  if (order.quote_quantity !== null) return `${formatAmount(order.quote_quantity, quoteOf(order.symbol))} worth`;
  return '—';
}

export function sideLabel(side: string): string {
  const lower = side.toLowerCase();
  return lower === 'buy' ? 'Buy' : lower === 'sell' ? 'Sell' : side;
}

export function orderTypeLabel(orderType: string): string {
  return orderType.toLowerCase() === 'limit' ? 'Limit' : orderType.toLowerCase() === 'market' ? 'Market' : orderType;
}

export type Tone = 'up' | 'down' | 'flat';

/** Gain, loss or nothing, read from the decimal string itself. */
export function toneOf(value: string | null | undefined): Tone {
  if (!isDecimalString(value)) return 'flat';
  const sign = compareDecimal(value, '0');
  return sign > 0 ? 'up' : sign < 0 ? 'down' : 'flat';
}

/** A signed amount: "+12.5 USDT", "-3 USDT", "0 USDT". */
export function formatSigned(value: string | null | undefined, unit?: string): string {
  if (!isDecimalString(value)) return formatAmount(value, unit);
  return `${toneOf(value) === 'up' ? '+' : ''}${formatAmount(value, unit)}`;
}

/** ISO time from the API, in the user's locale; the raw text when it does not parse. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}
