import { useEffect, useState } from 'react';
import { useSocket } from '../../app/socket';
import { call } from '../../lib/client';
import { describeSize, formatAmount, formatTime, orderTypeLabel, quoteOf, sideLabel } from './format';
import { applyOrderUpdate, newestFirst, statusLabel, type Order } from './orders';
import { useResource } from './TradingContext';

const PAGE = 50;

/** The user's latest orders; executor events move rows at once, and the list is fetched again after each. */
export function OrdersPanel() {
  const socket = useSocket();
  const loaded = useResource(['orders'], 'orders', (c, signal) =>
    call(c.GET('/api/orders', { params: { query: { limit: PAGE } }, signal })).then((page) => page.data),
  );
  const [live, setLive] = useState<{ base: readonly Order[] | null; orders: readonly Order[] } | null>(null);
  const base = loaded.data;
  const orders = live && live.base === base ? live.orders : (base ?? []);

  useEffect(
    () =>
      socket.onMessage((message) => {
        if (message.type !== 'order') return;
        setLive((current) => {
          const start = current && current.base === base ? current.orders : (base ?? []);
          return { base, orders: applyOrderUpdate(start, message) };
        });
      }),
    [socket, base],
  );

  return (
    <section className="panel orders" aria-labelledby="orders-title">
      <h2 className="panel__title" id="orders-title">
        Orders
      </h2>
      {loaded.error && (
        <p className="form-error" role="alert">
          Orders could not be loaded: {loaded.error.message}
        </p>
      )}
      <div className="table-scroll">
        <table className="table" data-testid="orders">
          <caption className="visually-hidden">Your latest orders, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Symbol</th>
              <th scope="col">Side</th>
              <th scope="col">Type</th>
              <th scope="col">Size</th>
              <th scope="col">Limit</th>
              <th scope="col">Filled</th>
              <th scope="col">Avg price</th>
              <th scope="col">Status</th>
              <th scope="col">Venue</th>
            </tr>
          </thead>
          <tbody>
            {newestFirst(orders).map((o) => (
              <tr key={o.id} data-testid="order-row" data-status={o.status} data-symbol={o.symbol}>
                <td>{formatTime(o.created_at)}</td>
                <td>{o.symbol}</td>
                <td className={`side side--${o.side.toLowerCase()}`}>{sideLabel(o.side)}</td>
                <td>{orderTypeLabel(o.order_type)}</td>
                <td className="num">
                  {describeSize({ symbol: o.symbol, quantity: o.requested_qty, quote_quantity: o.requested_quote_qty })}
                </td>
                <td className="num">{formatAmount(o.limit_price)}</td>
                <td className="num">{formatAmount(o.filled_qty)}</td>
                <td className="num">{formatAmount(o.avg_price, o.avg_price ? quoteOf(o.symbol) : undefined)}</td>
                <td title={o.reject_reason ?? undefined}>
                  {statusLabel(o.status)}
                  {o.reject_reason && <span className="visually-hidden">: {o.reject_reason}</span>}
                </td>
                <td>
                  <span className="venue-tag">{o.venue}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {orders.length === 0 && !loaded.loading && <p className="panel__empty">No orders yet.</p>}
    </section>
  );
}
