/**
 * Wire protocol of the CryptoPulse gateway: domain types plus runtime
 * validation of everything that arrives over the network. Nothing here
 * throws on bad input — parsers return `null` and the caller drops the
 * message.
 *
 * Decimal fields stay strings (see lib/decimal.ts).
 */
import { parseChartSpec, type ChartSpec } from './chartSpec';
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

/** One streamed chunk of the agent's reply; `final` marks the last one of a request. */
export interface ChatChunk {
  requestId: string;
  conversationId: string;
  sequence: number;
  text: string;
  final: boolean;
  /** A chart the copilot drew at this point of the reply. */
  chart: ChartSpec | null;
}

export type DecisionOutcome = 'approved' | 'pending' | 'denied' | 'rejected' | 'expired' | 'killed';

/** The risk gate's word on an intent (see shared/messages/risk.py). */
export interface Decision {
  intentId: string;
  outcome: DecisionOutcome;
  reason: string;
  check: string | null;
  digest: string | null;
  /** Pending approvals only: when the proposal lapses, ms since epoch. */
  expiresAt: number | null;
}

/** An order's lifecycle event from the executor (`order.submitted`, `order.filled`, …). */
export interface OrderUpdate {
  event: 'submitted' | 'accepted' | 'rejected' | 'filled' | 'canceled' | 'expired';
  clientOrderId: string;
  symbol: string;
  correlationId: string | null;
  reason: string | null;
  side: string | null;
  lastQuantity: string | null;
  lastPrice: string | null;
  cumulativeQuantity: string | null;
  ts: number;
}

export interface KillNews {
  engaged: boolean;
  scope: 'global' | 'user';
  reason: string | null;
}

export type ServerMessage =
  | ({ type: 'trade' } & Trade)
  /** One symbol's trades since the gateway's last flush, oldest first (each also has `symbol`). */
  | { type: 'trades'; symbol: string; trades: Trade[] }
  | ({ type: 'candle'; symbol: string; interval: string } & Candle)
  | { type: 'subscribed'; symbol: string; interval: string }
  | { type: 'error'; code: string; message: string; clientMessageId?: string }
  | { type: 'ping' }
  | { type: 'pong' }
  | { type: 'unsubscribed' }
  | { type: 'authenticated'; userId: string; expiresAt: number }
  | { type: 'auth_expired' }
  | { type: 'signed_out' }
  | { type: 'chat.accepted'; requestId: string; clientMessageId: string; conversationId: string }
  | ({ type: 'chat.replied' } & ChatChunk)
  | ({ type: 'decision' } & Decision)
  | ({ type: 'order' } & OrderUpdate)
  | ({ type: 'kill' } & KillNews);

export type ClientMessage =
  | { action: 'subscribe'; symbol: string; interval: string }
  | { action: 'unsubscribe' }
  | { action: 'ping' }
  | { action: 'auth'; token: string }
  | { action: 'sign_out' }
  | { action: 'chat'; conversation_id: string; text: string; client_message_id: string };

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

const OUTCOMES: readonly DecisionOutcome[] = ['approved', 'pending', 'denied', 'rejected', 'expired', 'killed'];
const ORDER_EVENTS: readonly OrderUpdate['event'][] = [
  'submitted',
  'accepted',
  'rejected',
  'filled',
  'canceled',
  'expired',
];

function optionalString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function optionalDecimal(value: unknown): string | null {
  return isDecimalString(value) ? value : null;
}

