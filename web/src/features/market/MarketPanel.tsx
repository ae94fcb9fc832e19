import { useId, useMemo } from 'react';
import type { Fill } from '../trading/fillMarkers';
import { fillMarkers } from '../trading/fillMarkers';
import { intervalToMs } from './candles';
import type { ApiClient } from '../../lib/api';
import { useConnectionStatus, useSocket } from '../../app/socket';
import { LastPrice } from './LastPrice';
import { PriceChart } from './PriceChart';
import { useMarketData } from './useMarketData';
import { useMarketSymbols } from './useMarketSymbols';

export const DEFAULT_SYMBOL = 'BTC/USDT';
export const DEFAULT_INTERVAL = '1m';

function quoteOf(symbol: string): string {
  return symbol.split('/')[1] ?? '';
}

const NO_FILLS: readonly Fill[] = [];

/** The market chart; signed in, the user's `fills` are drawn on it as markers. */
export function MarketPanel({ api, fills = NO_FILLS }: { api: ApiClient; fills?: readonly Fill[] }) {
  const socket = useSocket();
  const status = useConnectionStatus();
  const { markets } = useMarketSymbols(api);
  const { state, select } = useMarketData(api, socket, { symbol: DEFAULT_SYMBOL, interval: DEFAULT_INTERVAL });
  const { symbol, interval, phase, loadError, streamError } = state;
  const candles = state.book.candles;
  const markers = useMemo(() => {
    const intervalMs = intervalToMs(interval);
    const first = candles[0];
    const last = candles[candles.length - 1];
    if (intervalMs === null || !first || !last) return [];
    return fillMarkers(fills, symbol, intervalMs, { first: first.openTime, last: last.openTime });
  }, [fills, symbol, interval, candles]);
  const symbolId = useId();
  const intervalId = useId();

  // Keep the current choice visible even if the server list does not (yet) contain it.
  const symbols = markets.symbols.includes(symbol) ? markets.symbols : [symbol, ...markets.symbols];
  const intervals = markets.intervals.includes(interval) ? markets.intervals : [interval, ...markets.intervals];

  let notice: { tone: 'info' | 'warn' | 'error'; text: string } | null = null;
  if (phase === 'loading' && candles.length === 0) {
    notice = { tone: 'info', text: 'Loading price history…' };
  } else if (loadError && loadError.code !== 'network_error' && !loadError.code.startsWith('http_5')) {
    notice = { tone: 'error', text: `Could not load ${symbol}: ${loadError.message}` };
  } else if (phase === 'error' && candles.length === 0) {
    notice = { tone: 'warn', text: 'Price history unavailable — retrying…' };
  }
  if (!notice && streamError) notice = { tone: 'error', text: `Live feed: ${streamError.message || streamError.code}` };

  const live = status === 'connected';

  return (
    <section className="panel market-panel" aria-labelledby="market-title" data-live={live}>
      <div className="panel__toolbar">
        <h2 id="market-title" className="panel__title">
          {symbol} <span className="panel__subtitle">{interval}</span>
        </h2>
        <div className="pickers">
          <div className="field">
            <label htmlFor={symbolId}>Symbol</label>
            <select
              id={symbolId}
              data-testid="symbol-picker"
              value={symbol}
              onChange={(e) => select(e.target.value, interval)}
            >
              {symbols.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={intervalId}>Interval</label>
            <select
              id={intervalId}
              data-testid="interval-picker"
              value={interval}
              onChange={(e) => select(symbol, e.target.value)}
            >
              {intervals.map((i) => (
                <option key={i} value={i}>
                  {i}
                </option>
              ))}
            </select>
          </div>
        </div>
        <LastPrice price={state.lastPrice} direction={state.direction} quote={quoteOf(symbol)} />
      </div>

      <div className="chart-frame" aria-busy={phase === 'loading'}>
        <PriceChart
          candles={candles}
          resetKey={`${symbol}|${interval}`}
          markers={markers}
          label={`${symbol} ${interval} candlestick chart, ${candles.length} candles`}
        />
        {notice && (
          <div className={`chart-notice chart-notice--${notice.tone}`} role={notice.tone === 'error' ? 'alert' : 'status'}>
            {notice.text}
          </div>
        )}
        {!live && (
          <div className="stale-banner" role="status">
            <span>
              {status === 'connecting'
                ? 'Connecting to live feed…'
                : candles.length === 0
                  ? 'Live feed unavailable — retrying in the background.'
                  : 'Live feed interrupted — prices may be stale.'}
            </span>
            {status !== 'connecting' && (
              <button type="button" className="button" onClick={() => socket.retryNow()}>
                Retry now
              </button>
            )}
          </div>
        )}
      </div>
      <p className="panel__foot">
        Venue: {markets.venue} · Times in UTC · {candles.length} candles
      </p>
    </section>
  );
}
