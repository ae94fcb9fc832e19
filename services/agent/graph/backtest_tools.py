"""``backtest_rule``: a rule (a new definition or one of the user's) over stored candles.

It runs ``backtest.stored.backtest_stored``, the engine the benchmarks check, on a bounded
window, and answers with the figures a trader asks for and a short equity curve. A backtest is
long-only spot: sell and limit rules are refused with the reason (``BacktestRule.from_command``).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import AwareDatetime, Field, model_validator

from services.agent.backtest.engine import DEFAULT_CASH, Settings
from services.agent.backtest.result import BacktestResult, Trade
from services.agent.backtest.rule import BacktestRule, ExitPolicy
from services.agent.backtest.stored import CandleSource, backtest_stored
from services.agent.graph.market_tools import require_known
from services.agent.graph.rule_tools import RuleArgs
from services.agent.graph.tools import GraphTool, JsonValue, Refused, Tool, ToolArgs, ToolResult, ToolScope
from services.agent.graph.users import account_of
from services.agent.parser.model import Bounded, OrderCommand, Series
from services.agent.rules.book import NoSuchRule, RuleBook
from shared.domain.intervals import Interval
from shared.messages.base import plain_decimal, utc_now

MAX_BACKTEST_CANDLES = 200_000
"""Candles one call may read: about 140 days of minutes, years of hours; more would stall a chat."""
MAX_DAYS = 3660
CURVE_POINTS = 60
"""Equity points returned: enough to describe the curve's shape, few enough for a model's context."""
TRADES_SHOWN = 10
DEFAULT_INTERVAL = Interval.H1


class BacktestArgs(ToolArgs):
    rule_id: uuid.UUID | None = Field(None, description="One of the user's rules (from list_rules).")
    rule: RuleArgs | None = Field(None, description="Or a new rule, in create_rule's shape.")
    interval: Interval | None = Field(
        None, description="Candles to test on; by default the chart the conditions read, else 1h."
    )
    start: AwareDatetime | None = Field(None, description="Window start (ISO 8601 with offset).")
    end: AwareDatetime | None = Field(None, description="Window end; now when absent.")
    days: int = Field(30, ge=1, le=MAX_DAYS, description="Window length when start is absent.")
    take_profit: Bounded | None = Field(None, description="Exit at entry * (1 + this), e.g. 0.05.")
    stop_loss: Bounded | None = Field(None, lt=1, description="Exit at entry * (1 - this), e.g. 0.02.")
    hold_candles: int | None = Field(None, ge=1, le=MAX_BACKTEST_CANDLES, description="Exit after this many.")
    cash: Bounded = Field(DEFAULT_CASH, description="Starting cash in the quote asset.")

    @model_validator(mode="after")
    def _one_rule(self) -> BacktestArgs:
        if (self.rule_id is None) == (self.rule is None):
            raise ValueError("expected exactly one of rule_id or rule")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError("expected start before end")
        return self

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        end = self.end or now
        return self.start or end - timedelta(days=self.days), end


def chart_of(command: OrderCommand) -> Interval | None:
    """The one chart interval ``command``'s conditions read (None for price-only); refuse two."""
    parts: list[Series] = [*command.conditions]
    parts += [c.value for c in command.conditions if isinstance(c.value, Series)]
    charts = {p.interval for p in parts if p.interval is not None}
    if len(charts) > 1:
        raise Refused(f"the conditions read several charts ({', '.join(sorted(charts))}): backtest one")
    return charts.pop() if charts else None


def result_view(result: BacktestResult) -> dict[str, JsonValue]:
    """The figures for the model: money as decimal strings, ratios as floats, last trades, a short curve."""
    return {
        "candles": result.candles,
        "initial_cash": plain_decimal(result.initial_cash),
        "final_equity": plain_decimal(result.final_equity),
        "total_return": result.total_return,
        "max_drawdown": result.max_drawdown,
        "trade_count": result.trade_count,
        "win_rate": result.win_rate,
        "skipped_entries": result.skipped_entries,
        "last_trades": [_trade(t) for t in result.trades[-TRADES_SHOWN:]],
        "equity_curve": [{"t": p.time.isoformat(), "equity": p.equity} for p in result.equity_curve],
    }


def _trade(trade: Trade) -> dict[str, JsonValue]:
    return {
        "entry_time": trade.entry_time.isoformat(),
        "entry_price": plain_decimal(trade.entry_price),
        "quantity": plain_decimal(trade.quantity),
        "exit_time": None if trade.exit_time is None else trade.exit_time.isoformat(),
        "exit_price": plain_decimal(trade.exit_price),
        "pnl": plain_decimal(trade.pnl),
        "exit_reason": str(trade.exit_reason),
    }


def backtest_tools(
    candles: CandleSource, book: RuleBook, venue: str, symbols: Collection[str]
) -> list[GraphTool]:
    """Return ``backtest_rule`` over stored candles; a rule id must be one of the scope user's."""

    async def command_of(args: BacktestArgs, scope: ToolScope) -> OrderCommand:
        if args.rule is not None:
            return args.rule.command()
        assert args.rule_id is not None  # the arguments model requires one of the two
        try:
            record = await book.owned(account_of(scope.user_id), args.rule_id)
        except NoSuchRule as e:
            raise Refused(str(e)) from e
        return OrderCommand.model_validate(record.definition)

    async def backtest_rule(args: BacktestArgs, scope: ToolScope) -> ToolResult:
        command = await command_of(args, scope)
        symbol = require_known(command.symbol, symbols)
        interval = args.interval or chart_of(command) or DEFAULT_INTERVAL
        start, end = args.window(utc_now())
        if (end - start) / timedelta(milliseconds=interval.milliseconds) > MAX_BACKTEST_CANDLES:
            raise Refused(
                f"the window holds more than {MAX_BACKTEST_CANDLES:,} {interval} candles: "
                "shorten it or use a longer interval"
            )
        settings = Settings(cash=Decimal(args.cash), curve_points=CURVE_POINTS)
        try:
            policy = ExitPolicy(
                take_profit=args.take_profit, stop_loss=args.stop_loss, hold_candles=args.hold_candles
            )
            rule = BacktestRule.from_command(command, policy)
            result = await backtest_stored(candles, rule, venue, symbol, interval, start, end, settings)
        except ValueError as e:
            raise Refused(str(e)) from e
        window: dict[str, JsonValue] = {
            "symbol": symbol,
            "interval": str(interval),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "fee_per_side": plain_decimal(settings.costs.fee),
        }
        return ToolResult({**window, **result_view(result)})

    return [
        Tool(
            "backtest_rule",
            "Backtest a buy rule (new, or one of the user's by id) over stored candles: return, max "
            "drawdown, trades, win rate, equity curve. Long-only, filled at the next candle's open.",
            BacktestArgs,
            backtest_rule,
        )
    ]


__all__ = [
    "CURVE_POINTS",
    "MAX_BACKTEST_CANDLES",
    "BacktestArgs",
    "backtest_tools",
    "chart_of",
    "result_view",
]
