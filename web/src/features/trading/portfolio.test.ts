import { describe, expect, it } from 'vitest';
import { positionRows, totalPnlText, unpricedMarkets, type Pnl } from './portfolio';

const pnl: Pnl = {
  markets: [
    { venue: 'paper', symbol: 'BTC/USDT', quote: 'USDT', quantity: '0.02', realised: '0', unrealised: '12.5', total: '12.5', price: '24000', price_at: null },
    { venue: 'paper', symbol: 'ETH/USDT', quote: 'USDT', quantity: '0', realised: '-3.25', unrealised: null, total: null, price: null, price_at: null },
  ],
  totals: [
    { quote: 'USDT', realised: '-3.25', unrealised: '12.5', total: '9.25', unpriced: ['ETH/USDT'] },
    { quote: 'EUR', realised: '-1', unrealised: '0', total: '-1', unpriced: [] },
  ],
};

describe('positions and P&L', () => {
  it('joins each position with its market P&L and keeps closed markets that realised some', () => {
    const rows = positionRows([{ venue: 'paper', symbol: 'BTC/USDT', quantity: '0.02', quote_spent: '467.5', updated_at: '' }], pnl);
    expect(rows.map((r) => [r.symbol, r.quantity, r.total])).toEqual([
      ['BTC/USDT', '0.02', '12.5'],
      ['ETH/USDT', '0', null],
    ]);
    expect(rows[1]).toMatchObject({ realised: '-3.25', quoteSpent: '0' });
  });

  it('states totals per quote currency, never summed across them', () => {
    expect(totalPnlText(pnl)).toBe('+9.25 USDT · -1 EUR');
    expect(totalPnlText(null)).toBe('0');
    expect(unpricedMarkets(pnl)).toEqual(['ETH/USDT']);
  });
});
