"""The engine on price paths small enough to check by hand: fills, fees, exits, cash, timing."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import numpy as np
import pytest

from services.agent.backtest.engine import Settings, run_backtest, simulate
from services.agent.backtest.result import BacktestResult, ExitReason
from services.agent.backtest.rule import BacktestRule, Costs, ExitPolicy, Sizing
from services.agent.indicators.candles import CandleArrays
from shared.domain.intervals import Interval
from shared.messages.base import from_ms
from tests.unit.agent.backtest.support import START_MS, SYMBOL, arrays, indicator, price

OPENS = [100.0, 95.0, 92.0, 100.0, 112.0, 118.0]
CLOSES = [100.0, 90.0, 80.0, 110.0, 120.0, 115.0]
"""Below 95 at closes 1 and 2, so a buy fills at 2's open (92); above 105 at close 3, so the
sell fills at 4's open (112). Close 2 (80) is the trough while holding."""

BUY_LOW = (price("<", "95"),)
SELL_HIGH = (price(">", "105"),)
ONE_BTC = Sizing(amount=Decimal(1))
CASH = Settings(cash=Decimal(1000))


def backtest(
    exit_policy: ExitPolicy, sizing: Sizing = ONE_BTC, settings: Settings = CASH, closes: list[float] = CLOSES
) -> BacktestResult:
    rule = BacktestRule(BUY_LOW, sizing, exit_policy)
    return run_backtest(arrays(OPENS, closes), rule, SYMBOL, Interval.M1, settings)


def test_a_round_trip_fills_on_next_opens_and_pays_the_fee_both_ways() -> None:
    result = backtest(ExitPolicy(conditions=SELL_HIGH))
    (trade,) = result.trades
    assert (trade.entry_index, trade.exit_index) == (2, 4)
    assert trade.entry_time == from_ms(START_MS + 2 * 60_000)
    assert (trade.entry_price, trade.exit_price, trade.quantity) == (92, 112, 1)
    assert trade.fees == Decimal("0.204")  # 0.1 % of 92, then of 112
    assert trade.pnl == Decimal("19.796")  # 111.888 received - 92.092 spent
    assert trade.exit_reason is ExitReason.CONDITIONS
    assert result.final_equity == Decimal("1019.796")
    assert str(result.final_equity) == "1019.79600000"
    assert result.total_return == pytest.approx(0.019796, abs=1e-15)
    # equity at closes: 1000, 1000, 907.908 + 80, 907.908 + 110, 1019.796, 1019.796
    assert [p.equity for p in result.equity_curve] == pytest.approx(
        [1000, 1000, 987.908, 1017.908, 1019.796, 1019.796], abs=1e-9
    )
    assert result.max_drawdown == pytest.approx(0.012092, abs=1e-12)
    assert result.win_rate == 1.0
    assert result.skipped_entries == 0


def test_slippage_moves_both_fills_against_the_trader() -> None:
    costs = Costs(slippage_bps=Decimal(10))
    result = backtest(ExitPolicy(conditions=SELL_HIGH), settings=Settings(Decimal(1000), costs))
    (trade,) = result.trades
    assert (trade.entry_price, trade.exit_price) == (Decimal("92.092"), Decimal("111.888"))
    # 111.888 * 0.999 - 92.092 * 1.001 = 111.776112 - 92.184092
    assert trade.pnl == Decimal("19.59202")
    assert result.final_equity == Decimal("1019.59202")


def test_the_stop_loss_reads_closes_and_wins_over_a_later_exit_signal() -> None:
    result = backtest(ExitPolicy(conditions=SELL_HIGH, stop_loss=Decimal("0.1")))
    (trade,) = result.trades
    # 80 <= 92 * 0.9 at close 2: out at 3's open, 100
    assert (trade.exit_index, trade.exit_price, trade.exit_reason) == (3, 100, ExitReason.STOP_LOSS)
    assert trade.pnl == Decimal("7.808")  # 99.9 - 92.092
    assert result.win_rate == 1.0


def test_take_profit_and_hold_exits() -> None:
    profit = backtest(ExitPolicy(take_profit=Decimal("0.1"))).trades
    assert [(t.exit_index, t.exit_reason) for t in profit] == [(4, ExitReason.TAKE_PROFIT)]
    held = backtest(ExitPolicy(hold_candles=2)).trades
    assert [(t.entry_index, t.exit_index, t.exit_reason) for t in held] == [(2, 4, ExitReason.HOLD)]


