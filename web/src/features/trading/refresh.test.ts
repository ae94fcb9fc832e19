import { describe, expect, it } from 'vitest';
import { ALL_RESOURCES, bump, INITIAL_VERSIONS, staleAfter } from './refresh';

describe('what a socket message makes stale', () => {
  it('refetches orders, fills and positions on a fill, and only orders on other order events', () => {
    const base = { clientOrderId: 'c', symbol: 'BTC/USDT', correlationId: null, reason: null, side: null, lastQuantity: null, lastPrice: null, cumulativeQuantity: null, ts: 0 };
    expect(staleAfter({ type: 'order', event: 'filled', ...base })).toEqual(['orders', 'fills', 'positions']);
    expect(staleAfter({ type: 'order', event: 'accepted', ...base })).toEqual(['orders']);
  });

  it('refetches intents on decisions, and everything once signed in on a new connection', () => {
    const d = { intentId: 'i', reason: '', check: null, digest: null, expiresAt: null };
    expect(staleAfter({ type: 'decision', outcome: 'pending', ...d })).toEqual(['intents']);
    expect(staleAfter({ type: 'decision', outcome: 'approved', ...d })).toContain('orders');
    expect(staleAfter({ type: 'authenticated', userId: 'u', expiresAt: 0 })).toEqual(ALL_RESOURCES);
    expect(staleAfter({ type: 'pong' })).toEqual([]);
  });

  it('bumps only the stale versions', () => {
    const next = bump(INITIAL_VERSIONS, ['orders', 'fills']);
    expect(next).toEqual({ ...INITIAL_VERSIONS, orders: 1, fills: 1 });
    expect(bump(next, [])).toBe(next);
  });
});
