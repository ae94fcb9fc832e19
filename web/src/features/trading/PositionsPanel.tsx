import { useEffect } from 'react';
import { call } from '../../lib/client';
import { formatAmount, formatSigned, toneOf } from './format';
import { positionRows, totalPnlText, unpricedMarkets } from './portfolio';
import { useResource } from './TradingContext';

const PNL_REFRESH_MS = 30_000;

/** Holdings per market with realised and unrealised P&L, and the total per quote currency. */
export function PositionsPanel() {
  const positions = useResource(['positions'], 'positions', (c, signal) =>
    call(c.GET('/api/positions', { signal })).then((body) => body.data),
  );
  // Unrealised P&L moves with the price, so it is fetched with positions and again every 30 s.
  const pnl = useResource(['positions', 'fills'], 'pnl', (c, signal) => call(c.GET('/api/pnl', { signal })));
  const reloadPnl = pnl.reload;
  useEffect(() => {
    const timer = setInterval(reloadPnl, PNL_REFRESH_MS);
    return () => clearInterval(timer);
  }, [reloadPnl]);
  const rows = positionRows(positions.data ?? [], pnl.data);
  const total = totalPnlText(pnl.data);
  const unpriced = unpricedMarkets(pnl.data);
  const tone = pnl.data?.totals.length === 1 ? toneOf(pnl.data.totals[0]?.total) : 'flat';
  const error = positions.error ?? pnl.error;

  return (
    <section className="panel positions" aria-labelledby="positions-title" data-testid="positions">
      <div className="panel__toolbar">
        <h2 className="panel__title" id="positions-title">
          Positions &amp; P&amp;L
        </h2>
        <p className="pnl-total">
          Total P&amp;L{' '}
          <strong data-testid="pnl-total" data-tone={tone} className={`tone--${tone}`}>
            {total}
          </strong>
        </p>
      </div>
      {error && (
        <p className="form-error" role="alert">
          Positions could not be loaded: {error.message}
        </p>
      )}
      <div className="table-scroll">
        <table className="table">
          <caption className="visually-hidden">Positions and profit and loss per market</caption>
          <thead>
            <tr>
              <th scope="col">Market</th>
              <th scope="col">Quantity</th>
              <th scope="col">Cost</th>
              <th scope="col">Price</th>
              <th scope="col">Realised</th>
              <th scope="col">Unrealised</th>
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} data-symbol={r.symbol}>
                <td>
                  {r.symbol} <span className="venue-tag">{r.venue}</span>
                </td>
                <td className="num">{formatAmount(r.quantity)}</td>
                <td className="num">{formatAmount(r.quoteSpent, r.quote)}</td>
                <td className="num">{formatAmount(r.price)}</td>
                <td className={`num tone--${toneOf(r.realised)}`}>{formatSigned(r.realised)}</td>
                <td className={`num tone--${toneOf(r.unrealised)}`}>{formatSigned(r.unrealised)}</td>
                <td className={`num tone--${toneOf(r.total)}`}>{formatSigned(r.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length === 0 && !positions.loading && <p className="panel__empty">No positions yet.</p>}
      {unpriced.length > 0 && <p className="panel__foot">Not in the total (no price yet): {unpriced.join(', ')}</p>}
    </section>
  );
}
