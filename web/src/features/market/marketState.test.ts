import { describe, expect, it } from 'vitest';
import type { Candle, ServerMessage } from '../../lib/protocol';
import { initialMarketState, marketReducer, type MarketAction, type MarketState } from './marketState';

const T0 = 1_677_628_800_000;
const MIN = 60_000;
const history: Candle[] = [
  { openTime: T0 - MIN, open: '100', high: '101', low: '99', close: '100.5', volume: '1', closed: true },
  { openTime: T0, open: '100.5', high: '102', low: '100', close: '101', volume: '2', closed: false },
];

const trade = (ts: number, price: string, id: string, symbol = 'BTC/USDT'): ServerMessage => ({
  type: 'trade',
  symbol,
  tradeId: id,
  price,
  quantity: '0.5',
  ts,
});

function run(state: MarketState, ...actions: MarketAction[]): MarketState {
  return actions.reduce(marketReducer, state);
}

const loaded: MarketAction = { type: 'loaded', symbol: 'BTC/USDT', interval: '1m', candles: history };

describe('marketReducer', () => {
  it('buffers live messages until history arrives, then applies them', () => {
    const s = run(
      initialMarketState('BTC/USDT', '1m'),
      { type: 'message', message: trade(T0 + 1_000, '103', 't1') },
      { type: 'message', message: { type: 'ping' } },
    );
    expect(s.book.candles).toHaveLength(0);
    expect(s.pending).toHaveLength(1);

    const after = marketReducer(s, loaded);
    expect(after.phase).toBe('ready');
    expect(after.pending).toBeNull();
    expect(after.book.candles[1]).toMatchObject({ high: '103', close: '103', volume: '2.5' });
    expect(after.lastPrice).toBe('103');
    expect(after.direction).toBe('up'); // 101 (history close) → 103
  });

  it('colours the last price up/down against the previous price, keeping the colour on equal ticks', () => {
    const s = run(initialMarketState('BTC/USDT', '1m'), loaded);
    expect(s.lastPrice).toBe('101');
    const down = marketReducer(s, { type: 'message', message: trade(T0 + 1, '100.9', 'a') });
    expect(down).toMatchObject({ lastPrice: '100.9', direction: 'down' });
    const same = marketReducer(down, { type: 'message', message: trade(T0 + 2, '100.90', 'b') });
    expect(same.direction).toBe('down');
    const up = marketReducer(same, { type: 'message', message: trade(T0 + 3, '100.91', 'c') });
    expect(up.direction).toBe('up');
  });

  it('ignores messages for other symbols or intervals (e.g. late ones from the previous subscription)', () => {
    const s = run(initialMarketState('BTC/USDT', '1m'), loaded);
    expect(marketReducer(s, { type: 'message', message: trade(T0 + 1, '5', 'x', 'ETH/USDT') })).toBe(s);
    const otherInterval: ServerMessage = { type: 'candle', symbol: 'BTC/USDT', interval: '5m', ...history[1]!, closed: true };
    expect(marketReducer(s, { type: 'message', message: otherInterval })).toBe(s);
  });

  it('applies a batch of trades exactly as the same trades one by one, in order', () => {
    const singles = [trade(T0 + 1, '103', 'b1'), trade(T0 + 2, '99.5', 'b2'), trade(T0 + MIN + 1, '98', 'b3')];
    const batch: ServerMessage = {
      type: 'trades',
      symbol: 'BTC/USDT',
      trades: singles.map((m) => {
        if (m.type !== 'trade') throw new Error('expected trades');
        return { symbol: m.symbol, tradeId: m.tradeId, price: m.price, quantity: m.quantity, ts: m.ts };
      }),
    };
    const ready = run(initialMarketState('BTC/USDT', '1m'), loaded);
    const oneByOne = run(ready, ...singles.map((message): MarketAction => ({ type: 'message', message })));
    const batched = marketReducer(ready, { type: 'message', message: batch });
    expect(batched).toEqual(oneByOne);
    expect(batched.book.candles).toHaveLength(3); // the third trade opened the next minute
    expect(batched.book.candles[1]).toMatchObject({ high: '103', low: '99.5', close: '99.5' });
    expect(batched).toMatchObject({ lastPrice: '98', direction: 'down' });
  });

  it('holds a batch while history loads and ignores one of another symbol', () => {
    const batch = (symbol: string): ServerMessage => ({
      type: 'trades',
      symbol,
      trades: [{ symbol, tradeId: 'h1', price: '105', quantity: '1', ts: T0 + 9 }],
    });
    const s = run(initialMarketState('BTC/USDT', '1m'), { type: 'message', message: batch('BTC/USDT') });
    expect(s.pending).toHaveLength(1);
    const after = marketReducer(s, loaded);
    expect(after.book.candles[1]).toMatchObject({ high: '105', close: '105', volume: '3' });
    expect(marketReducer(after, { type: 'message', message: batch('ETH/USDT') })).toBe(after);
  });

  it('drops a stale history response after the user switched symbol', () => {
    const s = run(initialMarketState('BTC/USDT', '1m'), { type: 'select', symbol: 'ETH/USDT', interval: '1m' }, loaded);
    expect(s.symbol).toBe('ETH/USDT');
    expect(s.phase).toBe('loading');
    expect(s.book.candles).toHaveLength(0);
  });

  it('keeps drawn candles and live updates when a reload fails', () => {
    const s = run(
      initialMarketState('BTC/USDT', '1m'),
      loaded,
      { type: 'reload' },
      { type: 'message', message: trade(T0 + 5, '104', 'r1') },
      { type: 'loadFailed', symbol: 'BTC/USDT', interval: '1m', error: { code: 'network_error', message: 'down' } },
    );
    expect(s.phase).toBe('ready');
    expect(s.loadError?.code).toBe('network_error');
    expect(s.book.candles).toHaveLength(2);
    expect(s.lastPrice).toBe('104');
  });

  it('records stream errors and clears them on a matching subscribed message', () => {
    const s = run(initialMarketState('BTC/USDT', '1m'), loaded, {
      type: 'message',
      message: { type: 'error', code: 'unknown_symbol', message: 'no such symbol' },
    });
    expect(s.streamError).toEqual({ code: 'unknown_symbol', message: 'no such symbol' });
    const ok = marketReducer(s, { type: 'message', message: { type: 'subscribed', symbol: 'BTC/USDT', interval: '1m' } });
    expect(ok.streamError).toBeNull();
  });
});
