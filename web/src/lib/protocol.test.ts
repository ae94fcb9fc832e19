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