/** ISO-8601 from the bus (pydantic's datetimes) to ms since epoch; null when absent or unreadable. */
function isoToMs(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function parseChatChunk(raw: Json): ChatChunk | null {
  const { request_id, conversation_id, sequence, text, final } = raw;
  if (!isNonEmptyString(request_id) || !isNonEmptyString(conversation_id)) return null;
  if (!Number.isSafeInteger(sequence) || (sequence as number) < 0) return null;
  if (typeof text !== 'string' || typeof final !== 'boolean') return null;
  const chart = raw.chart == null ? null : parseChartSpec(raw.chart);
  if (raw.chart != null && chart === null) return null;
  return { requestId: request_id, conversationId: conversation_id, sequence: sequence as number, text, final, chart };
}

function parseDecision(raw: Json): Decision | null {
  const { intent_id, outcome, reason, check, digest, expires_at } = raw;
  if (!isNonEmptyString(intent_id) || !OUTCOMES.includes(outcome as DecisionOutcome)) return null;
  return {
    intentId: intent_id,
    outcome: outcome as DecisionOutcome,
    reason: typeof reason === 'string' ? reason : '',
    check: optionalString(check),
    digest: optionalString(digest),
    expiresAt: isoToMs(expires_at),
  };
}

function parseOrderUpdate(raw: Json, event: string): OrderUpdate | null {
  const { client_order_id, symbol, correlation_id, reason, side, ts_event } = raw;
  const ts = isoToMs(ts_event);
  if (!ORDER_EVENTS.includes(event as OrderUpdate['event'])) return null;
  if (!isNonEmptyString(client_order_id) || !isNonEmptyString(symbol) || ts === null) return null;
  return {
    event: event as OrderUpdate['event'],
    clientOrderId: client_order_id,
    symbol,
    correlationId: optionalString(correlation_id),
    reason: optionalString(reason),
    side: optionalString(side),
    lastQuantity: optionalDecimal(raw.last_quantity),
    lastPrice: optionalDecimal(raw.last_price),
    cumulativeQuantity: optionalDecimal(raw.cumulative_quantity),
    ts,
  };
}

function parseKillNews(raw: Json, engaged: boolean): KillNews | null {
  const { scope, reason } = raw;
  if (scope !== 'global' && scope !== 'user') return null;
  return { engaged, scope, reason: optionalString(reason) };
}

/** A trade in the wire format (`trade_id`, string decimals, ms `ts`) of `symbol`; null if malformed. */
function parseTrade(raw: unknown, symbol: string): Trade | null {
  if (!isRecord(raw)) return null;
  const { trade_id, price, quantity, ts } = raw;
  if (!isTimestamp(ts) || !isDecimalString(price) || !isDecimalString(quantity)) return null;
  // trade ids are documented as strings; tolerate integer ids too.
  const tradeId = typeof trade_id === 'string' ? trade_id : Number.isSafeInteger(trade_id) ? String(trade_id) : null;
  return tradeId === null ? null : { symbol, tradeId, price, quantity, ts };
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
      const { symbol } = raw;
      if (!isNonEmptyString(symbol)) return null;
      const trade = parseTrade(raw, symbol);
      return trade ? { type: 'trade', ...trade } : null;
    }
    case 'trades': {
      const { symbol, trades } = raw;
      if (!isNonEmptyString(symbol) || !Array.isArray(trades)) return null;
      // A malformed trade is dropped alone, as a malformed `trade` frame would be; the rest still apply.
      const parsed = trades.map((t) => parseTrade(t, symbol)).filter((t): t is Trade => t !== null);
      return { type: 'trades', symbol, trades: parsed };
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
      const text = typeof message === 'string' ? message : '';
      // Chat refusals name the message they refuse.
      const ref = raw.client_message_id;
      return isNonEmptyString(ref)
        ? { type: 'error', code, message: text, clientMessageId: ref }
        : { type: 'error', code, message: text };
    }
    case 'ping':
    case 'pong':
    case 'unsubscribed':
    case 'auth_expired':
    case 'signed_out':
      return { type: raw.type };
    case 'authenticated': {
      const { user_id, expires_at } = raw;
      if (!isNonEmptyString(user_id) || !isTimestamp(expires_at)) return null;
      return { type: 'authenticated', userId: user_id, expiresAt: expires_at };
    }
    case 'chat.accepted': {
      const { request_id, client_message_id, conversation_id } = raw;
      if (![request_id, client_message_id, conversation_id].every(isNonEmptyString)) return null;
      return {
        type: 'chat.accepted',
        requestId: request_id as string,
        clientMessageId: client_message_id as string,
        conversationId: conversation_id as string,
      };
    }
    case 'chat.replied': {
      const chunk = parseChatChunk(raw);
      return chunk ? { type: 'chat.replied', ...chunk } : null;
    }
    case 'risk.decision': {
      const decision = parseDecision(raw);
      return decision ? { type: 'decision', ...decision } : null;
    }
    case 'sys.kill_engaged':
    case 'sys.kill_released': {
      const news = parseKillNews(raw, raw.type === 'sys.kill_engaged');
      return news ? { type: 'kill', ...news } : null;
    }
    default: {
      if (raw.type.startsWith('order.')) {
        const update = parseOrderUpdate(raw, raw.type.slice('order.'.length));
        return update ? { type: 'order', ...update } : null;
      }
      return null;
    }
  }
}
