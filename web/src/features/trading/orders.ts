/**
 * The orders table: the REST list is the truth, and the executor's events on the socket move a
 * row along at once (the list is fetched again after every event, which settles anything the
 * event alone cannot say — e.g. whether a quote-sized order is fully filled).
 */
import { compareDecimal } from '../../lib/decimal';
import type { OrderUpdate } from '../../lib/protocol';
import type { Schemas } from '../../lib/client';

export type Order = Schemas['OrderPublic'];
export type OrderStatus = Schemas['OrderStatus'];

const TERMINAL: ReadonlySet<OrderStatus> = new Set(['filled', 'canceled', 'rejected', 'expired']);

export function isOpen(order: Pick<Order, 'status'>): boolean {
  return !TERMINAL.has(order.status);
}

function statusAfter(order: Order, update: OrderUpdate): OrderStatus {
  switch (update.event) {
    case 'submitted':
    case 'accepted':
      // Events can arrive after a later state the list already shows; never move a row backwards.
      return order.status === 'initialized' || order.status === 'submitted' ? update.event : order.status;
    case 'filled': {
      if (order.requested_qty === null || update.cumulativeQuantity === null) return order.status;
      return compareDecimal(update.cumulativeQuantity, order.requested_qty) >= 0 ? 'filled' : 'partially_filled';
    }
    case 'rejected':
    case 'canceled':
    case 'expired':
      return update.event;
  }
}

/** The list with the event applied to its order (matched by client order id); unknown orders wait for the refetch. */
export function applyOrderUpdate(orders: readonly Order[], update: OrderUpdate): readonly Order[] {
  const index = orders.findIndex((o) => o.client_order_id === update.clientOrderId);
  if (index < 0) return orders;
  const order = orders[index] as Order;
  if (TERMINAL.has(order.status)) return orders;
  const next: Order = {
    ...order,
    status: statusAfter(order, update),
    filled_qty: update.event === 'filled' && update.cumulativeQuantity !== null ? update.cumulativeQuantity : order.filled_qty,
    reject_reason: update.event === 'rejected' ? (update.reason ?? order.reject_reason) : order.reject_reason,
  };
  const copy = orders.slice();
  copy[index] = next;
  return copy;
}

/** Newest first (the API's ISO timestamps sort as text). */
export function newestFirst(orders: readonly Order[]): Order[] {
  return orders.slice().sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
}

const STATUS_LABELS: Record<OrderStatus, string> = {
  initialized: 'New',
  submitted: 'Submitted',
  accepted: 'Open',
  partially_filled: 'Partly filled',
  filled: 'Filled',
  pending_cancel: 'Cancelling',
  canceled: 'Canceled',
  rejected: 'Rejected',
  expired: 'Expired',
};

export function statusLabel(status: OrderStatus): string {
  return STATUS_LABELS[status] ?? status;
}
