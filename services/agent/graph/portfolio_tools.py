"""Read-only account tools: ``portfolio`` (balances, positions with P&L, total value) and ``open_orders``.

Everything is read for the scope's user under their own claims (``AccountReader``), so row-level
security holds even if a query here were wrong. Prices are the latest stored closes; an asset
without one is listed as unpriced rather than valued at a guess. P&L comes from
``shared.domain.pnl``, the same arithmetic as the web app's, so chat and screen agree.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from pydantic import Field

from services.agent.backtest.result import money
from services.agent.graph.market_tools import require_known
from services.agent.graph.tools import GraphTool, JsonValue, Tool, ToolArgs, ToolResult, ToolScope
from services.agent.graph.users import account_of
from services.agent.market import MarketReader
from shared.db.models.orders import Fill, Order
from shared.db.repositories.accounts import AccountReader
from shared.domain.pnl import FillLine, Mark, PositionLine, cost_bases, market_pnl
from shared.domain.symbols import Symbol
from shared.messages.base import plain_decimal

VALUATION_ASSET = "USDT"
PRICE_INTERVALS = ("1m", "1h")
"""Where the latest price is looked for: the newest minute, else the newest hour."""


class PortfolioArgs(ToolArgs):
    pass


class OpenOrdersArgs(ToolArgs):
    symbol: Symbol | None = Field(None, description="Only this market, e.g. BTC/USDT; all when absent.")


async def latest_mark(market: MarketReader, venue: str, symbol: str) -> Mark | None:
    """The newest stored close of ``symbol`` and when it closed, or None when nothing is stored."""
    for interval in PRICE_INTERVALS:
        candles = await market.recent(venue, symbol, interval, 1)
        if candles:
            return Mark(candles[-1].close, candles[-1].close_time)
    return None


async def latest_price(market: MarketReader, venue: str, symbol: str) -> Decimal | None:
    """The newest stored close of ``symbol``, or None when nothing is stored."""
    mark = await latest_mark(market, venue, symbol)
    return None if mark is None else mark.price


def fill_line(fill: Fill) -> FillLine:
    return FillLine(
        fill.venue, fill.symbol, fill.side, fill.quantity, fill.price, fill.commission, fill.commission_asset
    )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else plain_decimal(value)


def order_view(order: Order) -> dict[str, JsonValue]:
    """What the model (and the user) needs of an order; decimals as strings."""
    return {
        "id": str(order.id),
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side,
        "type": order.order_type,
        "status": order.status,
        "quantity": _text(order.requested_qty),
        "quote_quantity": _text(order.requested_quote_qty),
        "limit_price": _text(order.limit_price),
        "filled": plain_decimal(order.filled_qty),
        "average_price": _text(order.avg_price),
        "created_at": order.created_at.isoformat(),
    }


def portfolio_tools(
    accounts: AccountReader, market: MarketReader, venue: str, symbols: Collection[str]
) -> list[GraphTool]:
    """Return ``portfolio`` and ``open_orders`` over the scope user's account on ``venue``."""

    async def price_of(asset: str) -> Decimal | None:
        if asset == VALUATION_ASSET:
            return Decimal(1)
        return await latest_price(market, venue, f"{asset}/{VALUATION_ASSET}")

    async def portfolio(_: PortfolioArgs, scope: ToolScope) -> ToolResult:
        user = account_of(scope.user_id)
        balances = await accounts.balances(user, venue)
        positions = await accounts.positions(user, venue)
        total = Decimal(0)
        unpriced: list[JsonValue] = []
        balance_rows: list[JsonValue] = []
        for balance in balances:
            price = await price_of(balance.asset)
            held = balance.free + balance.locked
            value = None if price is None else money(held * price)
            if value is None:
                unpriced.append(balance.asset)
            else:
                total += value
            balance_rows.append(
                {
                    "asset": balance.asset,
                    "free": plain_decimal(balance.free),
                    "locked": plain_decimal(balance.locked),
                    f"value_{VALUATION_ASSET.lower()}": _text(value),
                }
            )
        fills = await accounts.fills(user, venue, [p.symbol for p in positions]) if positions else []
        lines = [fill_line(f) for f in fills]
        bases = cost_bases(lines)
        marks: dict[tuple[str, str], Mark] = {}
        for position in positions:
            mark = await latest_mark(market, venue, position.symbol)
            if mark is not None:
                marks[(venue, position.symbol)] = mark
        holdings = [PositionLine(venue, p.symbol, p.quantity, p.quote_spent) for p in positions]
        position_rows: list[JsonValue] = []
        for pnl in market_pnl(holdings, lines, marks):
            basis = bases.get((venue, pnl.symbol))
            average = None if basis is None else basis.average_price
            position_rows.append(
                {
                    "symbol": pnl.symbol,
                    "quantity": plain_decimal(pnl.quantity),
                    "average_price": None if average is None else plain_decimal(money(average)),
                    "realised_pnl": plain_decimal(money(pnl.realised)),
                    "unrealised_pnl": None
                    if pnl.unrealised is None
                    else plain_decimal(money(pnl.unrealised)),
                    "last_price": _text(pnl.price),
                }
            )
        return ToolResult(
            {
                "venue": venue,
                "balances": balance_rows,
                "positions": position_rows,
                f"total_value_{VALUATION_ASSET.lower()}": plain_decimal(total),
                "unpriced_assets": unpriced,
            }
        )

    async def open_orders(args: OpenOrdersArgs, scope: ToolScope) -> ToolResult:
        symbol = None if args.symbol is None else require_known(args.symbol, symbols)
        orders = await accounts.open_orders(account_of(scope.user_id), venue, symbol)
        rows: list[JsonValue] = [order_view(order) for order in orders]
        return ToolResult({"venue": venue, "symbol": symbol, "orders": rows})

    return [
        Tool(
            "portfolio",
            "The user's balances (free/locked), positions with average price and realised/unrealised "
            f"P&L, and total value in {VALUATION_ASSET} at the latest prices.",
            PortfolioArgs,
            portfolio,
        ),
        Tool("open_orders", "The user's orders still open at the venue.", OpenOrdersArgs, open_orders),
    ]


__all__ = ["VALUATION_ASSET", "latest_price", "order_view", "portfolio_tools"]
