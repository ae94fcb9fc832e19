import { describe, expect, it } from 'vitest';
import type { OrderUpdate } from '../../lib/protocol';
import { applyOrderUpdate, isOpen, newestFirst } from './orders';
import { orderWire } from './testData';

function update(event: OrderUpdate['event'], overrides: Partial<OrderUpdate> = {}): OrderUpdate {
  return {
    event,
    clientOrderId: 'c1',
    symbol: 'BTC/USDT',
    correlationId: null,
    reason: null,
    side: null,
    lastQuantity: null,
    lastPrice: null,
    cumulativeQuantity: null,
    ts: 0,
    ...overrides,
  };
}

describe('orders', () => {
  it('moves a row to partly filled, then filled, as the cumulative quantity reaches the request', () => {
    let orders = applyOrderUpdate([orderWire()], update('filled', { cumulativeQuantity: '0.01' }));
    expect(orders[0]).toMatchObject({ status: 'partially_filled', filled_qty: '0.01' });
    orders = applyOrderUpdate(orders, update('filled', { cumulativeQuantity: '0.0200' }));
    expect(orders[0]).toMatchObject({ status: 'filled', filled_qty: '0.0200' });
    expect(isOpen(orders[0]!)).toBe(false);
  });

  it('leaves a quote-sized order to the refetch (the event cannot say it is complete)', () => {
    const orders = applyOrderUpdate(
      [orderWire({ requested_qty: null, requested_quote_qty: '100' })],
      update('filled', { cumulativeQuantity: '0.004' }),
    );
    expect(orders[0]).toMatchObject({ status: 'accepted', filled_qty: '0.004' });
  });

  it('never moves a row backwards, nor out of a final state', () => {
    const filled = [orderWire({ status: 'filled' })];
    expect(applyOrderUpdate(filled, update('canceled'))).toBe(filled);
    expect(applyOrderUpdate([orderWire({ status: 'partially_filled' })], update('accepted'))[0]!.status).toBe('partially_filled');
    expect(applyOrderUpdate([orderWire({ status: 'submitted' })], update('accepted'))[0]!.status).toBe('accepted');
  });

  it('keeps the rejection reason the executor gave', () => {
    const orders = applyOrderUpdate([orderWire()], update('rejected', { reason: 'insufficient balance' }));
    expect(orders[0]).toMatchObject({ status: 'rejected', reject_reason: 'insufficient balance' });
  });

  it('ignores events for orders the list does not have yet', () => {
    const orders = [orderWire()];
    expect(applyOrderUpdate(orders, update('accepted', { clientOrderId: 'other' }))).toBe(orders);
  });

  it('sorts newest first', () => {
    const a = orderWire({ id: 'a', created_at: '2026-11-28T12:00:00Z' });
    const b = orderWire({ id: 'b', created_at: '2026-11-28T12:00:01Z' });
    expect(newestFirst([a, b]).map((o) => o.id)).toEqual(['b', 'a']);
  });
});
