import { describe, expect, it } from 'vitest';
import { describeRule, ruleActions } from './rules';

describe('rules list', () => {
  it('names the order in words and keeps every other part of the definition visible', () => {
    expect(
      describeRule({ kind: 'conditional_order', side: 'buy', symbol: 'BTC/USDT', amount: '0.5', when: { price_below: '20000' } }, 'BTC/USDT'),
    ).toBe('Buy 0.5 BTC/USDT · when={"price_below":"20000"}');
    expect(describeRule({ side: 'SELL', quantity: '1.25' }, 'ETH/USDT')).toBe('Sell 1.25 ETH/USDT');
  });

  it('offers only the moves the server allows from each status', () => {
    expect(ruleActions('active')).toEqual(['pause', 'delete']);
    expect(ruleActions('paused')).toEqual(['resume', 'delete']);
    expect(ruleActions('fired')).toEqual(['delete']);
    expect(ruleActions('deleted')).toEqual([]);
  });
});
