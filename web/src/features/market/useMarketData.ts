import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { ApiError, isAbortError, type ApiClient } from '../../lib/api';
import { backoffDelay } from '../../lib/backoff';
import type { AppSocket } from '../../app/socket';
import { initialMarketState, marketReducer, type MarketError, type MarketState } from './marketState';

export const HISTORY_LIMIT = 500;

function toMarketError(error: unknown): MarketError {
  if (error instanceof ApiError) return { code: error.code, message: error.message };
  return { code: 'unexpected', message: error instanceof Error ? error.message : String(error) };
}

/** Network trouble and server errors are retried; a 4xx (e.g. unknown_symbol) is not. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true;
  return error.status === 0 || error.status >= 500 || error.status === 408 || error.status === 429;
}

/**
 * History over REST + live updates over the shared WebSocket for one
 * symbol/interval. History retries with backoff and is re-fetched after every
 * WebSocket reconnect (to fill the gap the outage left).
 */
export function useMarketData(
  api: ApiClient,
  socket: AppSocket,
  initial: { symbol: string; interval: string },
): { state: MarketState; select: (symbol: string, interval: string) => void } {
  const [state, dispatch] = useReducer(marketReducer, initial, (i) => initialMarketState(i.symbol, i.interval));
  const [reloadToken, setReloadToken] = useState(0);
  const { symbol, interval, phase } = state;

  const phaseRef = useRef(phase);
  useEffect(() => {
    phaseRef.current = phase;
  }, [phase]);

  // Live messages.
  useEffect(() => socket.onMessage((message) => dispatch({ type: 'message', message })), [socket]);

  // Refill history after a reconnect, or as soon as the server is back if history failed.
  useEffect(
    () =>
      socket.onOpen(({ reconnect }) => {
        if (reconnect || phaseRef.current === 'error') {
          dispatch({ type: 'reload' });
          setReloadToken((t) => t + 1);
        }
      }),
    [socket],
  );

  // Subscription: sent now and re-sent by the socket after each reconnect.
  useEffect(() => {
    socket.setPersistent('market', { action: 'subscribe', symbol, interval });
  }, [socket, symbol, interval]);

  // History, with retry.
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;

    const load = async () => {
      try {
        const response = await api.getCandles({ symbol, interval, limit: HISTORY_LIMIT }, { signal: controller.signal });
        if (controller.signal.aborted) return;
        dispatch({ type: 'loaded', symbol, interval, candles: response.candles });
      } catch (error) {
        if (controller.signal.aborted || isAbortError(error)) return;
        dispatch({ type: 'loadFailed', symbol, interval, error: toMarketError(error) });
        if (isRetryable(error)) timer = setTimeout(() => void load(), backoffDelay(attempt++, { baseMs: 1_000 }));
      }
    };
    void load();

    return () => {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [api, symbol, interval, reloadToken]);

  const select = useCallback((nextSymbol: string, nextInterval: string) => {
    dispatch({ type: 'select', symbol: nextSymbol, interval: nextInterval });
  }, []);

  return { state, select };
}
