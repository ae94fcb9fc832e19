/**
 * The limits form: text fields over /api/limits. Only changed fields are sent (as the exact text
 * typed, so decimals are never rounded), and the server's refusal — "name: reason" — is shown on
 * the field it names.
 */
import type { Schemas } from '../../lib/client';

export type Limits = Schemas['LimitsPublic'];
export type LimitsPatch = Schemas['LimitsPatch'];
export type LimitField = Exclude<keyof Limits & keyof LimitsPatch, 'allowed_symbols'>;

export const LIMIT_FIELDS: readonly { name: LimitField; label: string; integer: boolean }[] = [
  { name: 'max_order_notional', label: 'Max order value (quote)', integer: false },
  { name: 'max_order_quantity', label: 'Max order quantity (base, empty for none)', integer: false },
  { name: 'max_position_notional', label: 'Max position value (quote)', integer: false },
  { name: 'max_total_exposure', label: 'Max total exposure (quote)', integer: false },
  { name: 'daily_loss_limit', label: 'Daily loss limit (quote)', integer: false },
  { name: 'max_open_orders', label: 'Max open orders', integer: true },
  { name: 'max_intents_per_minute', label: 'Max proposals per minute', integer: true },
  { name: 'max_orders_per_minute', label: 'Max orders per minute', integer: true },
  { name: 'price_collar_pct', label: 'Price collar (%)', integer: false },
  { name: 'cumulative_collar_pct', label: 'Cumulative collar (%)', integer: false },
  { name: 'collar_window_s', label: 'Collar window (s)', integer: true },
  { name: 'reference_max_age_s', label: 'Max reference price age (s)', integer: true },
  { name: 'rule_max_executions', label: 'Rule executions per window', integer: true },
  { name: 'rule_window_s', label: 'Rule window (s)', integer: true },
  { name: 'duplicate_window_s', label: 'Duplicate window (s)', integer: true },
  { name: 'approval_ttl_s', label: 'Approval time limit (s)', integer: true },
  { name: 'approval_max_move_pct', label: 'Max price move before approval (%)', integer: false },
];

export type LimitsDraft = Record<LimitField, string>;

export function draftOf(limits: Limits): LimitsDraft {
  const draft = {} as LimitsDraft;
  for (const { name } of LIMIT_FIELDS) {
    const value = limits[name];
    draft[name] = value === null ? '' : String(value);
  }
  return draft;
}

/**
 * The fields that differ from the saved limits. Integers go as numbers (the API wants ints); a
 * non-integer is sent as typed so the server names the field. Decimals go as strings.
 */
export function changedLimits(saved: Limits, draft: LimitsDraft): LimitsPatch {
  const patch: Record<string, unknown> = {};
  const before = draftOf(saved);
  for (const { name, integer } of LIMIT_FIELDS) {
    const text = draft[name].trim();
    if (text === before[name]) continue;
    if (name === 'max_order_quantity' && text === '') patch[name] = null;
    else patch[name] = integer && /^\d+$/.test(text) ? Number(text) : text;
  }
  return patch as LimitsPatch;
}

/** "max_order_notional: expected a positive amount…" → that field and its reason; null if it names none. */
export function fieldError(message: string): { field: LimitField | 'allowed_symbols'; reason: string } | null {
  const match = /^([a-z_]+(?:\.[a-z_0-9]+)*):\s*(.*)$/s.exec(message);
  if (!match) return null;
  const field = (match[1] as string).split('.')[0] as string;
  const known = field === 'allowed_symbols' || LIMIT_FIELDS.some((f) => f.name === field);
  return known ? { field: field as LimitField, reason: match[2] as string } : null;
}
