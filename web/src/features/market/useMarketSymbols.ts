import { useEffect, useState } from 'react';
import { isAbortError, type ApiClient, type MarketSymbols } from '../../lib/api';
import { backoffDelay } from '../../lib/backoff';

/** Used until /api/market/symbols answers, so the pickers are never empty. */
export const FALLBACK_MARKETS: MarketSymbols = {
  venue: 'paper',
  symbols: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'BNB/USDT'],
  intervals: ['1m', '5m', '1h', '1d'],
};

export function useMarketSymbols(api: ApiClient): { markets: MarketSymbols; loaded: boolean } {
  const [markets, setMarkets] = useState<MarketSymbols | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    const load = async () => {
      try {
        const result = await api.getSymbols({ signal: controller.signal });
        if (!controller.signal.aborted && result.symbols.length > 0 && result.intervals.length > 0) setMarkets(result);
      } catch (error) {
        if (controller.signal.aborted || isAbortError(error)) return;
        timer = setTimeout(() => void load(), backoffDelay(attempt++, { baseMs: 1_000 }));
      }
    };
    void load();
    return () => {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [api]);

  return { markets: markets ?? FALLBACK_MARKETS, loaded: markets !== null };
}
