"""``chart`` and ``backtest_rule`` over in-memory candles: their contents, bounds and refusals."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import pytest
from langchain_core.messages import ToolMessage
from pydantic import ValidationError

from services.agent.backtest.engine import Settings, run_backtest
from services.agent.backtest.rule import BacktestRule
from services.agent.graph.backtest_tools import CURVE_POINTS, backtest_tools, result_view
from services.agent.graph.chart_tools import chart_tools
from services.agent.graph.rule_tools import RuleArgs
from services.agent.graph.tools import DATA_CLOSE, DATA_OPEN
from services.agent.indicators.candles import candle_arrays
from services.agent.indicators.spec import IndicatorSpec
from shared.domain.intervals import Interval
from shared.messages.base import plain_decimal, to_ms
from shared.messages.charts import ChartCandle, ChartPoint, ChartSpec
from tests.support.agent import CONTEXT, START, MemoryMarket, RecordingSink, btc_market, candles
from tests.support.openai_server import Call, Reply, scripted_openai
from tests.unit.agent.graph.support import ask, graph_at
from tests.unit.agent.graph.tool_support import SYMBOLS, call, scope, unreachable_accounts, unreachable_book

CLOSES = [str(100 + 10 * math.sin(i / 5)) for i in range(400)]
HOURLY = candles("BTC/USDT", "1h", [f"{float(c):.2f}" for c in CLOSES])
DIP = {"indicator": "price", "symbol": "BTC/USDT", "op": "<", "value": "95"}
RULE = {"symbol": "BTC/USDT", "side": "buy", "amount": "1", "conditions": [DIP]}


def charts() -> list:
    return chart_tools(MemoryMarket(HOURLY), unreachable_accounts(), "paper", SYMBOLS)


async def test_chart_returns_the_latest_candles_with_settled_overlays_as_an_artifact() -> None:
    # Arrange
    arguments = {
        "symbol": "btcusdt", "interval": "1h", "limit": 50, "trades": False,
        "overlays": [{"name": "sma", "params": {"period": 20}}, {"name": "macd"}],
    }  # fmt: skip
    # Act
    result = await call(charts(), "chart", arguments, scope("show me BTC"))
    # Assert: the app's spec
    assert result.refusal is None and result.artifact is not None
    spec = ChartSpec.model_validate(result.artifact["chart"])
    assert (spec.symbol, spec.interval, len(spec.candles)) == ("BTC/USDT", Interval.H1, 50)
    assert spec.candles[0] == ChartCandle(
        t=to_ms(HOURLY[-50].open_time), o=HOURLY[-50].open, h=HOURLY[-50].high, l=HOURLY[-50].low,
        c=HOURLY[-50].close, v=HOURLY[-50].volume,
    )  # fmt: skip
    sma, macd = spec.overlays
    expected = IndicatorSpec.of("sma", period=20).compute(candle_arrays(HOURLY))["sma"][-50:]
    assert (sma.indicator, sma.params, sma.pane) == ("sma", {"period": 20}, "price")
    assert [p.v for p in sma.lines[0].points] == pytest.approx(list(expected))
    assert (macd.pane, [line.output for line in macd.lines]) == ("separate", ["macd", "signal", "histogram"])
    assert all(len(line.points) == 50 for line in macd.lines)  # warmed up on the candles before
    assert spec.markers == ()
    # ... and the model's summary
    assert result.data["candles"] == 50 and result.data["last_close"] == str(HOURLY[-1].close)
    assert set(result.data["overlays_latest"]) == {"sma(20)", "macd(12, 26, 9)"}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"symbol": "BTC/USDT", "limit": 1001}, "limit"),
        ({"symbol": "BTC/USDT", "overlays": [{"name": "sma"}] * 6}, "overlays"),
        ({"symbol": "BTC/USDT", "overlays": [{"name": "astrology"}]}, "unknown indicator 'astrology'"),
        ({"symbol": "BTC/USDT", "overlays": [{"name": "rsi", "params": {"period": 0}}]}, "period"),
        ({"symbol": "DOGE/USDT"}, "unknown symbol DOGE/USDT"),
        ({"symbol": "BTC/USDT", "user_id": "someone"}, "user_id: Extra inputs"),
    ],
)
async def test_chart_refuses_bad_arguments(arguments: dict[str, object], reason: str) -> None:
    result = await call(charts(), "chart", arguments, scope("chart BTC"))
    assert result.refusal is not None and reason in result.refusal


def test_a_chart_spec_is_bounded_and_finite() -> None:
    candle = ChartCandle(t=0, o=1, h=1, l=1, c=1, v=1)
    with pytest.raises(ValidationError, match="at most 1000"):
        ChartSpec(symbol="BTC/USDT", interval="1h", candles=(candle,) * 1001)
    with pytest.raises(ValidationError, match="finite"):
        ChartPoint(t=0, v=math.nan)


def backtests() -> list:
    return backtest_tools(MemoryMarket(HOURLY), unreachable_book(), "paper", SYMBOLS)


async def test_backtest_of_a_new_rule_gives_the_engines_own_numbers() -> None:
    # Arrange: the window covers candles 100..299.
    start, end = HOURLY[100].open_time, HOURLY[300].open_time
    arguments = {"rule": RULE, "start": start.isoformat(), "end": end.isoformat()}
    # Act
    result = await call(backtests(), "backtest_rule", arguments, scope("backtest buying BTC below 95"))
    # Assert
    rule = BacktestRule.from_command(RuleArgs.model_validate(RULE).command())
    direct = run_backtest(
        candle_arrays(HOURLY[100:300]), rule, "BTC/USDT", Interval.H1, Settings(curve_points=CURVE_POINTS)
    )
    assert result.refusal is None
    assert {k: v for k, v in result.data.items() if k in result_view(direct)} == result_view(direct)
    assert direct.trade_count >= 1 and len(direct.equity_curve) <= CURVE_POINTS
    assert result.data["last_trades"][0]["entry_price"] == plain_decimal(direct.trades[0].entry_price)  # type: ignore[index,call-overload]
    assert (result.data["interval"], result.data["start"]) == ("1h", start.isoformat())


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({}, "exactly one of rule_id or rule"),
        ({"rule": RULE, "rule_id": "00000000-0000-0000-0000-000000000001"}, "exactly one of rule_id"),
        ({"rule": {**RULE, "side": "sell"}}, "only buy rules can be backtested"),
        ({"rule": {**RULE, "amount": "-1"}}, "greater than 0"),
        ({"rule": {**RULE, "amount": "NaN"}}, "amount"),
        ({"rule": RULE, "stop_loss": "1.5"}, "stop_loss"),
        ({"rule": RULE, "cash": "0"}, "cash"),
        ({"rule": RULE, "interval": "1m", "days": 365}, "more than 200,000 1m candles"),
        (
            {"rule": RULE, "start": START.isoformat(), "end": (START - timedelta(days=1)).isoformat()},
            "expected start before end",
        ),
        ({"rule": RULE, "start": "2024-01-01T00:00:00"}, "start"),  # no offset: ambiguous
        ({"rule": RULE, "end": (START - timedelta(days=400)).isoformat()}, "no stored paper BTC/USDT 1h"),
    ],
)
async def test_backtest_refuses_what_it_cannot_run(arguments: dict[str, object], reason: str) -> None:
    result = await call(backtests(), "backtest_rule", arguments, scope("backtest it"))
    assert result.refusal is not None and reason in result.refusal


async def test_through_the_graph_the_model_reads_a_summary_and_the_chart_rides_as_an_artifact() -> None:
    # Arrange
    chart = {"symbol": "BTC/USDT", "interval": "1h", "limit": 20, "trades": False}
    script = [Reply(tool_calls=[Call("chart", chart)]), Reply(content="Here is the chart.")]
    extra = chart_tools(btc_market(), unreachable_accounts(), "paper", SYMBOLS)
    with scripted_openai(script) as (server, url):
        # Act
        state = await ask(graph_at(url, RecordingSink(), extra=extra), "show me a BTC chart", CONTEXT)
    # Assert
    (sent,) = [m for m in server.requests[1]["messages"] if m["role"] == "tool"]
    summary = json.loads(sent["content"][len(DATA_OPEN) : -len(DATA_CLOSE)])
    assert summary["candles"] == 20 and summary["shown_to_user"] is True and "chart" not in summary
    (message,) = [m for m in state.messages if isinstance(m, ToolMessage)]
    spec = ChartSpec.model_validate(message.artifact["chart"])
    assert (
        len(spec.candles) == 20
        and spec.candles[-1].c == btc_market().series[("paper", "BTC/USDT", "1h")][-1].close
    )
