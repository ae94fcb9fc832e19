import { act, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../lib/client';
import { apiError, FakeApi, json } from '../../test/fakeApi';
import { renderSignedIn } from '../../test/render';
import { PositionsPanel } from './PositionsPanel';

type Pnl = Schemas['PnlPublic'];

function position(symbol: string, quantity: string, quoteSpent: string): Schemas['PositionPublic'] {
  return { venue: 'paper', symbol, quantity, quote_spent: quoteSpent, updated_at: '2026-11-28T12:00:00Z' };
}

function market(symbol: string, fields: Partial<Pnl['markets'][number]>): Pnl['markets'][number] {
  return {
    venue: 'paper',
    symbol,
    quote: 'USDT',
    quantity: '0',
    realised: '0',
    unrealised: null,
    total: null,
    price: null,
    price_at: null,
    ...fields,
  };
}

function setup(positions: Schemas['PositionPublic'][], pnl: Pnl, api = new FakeApi()) {
  api.on('GET', '/api/positions', json({ data: positions })).on('GET', '/api/pnl', json(pnl));
  const rendered = renderSignedIn(<PositionsPanel />, api);
  act(() => rendered.gateway.open());
  return rendered;
}

function cellsOf(row: HTMLElement): string[] {
  return within(row).getAllByRole('cell').map((cell) => cell.textContent ?? '');
}

describe('PositionsPanel', () => {
  it('shows each market’s holding and P&L exactly, signed, and the total', async () => {
    setup([position('BTC/USDT', '0.00000001', '0.30')], {
      markets: [
        market('BTC/USDT', {
          quantity: '0.00000001',
          price: '30000.10',
          realised: '12.50',
          unrealised: '-0.01',
          total: '12.49',
        }),
      ],
      totals: [{ quote: 'USDT', realised: '12.50', unrealised: '-0.01', total: '12.49', unpriced: [] }],
    });

    const table = screen.getByRole('table', { name: 'Positions and profit and loss per market' });
    const row = (await within(table).findByRole('cell', { name: 'BTC/USDT paper' })).closest('tr') as HTMLElement;
    expect(cellsOf(row)).toEqual(['BTC/USDT paper', '0.00000001', '0.30 USDT', '30,000.10', '+12.50', '-0.01', '+12.49']);
    expect(screen.getByTestId('pnl-total')).toHaveTextContent('+12.49 USDT');
    expect(screen.getByTestId('pnl-total')).toHaveAttribute('data-tone', 'up');
  });

  it('keeps a closed market’s realised P&L and names the markets left out of the total for want of a price', async () => {
    setup([position('ETH/USDT', '2', '6000')], {
      markets: [market('ETH/USDT', { quantity: '2' }), market('SOL/USDT', { realised: '-3', total: '-3' })],
      totals: [{ quote: 'USDT', realised: '-3', unrealised: '0', total: '-3', unpriced: ['ETH/USDT'] }],
    });

    expect(await screen.findByText('Not in the total (no price yet): ETH/USDT')).toBeInTheDocument();
    await screen.findByRole('cell', { name: 'ETH/USDT paper' });
    const rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows.map((r) => cellsOf(r)[0])).toEqual(['ETH/USDT paper', 'SOL/USDT paper']);
    expect(cellsOf(rows[1] as HTMLElement)[4]).toBe('-3');
    expect(screen.getByTestId('pnl-total')).toHaveAttribute('data-tone', 'down');
  });

  it('says when there are no positions yet', async () => {
    setup([], { markets: [], totals: [] });
    expect(await screen.findByText('No positions yet.')).toBeInTheDocument();
    expect(screen.getByTestId('pnl-total')).toHaveTextContent('0');
  });

  it('says why the positions could not be loaded', async () => {
    const api = new FakeApi().on('GET', '/api/pnl', apiError(503, 'unavailable', 'prices are not available'));
    api.on('GET', '/api/positions', json({ data: [] }));
    const rendered = renderSignedIn(<PositionsPanel />, api);
    act(() => rendered.gateway.open());
    expect(await screen.findByRole('alert')).toHaveTextContent('Positions could not be loaded: prices are not available');
  });
});
