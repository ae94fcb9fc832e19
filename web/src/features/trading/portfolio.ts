/**
 * Positions with their P&L: one row per market, joined from /api/positions and /api/pnl, and the
 * totals per quote currency (they are never added across currencies).
 */
import type { Schemas } from '../../lib/client';
import { formatSigned } from './format';

export type Position = Schemas['PositionPublic'];
export type Pnl = Schemas['PnlPublic'];

export interface PositionRow {
  key: string;
  venue: string;
  symbol: string;
  quantity: string;
  quoteSpent: string;
  quote: string;
  price: string | null;
  realised: string | null;
  unrealised: string | null;
  total: string | null;
}

function marketKey(venue: string, symbol: string): string {
  return `${venue}|${symbol}`;
}

/** Every market with a position or some P&L, positions first in the order the API sent them. */
export function positionRows(positions: readonly Position[], pnl: Pnl | null): PositionRow[] {
  const markets = new Map((pnl?.markets ?? []).map((m) => [marketKey(m.venue, m.symbol), m]));
  const rows: PositionRow[] = positions.map((p) => {
    const key = marketKey(p.venue, p.symbol);
    const m = markets.get(key);
    markets.delete(key);
    return {
      key,
      venue: p.venue,
      symbol: p.symbol,
      quantity: p.quantity,
      quoteSpent: p.quote_spent,
      quote: m?.quote ?? p.symbol.split('/')[1] ?? '',
      price: m?.price ?? null,
      realised: m?.realised ?? null,
      unrealised: m?.unrealised ?? null,
      total: m?.total ?? null,
    };
  });
  // Closed positions still carry realised P&L.
  for (const [key, m] of markets) {
    rows.push({
      key,
      venue: m.venue,
      symbol: m.symbol,
      quantity: m.quantity,
      quoteSpent: '0',
      quote: m.quote,
      price: m.price,
      realised: m.realised,
      unrealised: m.unrealised,
      total: m.total,
    });
  }
  return rows;
}

/** "+12.5 USDT · -3 EUR"; "0" when there is nothing yet. */
export function totalPnlText(pnl: Pnl | null): string {
  const totals = pnl?.totals ?? [];
  if (totals.length === 0) return '0';
  return totals.map((t) => formatSigned(t.total, t.quote)).join(' · ');
}

/** Markets the total leaves out because they have no price yet (the UI says so rather than hide it). */
export function unpricedMarkets(pnl: Pnl | null): string[] {
  return (pnl?.totals ?? []).flatMap((t) => t.unpriced);
}
