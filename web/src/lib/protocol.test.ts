import { describe, expect, it } from 'vitest';
import { parseServerMessage } from './protocol';

const trade = { type: 'trade', symbol: 'BTC/USDT', trade_id: '123', price: '23142.31', quantity: '0.01', ts: 1677628801234 };
const candle = {
  type: 'candle',
  symbol: 'BTC/USDT',
  interval: '1m',
  open_time: 1677628800000,
  open: '23140.48',
  high: '23150.77',
  low: '23128.52',
  close: '23142.31',
  volume: '2.131777',
  closed: true,
};

describe('parseServerMessage', () => {
  it('parses every documented message type', () => {
    expect(parseServerMessage(JSON.stringify(trade))).toEqual({
      type: 'trade',
      symbol: 'BTC/USDT',
      tradeId: '123',
      price: '23142.31',
      quantity: '0.01',
      ts: 1677628801234,
    });
    expect(parseServerMessage(JSON.stringify(candle))).toEqual({
      type: 'candle',
      symbol: 'BTC/USDT',
      interval: '1m',
      openTime: 1677628800000,
      open: '23140.48',
      high: '23150.77',
      low: '23128.52',
      close: '23142.31',
      volume: '2.131777',
      closed: true,
    });
    expect(parseServerMessage('{"type":"subscribed","symbol":"BTC/USDT","interval":"1m"}')).toEqual({
      type: 'subscribed',
      symbol: 'BTC/USDT',
      interval: '1m',
    });
    expect(parseServerMessage('{"type":"error","code":"unknown_symbol","message":"nope"}')).toEqual({
      type: 'error',
      code: 'unknown_symbol',
      message: 'nope',
    });
    expect(parseServerMessage('{"type":"ping"}')).toEqual({ type: 'ping' });
    expect(parseServerMessage('{"type":"pong"}')).toEqual({ type: 'pong' });
  });

  it('parses a batch of trades in order, each carrying the batch symbol', () => {
    const batch = {
      type: 'trades',
      symbol: 'BTC/USDT',
      trades: [
        { trade_id: '1', price: '23142.31', quantity: '0.01', ts: 1677628801234 },
        { trade_id: 2, price: '23142.30', quantity: '0.5', ts: 1677628801240 },
      ],
    };
    expect(parseServerMessage(JSON.stringify(batch))).toEqual({
      type: 'trades',
      symbol: 'BTC/USDT',
      trades: [
        { symbol: 'BTC/USDT', tradeId: '1', price: '23142.31', quantity: '0.01', ts: 1677628801234 },
        { symbol: 'BTC/USDT', tradeId: '2', price: '23142.30', quantity: '0.5', ts: 1677628801240 },
      ],
    });
  });

  it('drops only the malformed trades of a batch and keeps the rest in order', () => {
    const good = (id: string) => ({ trade_id: id, price: '1.5', quantity: '2', ts: 1 });
    const batch = { type: 'trades', symbol: 'ETH/USDT', trades: [good('a'), { ...good('b'), price: 1.5 }, 'x', good('c')] };
    const parsed = parseServerMessage(JSON.stringify(batch));
    expect(parsed?.type === 'trades' && parsed.trades.map((t) => t.tradeId)).toEqual(['a', 'c']);
  });

  it('accepts an integer trade id', () => {
    expect(parseServerMessage({ ...trade, trade_id: 42 })).toMatchObject({ tradeId: '42' });
  });

  const malformed: [string, unknown][] = [
    ['invalid JSON', '{"type":"trade",'],
    ['empty string', ''],
    ['a JSON array', '[1,2,3]'],
    ['JSON null', 'null'],
    ['a number', 42],
    ['undefined', undefined],
    ['binary data', new ArrayBuffer(8)],
    ['no type', JSON.stringify({ ...trade, type: undefined })],
    ['unknown type', JSON.stringify({ ...trade, type: 'orderbook' })],
    ['numeric price', JSON.stringify({ ...trade, price: 23142.31 })],
    ['exponent price', JSON.stringify({ ...trade, price: '1e5' })],
    ['negative-looking garbage price', JSON.stringify({ ...trade, price: '--1' })],
    ['string ts', JSON.stringify({ ...trade, ts: '1677628801234' })],
    ['fractional ts', JSON.stringify({ ...trade, ts: 1.5 })],
    ['missing symbol', JSON.stringify({ ...trade, symbol: undefined })],
    ['object trade id', JSON.stringify({ ...trade, trade_id: { id: 1 } })],
    ['trades without a list', JSON.stringify({ type: 'trades', symbol: 'BTC/USDT', trades: { 0: trade } })],
    ['trades without symbol', JSON.stringify({ type: 'trades', trades: [trade] })],
    ['candle without interval', JSON.stringify({ ...candle, interval: undefined })],
    ['candle with string closed', JSON.stringify({ ...candle, closed: 'true' })],
    ['candle with missing high', JSON.stringify({ ...candle, high: undefined })],
    ['candle with negative open_time', JSON.stringify({ ...candle, open_time: -1 })],
    ['error without code', '{"type":"error","message":"x"}'],
    ['subscribed without symbol', '{"type":"subscribed","interval":"1m"}'],
  ];

  it.each(malformed)('returns null (and does not throw) for %s', (_name, input) => {
    expect(() => parseServerMessage(input)).not.toThrow();
    expect(parseServerMessage(input)).toBeNull();
  });
});