def test_a_new_entry_may_follow_on_the_close_of_the_exit_candle() -> None:
    closes = [100.0, 90.0, 80.0, 90.0, 120.0, 115.0]
    trades = backtest(ExitPolicy(hold_candles=1), closes=closes).trades
    assert [(t.entry_index, t.exit_index) for t in trades] == [(2, 3), (4, 5)]
    assert [t.pnl for t in trades] == [Decimal("7.808"), Decimal("5.770")]  # 117.882 - 112.112


def test_without_an_exit_the_position_is_marked_at_the_last_close_without_an_exit_fee() -> None:
    result = backtest(ExitPolicy())
    (trade,) = result.trades
    assert (trade.exit_index, trade.exit_time, trade.exit_reason) == (None, None, ExitReason.OPEN)
    assert (trade.exit_price, trade.fees, trade.pnl) == (115, Decimal("0.092"), Decimal("22.908"))
    assert result.final_equity == Decimal("1022.908")
    assert result.win_rate is None


def test_a_signal_on_the_last_candle_trades_nothing_and_an_exit_there_leaves_it_open() -> None:
    candles = arrays(OPENS, CLOSES)
    entry = np.zeros(6, dtype=np.bool_)
    entry[-1] = True
    nothing = simulate(candles, entry, None, ONE_BTC, ExitPolicy(), CASH)
    assert nothing.trades == () and nothing.final_equity == 1000
    entry[:] = False
    entry[3] = True
    exit_signal = np.zeros(6, dtype=np.bool_)
    exit_signal[5] = True
    (trade,) = simulate(candles, entry, exit_signal, ONE_BTC, ExitPolicy(), CASH).trades
    assert (trade.entry_index, trade.exit_reason) == (4, ExitReason.OPEN)


def test_later_candles_never_change_the_past() -> None:
    rng = np.random.default_rng(11)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 2_000)))
    opens = np.concatenate(([100.0], closes[:-1])) * (1 + rng.normal(0, 0.001, 2_000))
    rule = BacktestRule(
        (indicator("rsi", 14, "<", "35"),),
        Sizing(cash_fraction=Decimal(1)),
        ExitPolicy((indicator("rsi", 14, ">", "65"),)),
    )
    settings = Settings(curve_points=10_000)
    full = run_backtest(arrays(opens, closes), rule, SYMBOL, Interval.M1, settings)
    assert len(full.trades) > 5
    for cut in (500, 1_000, 1_500):
        part = run_backtest(arrays(opens[:cut], closes[:cut]), rule, SYMBOL, Interval.M1, settings)
        assert [p.equity for p in part.equity_curve] == [p.equity for p in full.equity_curve[:cut]]
        closed = [t for t in part.trades if t.closed]
        assert closed == list(full.trades[: len(closed)])


def test_cash_limits_every_buy() -> None:
    too_big = backtest(ExitPolicy(conditions=SELL_HIGH), sizing=Sizing(amount=Decimal(20)))
    assert too_big.trades == () and too_big.skipped_entries == 2
    assert too_big.final_equity == 1000
    whole = backtest(ExitPolicy(conditions=SELL_HIGH), sizing=Sizing(cash_fraction=Decimal(1)))
    (trade,) = whole.trades
    expected = (Decimal(1000) / Decimal("92.092")).quantize(Decimal("1e-8"), rounding=ROUND_DOWN)
    assert trade.quantity == expected == Decimal("10.85870651")
    assert trade.quantity * Decimal("92.092") <= 1000 < (trade.quantity + Decimal("1e-8")) * Decimal("92.092")
    spend = backtest(ExitPolicy(conditions=SELL_HIGH), sizing=Sizing(quote_amount=Decimal(100)))
    assert spend.trades[0].quantity == Decimal("1.08695652")  # 100 / 92


def test_signals_must_match_the_candles() -> None:
    candles: CandleArrays = arrays(OPENS, CLOSES)
    with pytest.raises(ValueError, match="one signal per candle"):
        simulate(candles, np.zeros(5, dtype=np.bool_), None, ONE_BTC, ExitPolicy(), CASH)
