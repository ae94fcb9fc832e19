import { describe, expect, it } from 'vitest';
import { changedLimits, draftOf, fieldError, type Limits } from './limitsForm';

const saved: Limits = {
  allowed_symbols: null,
  max_order_notional: '1000',
  max_order_quantity: null,
  max_position_notional: '5000',
  max_total_exposure: '10000',
  max_open_orders: 10,
  max_intents_per_minute: 6,
  max_orders_per_minute: 6,
  price_collar_pct: '5',
  cumulative_collar_pct: '10',
  collar_window_s: 300,
  reference_max_age_s: 30,
  rule_max_executions: 5,
  rule_window_s: 3600,
  daily_loss_limit: '500',
  duplicate_window_s: 10,
  approval_ttl_s: 120,
  approval_max_move_pct: '1',
};

describe('limits form', () => {
  it('sends only the changed fields: decimals as typed, integers as numbers', () => {
    const draft = { ...draftOf(saved), max_order_notional: '1500.125', max_open_orders: '12', max_order_quantity: '0.5' };
    expect(changedLimits(saved, draft)).toEqual({ max_order_notional: '1500.125', max_open_orders: 12, max_order_quantity: '0.5' });
    expect(changedLimits(saved, draftOf(saved))).toEqual({});
  });

  it('clears the optional quantity cap with an empty field, and lets the server judge a bad integer', () => {
    const withCap = { ...saved, max_order_quantity: '2' };
    expect(changedLimits(withCap, { ...draftOf(withCap), max_order_quantity: '' })).toEqual({ max_order_quantity: null });
    expect(changedLimits(saved, { ...draftOf(saved), max_open_orders: '2.5' })).toEqual({ max_open_orders: '2.5' });
  });

  it('finds the field a server refusal names', () => {
    expect(fieldError('max_order_notional: expected a positive amount below 1e20, was -1')).toEqual({
      field: 'max_order_notional',
      reason: 'expected a positive amount below 1e20, was -1',
    });
    expect(fieldError('max_open_orders: Input should be a valid integer')?.field).toBe('max_open_orders');
    expect(fieldError('expected at least one limit to change')).toBeNull();
    expect(fieldError('password: too short')).toBeNull();
  });
});
