import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { apiError, deferred, FakeApi, json } from '../../test/fakeApi';
import { renderSignedIn } from '../../test/render';
import { OrdersPanel } from './OrdersPanel';
import type { Order } from './orders';
import { orderWire } from './testData';

function page(data: Order[]) {
  return { data, limit: 50, offset: 0, next_offset: null };
}

function setup(api: FakeApi) {
  const rendered = renderSignedIn(<OrdersPanel />, api);
  act(() => rendered.gateway.open());
  return rendered;
}

/** Each row's cells as text, the time column left out (it follows the machine's locale). */
async function rows(): Promise<string[][]> {
  const table = screen.getByRole('table', { name: 'Your latest orders, newest first' });
  await within(table).findAllByRole('cell');
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((row) => within(row).getAllByRole('cell').slice(1).map((cell) => cell.textContent ?? ''));
}

describe('OrdersPanel', () => {
  it('lists the orders newest first, every amount exactly as the server sent it', async () => {
    const api = new FakeApi().on(
      'GET',
      '/api/orders',
      json(
        page([
          orderWire({ id: 'o1', requested_qty: '0.00000001', created_at: '2026-11-28T12:00:00Z' }),
          orderWire({
            id: 'o2',
            symbol: 'ETH/USDT',
            side: 'sell',
            order_type: 'limit',
            requested_qty: '1.5',
            limit_price: '30000.10',
            filled_qty: '0.5',
            avg_price: '30000.10',
            status: 'partially_filled',
            venue: 'testnet',
            created_at: '2026-11-28T12:05:00Z',
          }),
        ]),
      ),
    );
    setup(api);

    expect(await rows()).toEqual([
      ['ETH/USDT', 'Sell', 'Limit', '1.5 ETH', '30,000.10', '0.5', '30,000.10 USDT', 'Partly filled', 'testnet'],
      ['BTC/USDT', 'Buy', 'Market', '0.00000001 BTC', '—', '0', '—', 'Open', 'paper'],
    ]);
    expect(api.requests[0]?.query.get('limit')).toBe('50');
  });

  it('gives a rejected order’s reason to screen readers and as a tooltip', async () => {
    const api = new FakeApi().on(
      'GET',
      '/api/orders',
      json(page([orderWire({ status: 'rejected', reject_reason: 'insufficient balance' })])),
    );
    setup(api);

    const cell = await screen.findByRole('cell', { name: 'Rejected: insufficient balance' });
    expect(cell).toHaveAttribute('title', 'insufficient balance');
  });

  it('says when there are no orders yet', async () => {
    setup(new FakeApi().on('GET', '/api/orders', json(page([]))));
    expect(await screen.findByText('No orders yet.')).toBeInTheDocument();
  });

  it('says why the orders could not be loaded', async () => {
    setup(new FakeApi().on('GET', '/api/orders', apiError(503, 'unavailable', 'the database is not reachable')));
    expect(await screen.findByRole('alert')).toHaveTextContent('Orders could not be loaded: the database is not reachable');
  });

  it('moves a row at once on the executor’s event, before the list is fetched again', async () => {
    const orders = [orderWire({ client_order_id: 'c1', requested_qty: '0.02', filled_qty: '0', status: 'accepted' })];
    const refetch = deferred();
    let calls = 0;
    const api = new FakeApi().on('GET', '/api/orders', () => (++calls <= 2 ? json(page(orders)) : refetch.promise));
    const { gateway } = setup(api);
    expect((await rows())[0]).toContain('Open');

    act(() =>
      gateway.push({
        type: 'order.filled',
        client_order_id: 'c1',
        symbol: 'BTC/USDT',
        side: 'buy',
        last_quantity: '0.02',
        last_price: '23142.31',
        cumulative_quantity: '0.02',
        ts_event: '2026-11-28T12:00:01Z',
      }),
    );

    const [row] = await rows();
    expect(row?.[5]).toBe('0.02');
    expect(row?.[7]).toBe('Filled');
    await act(async () =>
      refetch.resolve(json(page([{ ...orders[0]!, status: 'filled', filled_qty: '0.02', avg_price: '23142.31' }]))),
    );
    expect((await rows())[0]?.[6]).toBe('23,142.31 USDT');
  });

  it('fetches the list again after a reconnect: events may have been missed meanwhile', async () => {
    const api = new FakeApi().on('GET', '/api/orders', json(page([orderWire()])));
    const { gateway } = setup(api);
    await rows();
    const before = api.sent('GET', '/api/orders').length;

    act(() => gateway.drop());
    act(() => window.dispatchEvent(new Event('online'))); // the browser is back: retry at once
    act(() => gateway.open());

    await waitFor(() => expect(api.sent('GET', '/api/orders')).toHaveLength(before + 1));
  });
});
