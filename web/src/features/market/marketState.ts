/**
 * Reducer for the market panel: REST history + live WebSocket messages for
 * the selected symbol/interval. Pure; see useMarketData for the effects.
 */
import { compareDecimal } from '../../lib/decimal';
import type { Candle, ServerMessage, Trade } from '../../lib/protocol';
import { applyCandle, applyTrade, createCandleState, intervalToMs, type CandleState } from './candles';

export type PriceDirection = 'up' | 'down' | 'flat';

export interface MarketError {
  code: string;
  message: string;
}

export interface MarketState {
  symbol: string;
  interval: string;
  /** loading: no history yet; ready: history loaded; error: history failed (live updates may still apply). */
  phase: 'loading' | 'ready' | 'error';
  loadError: MarketError | null;
  /** Last `{"type":"error"}` pushed by the server for this subscription. */
  streamError: MarketError | null;
  book: CandleState;
  /** Live messages held back while history is (re)loading; null when not buffering. */
  pending: ServerMessage[] | null;
  lastPrice: string | null;
  direction: PriceDirection;
}

export type MarketAction =
  | { type: 'select'; symbol: string; interval: string }
  | { type: 'reload' }
  | { type: 'loaded'; symbol: string; interval: string; candles: readonly Candle[] }
  | { type: 'loadFailed'; symbol: string; interval: string; error: MarketError }
  | { type: 'message'; message: ServerMessage };

const MAX_PENDING = 5_000;
const FALLBACK_INTERVAL_MS = 60_000;

export function initialMarketState(symbol: string, interval: string): MarketState {
  return {
    symbol,
    interval,
    phase: 'loading',
    loadError: null,
    streamError: null,
    book: createCandleState(intervalToMs(interval) ?? FALLBACK_INTERVAL_MS),
    pending: [],
    lastPrice: null,
    direction: 'flat',
  };
}

function withPrice(state: MarketState, price: string): MarketState {
  if (state.lastPrice === null) return { ...state, lastPrice: price };
  const cmp = compareDecimal(price, state.lastPrice);
  // An unchanged tick keeps the colour of the last move.
  const direction = cmp > 0 ? 'up' : cmp < 0 ? 'down' : state.direction;
  if (cmp === 0 && direction === state.direction) return state;
  return { ...state, lastPrice: price, direction };
}

function applyLiveTrade(state: MarketState, trade: Trade): MarketState {
  if (trade.symbol !== state.symbol) return state;
  const book = applyTrade(state.book, trade);
  const next = book === state.book ? state : { ...state, book };
  // Only a trade that is newest for the forming candle moves the last price.
  const isNewest = book !== state.book && book.lastTradeTs === trade.ts;
  return isNewest ? withPrice(next, trade.price) : next;
}

function applyLive(state: MarketState, message: ServerMessage): MarketState {
  switch (message.type) {
    case 'trade':
      return applyLiveTrade(state, message);
    case 'trades':
      // A batch is its trades one after another, in the order the gateway received them.
      return message.symbol === state.symbol ? message.trades.reduce(applyLiveTrade, state) : state;
    case 'candle': {
      if (message.symbol !== state.symbol || message.interval !== state.interval) return state;
      const candle: Candle = {
        openTime: message.openTime,
        open: message.open,
        high: message.high,
        low: message.low,
        close: message.close,
        volume: message.volume,
        closed: message.closed,
      };
      const book = applyCandle(state.book, candle);
      if (book === state.book) return state;
      const next = { ...state, book };
      const last = book.candles[book.candles.length - 1];
      // Seed the price if no trade has been seen yet.
      return next.lastPrice === null && last ? withPrice(next, last.close) : next;
    }
    case 'subscribed':
      return message.symbol === state.symbol && message.interval === state.interval && state.streamError
        ? { ...state, streamError: null }
        : state;
    case 'error':
      return { ...state, streamError: { code: message.code, message: message.message } };
    default:
      return state; // heartbeats and the signed-in user's events are not market data
  }
}

export function marketReducer(state: MarketState, action: MarketAction): MarketState {
  switch (action.type) {
    case 'select':
      if (action.symbol === state.symbol && action.interval === state.interval) return state;
      return initialMarketState(action.symbol, action.interval);

    case 'reload':
      return state.pending ? state : { ...state, pending: [] };

    case 'loaded': {
      if (action.symbol !== state.symbol || action.interval !== state.interval) return state;
      let next: MarketState = {
        ...state,
        phase: 'ready',
        loadError: null,
        pending: null,
        book: createCandleState(state.book.intervalMs, action.candles),
      };
      const last = action.candles[action.candles.length - 1];
      if (last && next.lastPrice === null) next = withPrice(next, last.close);
      for (const message of state.pending ?? []) next = applyLive(next, message);
      return next;
    }

    case 'loadFailed': {
      if (action.symbol !== state.symbol || action.interval !== state.interval) return state;
      // Keep whatever is drawn and let live updates flow while history is retried.
      let next: MarketState = {
        ...state,
        phase: state.phase === 'ready' ? 'ready' : 'error',
        loadError: action.error,
        pending: null,
      };
      for (const message of state.pending ?? []) next = applyLive(next, message);
      return next;
    }

    case 'message': {
      if (state.pending) {
        const kind = action.message.type;
        if (kind === 'ping' || kind === 'pong' || kind === 'unsubscribed') return state;
        const pending = [...state.pending, action.message];
        return { ...state, pending: pending.length > MAX_PENDING ? pending.slice(-MAX_PENDING) : pending };
      }
      return applyLive(state, action.message);
    }
  }
}
