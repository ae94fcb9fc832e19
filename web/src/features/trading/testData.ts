/** Wire-shaped API objects for the trading tests (one place, so a schema change breaks loudly). */
import type { Schemas } from '../../lib/client';

export function intentWire(overrides: Partial<Schemas['IntentPublic']> = {}): Schemas['IntentPublic'] {
  return {
    intent_id: 'i1',
    source: 'model',
    rule_id: null,
    venue: 'paper',
    symbol: 'BTC/USDT',
    side: 'buy',
    order_type: 'limit',
    quantity: '0.01000000',
    quote_quantity: null,
    limit_price: '23142.31',
    digest: 'd'.repeat(64),
    reference_price: '23140.00',
    status: 'pending',
    check: null,
    reason: null,
    decided_by: null,
    created_at: '2026-11-28T12:00:00Z',
    decided_at: null,
    expires_at: '2026-11-28T12:05:00Z',
    client_order_id: null,
    ...overrides,
  };
}

export function orderWire(overrides: Partial<Schemas['OrderPublic']> = {}): Schemas['OrderPublic'] {
  return {
    id: 'o1',
    venue: 'paper',
    symbol: 'BTC/USDT',
    side: 'buy',
    order_type: 'market',
    time_in_force: null,
    intent_id: 'i1',
    client_order_id: 'c1',
    requested_qty: '0.02',
    requested_quote_qty: null,
    limit_price: null,
    status: 'accepted',
    reject_reason: null,
    venue_order_id: 'v1',
    filled_qty: '0',
    filled_quote_qty: '0',
    avg_price: null,
    created_at: '2026-11-28T12:00:00Z',
    updated_at: '2026-11-28T12:00:00Z',
    ...overrides,
  };
}
