"""Rules from parsed commands (and what is refused), the drawdown, and the chart's sample."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from services.agent.backtest.curve import downsample, max_drawdown
from services.agent.backtest.rule import BINANCE_SPOT_FEE, BacktestRule, Costs, ExitPolicy, Sizing
from services.agent.parser import parse_command
from services.agent.parser.model import OrderCommand


def command(text: str) -> OrderCommand:
    parsed = parse_command(text)
    assert isinstance(parsed, OrderCommand)
    return parsed


def test_a_parsed_conditional_buy_becomes_a_rule_held_to_the_end_by_default() -> None:
    rule = BacktestRule.from_command(command("buy 0.5 BTC if RSI < 30"))
    assert rule.sizing == Sizing(amount=Decimal("0.5"))
    assert [(c.indicator, c.op, c.value) for c in rule.entry] == [("rsi", "<", Decimal(30))]
    assert rule.exit == ExitPolicy()
    spend = BacktestRule.from_command(command("buy 100 USDT of BTC when price crosses above 30000"))
    assert spend.sizing == Sizing(quote_amount=Decimal(100))
    assert Costs().fee == BINANCE_SPOT_FEE == Decimal("0.001")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("buy 0.5 BTC", "only a conditional order"),
        ("sell 0.5 BTC if RSI > 70", "only buy rules"),
        ("buy 0.5 BTC at 25000 if RSI < 30", "only market orders"),
    ],
)
def test_what_cannot_be_backtested_says_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        BacktestRule.from_command(command(text))


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Sizing(amount=Decimal(1), quote_amount=Decimal(1))
    with pytest.raises(ValueError, match="no margin"):
        Sizing(cash_fraction=Decimal("1.5"))
    with pytest.raises(ValueError, match="stop-loss"):
        ExitPolicy(stop_loss=Decimal(1))
    with pytest.raises(ValueError, match="hold_candles"):
        ExitPolicy(hold_candles=0)
    with pytest.raises(ValueError, match="slippage"):
        Costs(slippage_bps=Decimal(-1))


def test_drawdown_is_the_deepest_fall_from_a_running_peak() -> None:
    assert max_drawdown(np.array([100.0, 120.0, 90.0, 130.0, 104.0])) == pytest.approx(0.25)
    assert max_drawdown(np.array([100.0, 101.0, 102.0])) == 0.0
    assert max_drawdown(np.array([], dtype=np.float64)) == 0.0


def test_the_chart_sample_is_short_and_keeps_every_extreme() -> None:
    rng = np.random.default_rng(3)
    equity = 1_000 + np.cumsum(rng.normal(0, 1, 100_000))
    kept = downsample(equity, 500)
    assert kept.size <= 500
    assert kept[0] == 0 and kept[-1] == equity.size - 1
    assert (np.diff(kept) > 0).all()
    assert int(np.argmin(equity)) in kept and int(np.argmax(equity)) in kept
    assert max_drawdown(equity[kept]) == pytest.approx(max_drawdown(equity), rel=0.2)
    assert downsample(equity[:300], 500).tolist() == list(range(300))
    with pytest.raises(ValueError, match="at least 4"):
        downsample(equity, 3)