describe('parseServerMessage: signed-in events', () => {
  it('parses chat chunks, decisions, order events and kill news as the bus sends them', () => {
    const reply = {
      type: 'chat.replied',
      user_id: 'u1',
      conversation_id: 'default',
      request_id: 'r1',
      sequence: 2,
      text: 'Done.',
      final: true,
      ts_event: '2026-11-28T12:00:00Z',
    };
    expect(parseServerMessage(JSON.stringify(reply))).toEqual({
      type: 'chat.replied',
      requestId: 'r1',
      conversationId: 'default',
      sequence: 2,
      text: 'Done.',
      final: true,
      chart: null,
    });
    const pending = {
      type: 'risk.decision',
      intent_id: 'i1',
      user_id: 'u1',
      outcome: 'pending',
      reason: '',
      check: null,
      digest: 'ab'.repeat(32),
      expires_at: '2026-11-28T12:05:00Z',
    };
    expect(parseServerMessage(JSON.stringify(pending))).toMatchObject({
      type: 'decision',
      intentId: 'i1',
      outcome: 'pending',
      expiresAt: Date.parse('2026-11-28T12:05:00Z'),
    });
    const fill = {
      type: 'order.filled',
      user_id: 'u1',
      venue: 'paper',
      client_order_id: 'cp-1',
      symbol: 'BTC/USDT',
      correlation_id: 'i1',
      venue_order_id: '7',
      trade_id: '9',
      side: 'buy',
      last_quantity: '0.01',
      last_price: '23140.48',
      cumulative_quantity: '0.01',
      commission: '0',
      commission_asset: 'BNB',
      ts_event: '2026-11-28T12:00:01Z',
    };
    expect(parseServerMessage(JSON.stringify(fill))).toMatchObject({
      type: 'order',
      event: 'filled',
      clientOrderId: 'cp-1',
      lastPrice: '23140.48',
      correlationId: 'i1',
    });
    const kill = { type: 'sys.kill_engaged', scope: 'global', actor: 'ops', reason: 'incident' };
    expect(parseServerMessage(JSON.stringify(kill))).toEqual({
      type: 'kill',
      engaged: true,
      scope: 'global',
      reason: 'incident',
    });
    expect(parseServerMessage('{"type":"authenticated","user_id":"u1","expires_at":1700000000000}')).toEqual({
      type: 'authenticated',
      userId: 'u1',
      expiresAt: 1700000000000,
    });
  });

  it('returns null for malformed signed-in events', () => {
    const bad = [
      { type: 'chat.replied', request_id: 'r1', conversation_id: 'c', sequence: -1, text: '', final: true },
      { type: 'chat.replied', request_id: 'r1', conversation_id: 'c', sequence: 0, text: 5, final: true },
      { type: 'risk.decision', intent_id: 'i1', outcome: 'maybe' },
      { type: 'order.exploded', client_order_id: 'c', symbol: 'BTC/USDT', ts_event: '2026-11-28T12:00:00Z' },
      { type: 'order.filled', client_order_id: 'c', symbol: 'BTC/USDT', ts_event: 'yesterday' },
      { type: 'sys.kill_engaged', scope: 'everyone' },
      { type: 'authenticated', user_id: '', expires_at: 1 },
    ];
    for (const raw of bad) expect(parseServerMessage(JSON.stringify(raw))).toBeNull();
  });
});
