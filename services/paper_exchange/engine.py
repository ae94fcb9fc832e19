"""The trading engine: places, fills, cancels and expires orders, moving balances exactly.

Each event (an order placed, a resting order filled by a simulated trade, a cancel) is applied
to the in-memory state and written to the store in one transaction; the user data events are
sent only after the commit, so a client never hears of something a crash could undo. Order and
user-event times are wall-clock milliseconds, the clock clients sign with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from services.paper_exchange import matching
from services.paper_exchange.accounts import Account, Accounts
from services.paper_exchange.clock import wall_ms
from services.paper_exchange.errors import BinanceError
from services.paper_exchange.markets import SymbolSpec
from services.paper_exchange.model import Fill, Order
from services.paper_exchange.orders import STOP_TYPES, OrderRequest
from services.paper_exchange.reports import account_position, execution_report
from services.paper_exchange.simulator import SymbolMarket, Trade
from services.paper_exchange.store import Store
from shared.config.settings import PaperExchangeSettings

Notify = Callable[[str, list[dict[str, Any]]], None]
"""Send an account's user data events (by API key)."""

INSUFFICIENT = "Account has insufficient balance for requested action."


def rejected(msg: str) -> BinanceError:
    return BinanceError(-2010, msg)


class Engine:
    def __init__(
        self, settings: PaperExchangeSettings, markets: dict[str, SymbolMarket], store: Store, notify: Notify
    ) -> None:
        self.markets = markets
        self.store = store
        self.accounts = Accounts(store)
        self.notify = notify
        self.rate = settings.paper_commission_rate
        self.bps = settings.paper_slippage_bps
        self.share = settings.paper_fill_share
        self.open: dict[str, dict[int, Order]] = {symbol: {} for symbol in markets}
        self.last_order_id, self.last_trade_id = store.last_ids()
        self._execution_id = 0
        for order in store.open_orders():
            self.open.setdefault(order.symbol, {})[order.order_id] = order
        self._events: dict[str, list[dict[str, Any]]] = {}

    # -- placing ---------------------------------------------------------------------------------

    def place(self, account: Account, request: OrderRequest) -> tuple[Order, list[Fill]]:
        """Accept ``request`` or raise the -2010 Binance would; return the order and its fills."""
        if any(o.client_order_id == request.client_order_id and o.api_key == account.api_key
               for o in self.open[request.symbol].values()):  # fmt: skip
            raise rejected("Duplicate order sent.")
        market = self.markets[request.symbol]
        spec = market.spec
        now = wall_ms()
        self.last_order_id += 1
        order = Order(
            self.last_order_id, account.api_key, spec.symbol, request.client_order_id, request.side,
            request.type, request.time_in_force, request.price, request.quantity, request.quote_order_qty,
            request.stop_price, now, update_time=now, working_time=now,
        )  # fmt: skip
        try:
            takes = self._admit(account, order, market)
        except BinanceError:
            self.last_order_id -= 1
            raise
        if order.type == "MARKET" and request.quote_order_qty:
            order.orig_qty = sum((q for _, q in takes), Decimal(0))
        with self.store.transaction():
            if order.type != "MARKET":
                asset, amount = (spec.quote, order.price * order.orig_qty) if order.side == "BUY" else (
                    spec.base, order.orig_qty)  # fmt: skip
                order.locked, order.locked_asset = amount, asset
                self.accounts.lock(account, asset, amount)
            self._report(order, "NEW", now)
            fills = [self._fill(account, order, price, qty, False, now) for price, qty in takes]
            if order.is_open and (order.type == "MARKET" or order.time_in_force != "GTC"):
                self._finish(account, order, "EXPIRED", now)
            elif order.is_open:
                self.open[spec.symbol][order.order_id] = order
            self.store.save_order(order)
        self._flush(account, now)
        return order, fills

    def _admit(self, account: Account, order: Order, market: SymbolMarket) -> list[matching.Take]:
        """Check the order against the book and balances; return what it takes on arrival."""
        spec = market.spec
        (bid, _), (ask, _) = market.book.top()
        bids, asks = market.book.depth(len(market.book.bids))
        levels = asks if order.side == "BUY" else bids
        take = dict(step=spec.step_size, tick=spec.tick_size, bps=self.bps)
        if order.type == "MARKET":
            takes = matching.take_book(
                levels, order.side, quantity=order.orig_qty, quote=order.quote_order_qty, **take
            )
            if order.side == "BUY":
                need, have = (
                    sum((p * q for p, q in takes), Decimal(0)),
                    self.accounts.free(account, spec.quote),
                )
            else:
                need, have = sum((q for _, q in takes), Decimal(0)), self.accounts.free(account, spec.base)
            if need > have:
                raise rejected(INSUFFICIENT)
            return takes
        lock = order.price * order.orig_qty if order.side == "BUY" else order.orig_qty
        if lock > self.accounts.free(account, spec.quote if order.side == "BUY" else spec.base):
            raise rejected(INSUFFICIENT)
        if order.type in STOP_TYPES:
            if matching.triggered(order.type, order.side, order.stop_price, market.last_price):
                raise rejected("Stop price would trigger immediately.")
            order.working_time = -1
            return []
        if not matching.crosses(order.side, order.price, ask if order.side == "BUY" else bid):
            return []
        if order.type == "LIMIT_MAKER":
            raise rejected("Order would immediately match and take.")
        takes = matching.take_book(levels, order.side, quantity=order.orig_qty, limit=order.price, **take)
        if order.time_in_force == "FOK" and sum(q for _, q in takes) < order.orig_qty:
            return []  # expires unfilled
        return takes

    # -- filling ---------------------------------------------------------------------------------

    def _fill(
        self, account: Account, order: Order, price: Decimal, qty: Decimal, maker: bool, now: int
    ) -> Fill:
        spec = self.markets[order.symbol].spec
        quote = price * qty
        if order.side == "BUY":
            fee, fee_asset = matching.commission(qty, self.rate), spec.base
            self._pay(account, order, spec.quote, order.price * qty if order.locked_asset else quote, quote)
            self.accounts.credit(account, spec.base, qty - fee)
        else:
            fee, fee_asset = matching.commission(quote, self.rate), spec.quote
            self._pay(account, order, spec.base, qty, qty)
            self.accounts.credit(account, spec.quote, quote - fee)
        order.executed_qty += qty
        order.cumm_quote += quote
        order.status = "FILLED" if order.executed_qty == order.orig_qty else "PARTIALLY_FILLED"
        order.update_time = now
        self.last_trade_id += 1
        fill = Fill(self.last_trade_id, order.order_id, account.api_key, order.symbol, order.side, price, qty,
                    quote, fee, fee_asset, now, maker)  # fmt: skip
        self.store.add_fill(fill)
        if order.status == "FILLED":
            self._release_rest(account, order)
            self.open[order.symbol].pop(order.order_id, None)
        self._report(order, "TRADE", now, fill)
        return fill

    def _pay(self, account: Account, order: Order, asset: str, unlock: Decimal, spent: Decimal) -> None:
        if order.locked_asset:
            order.locked -= unlock
            self.accounts.release(account, asset, unlock, spent)
        else:
            self.accounts.credit(account, asset, -spent)

    def _release_rest(self, account: Account, order: Order) -> None:
        if order.locked_asset and order.locked:
            self.accounts.release(account, order.locked_asset, order.locked)
            order.locked = Decimal(0)

    def _finish(
        self, account: Account, order: Order, status: str, now: int, client_id: str | None = None
    ) -> None:
        order.status, order.update_time = status, now
        self._release_rest(account, order)
        self.open[order.symbol].pop(order.order_id, None)
        self._report(order, "CANCELED" if status == "CANCELED" else "EXPIRED", now, client_id=client_id)

    def on_trades(self, symbol: str, trades: list[Trade]) -> None:
        """Fill, trigger and expire the resting orders of ``symbol`` against new simulated trades."""
        resting = self.open.get(symbol)
        if not resting or not trades:
            return
        low, high = min(t.price for t in trades), max(t.price for t in trades)
        touched: set[str] = set()
        now = wall_ms()
        with self.store.transaction():
            for order in list(resting.values()):
                if order.is_working and not matching.crosses(
                    order.side, order.price, low if order.side == "BUY" else high
                ):
                    continue
                if self._match(order, trades, now):
                    self.store.save_order(order)
                    touched.add(order.api_key)
        for key in touched:
            self._flush(self.accounts.by_key[key], now)

    def _match(self, order: Order, trades: Iterable[Trade], now: int) -> bool:
        account = self.accounts.by_key[order.api_key]
        spec = self.markets[order.symbol].spec
        changed = False
        for trade in trades:
            if not order.is_working:
                if not matching.triggered(order.type, order.side, order.stop_price, trade.price):
                    continue
                order.working_time = order.update_time = now
                self._report(order, "NEW", now)  # Binance reports the triggered order as working
                changed = True
            if matching.crosses(order.side, order.price, trade.price):
                qty = matching.resting_fill(order.remaining, trade.quantity, self.share, spec.step_size)
                if qty > 0:
                    self._fill(account, order, order.price, qty, True, now)
                    changed = True
            if not order.is_open:
                break
        return changed

    # -- cancelling ------------------------------------------------------------------------------

    def cancel(self, account: Account, order: Order, client_id: str) -> Order:
        live = self.open[order.symbol].get(order.order_id)
        if live is None:
            raise BinanceError(-2011, "Unknown order sent.")
        now = wall_ms()
        with self.store.transaction():
            self._finish(account, live, "CANCELED", now, client_id)
            self.store.save_order(live)
        self._flush(account, now)
        return live

    def open_orders(self, account: Account, symbol: str | None) -> list[Order]:
        books = [self.open[symbol]] if symbol else list(self.open.values())
        return sorted((o for book in books for o in book.values() if o.api_key == account.api_key),
                      key=lambda o: o.order_id)  # fmt: skip

    # -- events ----------------------------------------------------------------------------------

    def _report(self, order: Order, execution: str, now: int, fill: Fill | None = None,
                client_id: str | None = None) -> None:  # fmt: skip
        self._execution_id += 1
        event = execution_report(order, execution, now, self._execution_id, fill, client_id)
        self._events.setdefault(order.api_key, []).append(event)

    def _flush(self, account: Account, now: int) -> None:
        events = self._events.pop(account.api_key, [])
        balances = self.accounts.take_touched(account)
        if balances:
            events.append(account_position(now, balances))
        if events:
            self.notify(account.api_key, events)

    def spec(self, symbol: str) -> SymbolSpec:
        return self.markets[symbol].spec
