import { describe, expect, it } from 'vitest';
import { describeSize, formatAmount, formatSigned, toneOf } from './format';

describe('formatting amounts', () => {
  it('groups digits and keeps every decimal the server sent, trailing zeros included', () => {
    expect(formatAmount('1234567.00010000')).toBe('1,234,567.00010000');
    expect(formatAmount('0.1', 'BTC')).toBe('0.1 BTC');
    expect(formatAmount(null)).toBe('—');
  });

  it('never goes through a float (a value no double can hold survives)', () => {
    expect(formatAmount('9007199254740993.123456789012345678')).toBe('9,007,199,254,740,993.123456789012345678');
  });

  it('signs gains, leaves losses with their minus, and reads tone from the string', () => {
    expect(formatSigned('12.50', 'USDT')).toBe('+12.50 USDT');
    expect(formatSigned('-3', 'USDT')).toBe('-3 USDT');
    expect(formatSigned('0.00', 'USDT')).toBe('0.00 USDT');
    expect([toneOf('0.0000001'), toneOf('-0.0000001'), toneOf('0'), toneOf(null)]).toEqual(['up', 'down', 'flat', 'flat']);
  });

  it('describes a size in base units, or as a quote amount to spend', () => {
    expect(describeSize({ symbol: 'BTC/USDT', quantity: '0.01', quote_quantity: null })).toBe('0.01 BTC');
    expect(describeSize({ symbol: 'BTC/USDT', quantity: null, quote_quantity: '1500' })).toBe('1,500 USDT worth');
  });
});
