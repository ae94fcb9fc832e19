"""Messages are frozen, strict, exact, and carry deterministic ids when derived."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from shared.messages.base import derived_id
from shared.messages.intents import TradeIntentCreated
from shared.messages.market import BookTop, Candle, TradeTick
from shared.messages.system import KillSwitchEngaged

NOW = datetime(2023, 3, 1, tzinfo=UTC)


def tick(**overrides: object) -> TradeTick:
    fields: dict[str, object] = dict(
        venue="paper", symbol="BTCUSDT", trade_id="7", price="23140.48", quantity="0.000001", ts_event=NOW
    )
    return TradeTick.model_validate({**fields, **overrides})


def test_trade_tick_keeps_decimals_exact_and_plain_in_json() -> None:
    message = tick()
    assert message.price == Decimal("23140.48")
    assert b'"quantity":"0.000001"' in message.to_json()
    assert TradeTick.from_json(message.to_json()) == message


@pytest.mark.parametrize(
    "bad",
    [
        {"price": "NaN"},
        {"price": "Infinity"},
        {"price": "-1"},
        {"price": "0"},
        {"quantity": "0"},
        {"unexpected": 1},
        {"symbol": "BTC"},
    ],
)
def test_trade_tick_rejects_non_finite_non_positive_unknown_fields_and_bad_symbols(
    bad: dict[str, object],
) -> None:
    with pytest.raises(ValidationError):
        tick(**bad)


def test_messages_are_frozen() -> None:
    message = tick()
    with pytest.raises(ValidationError):
        message.price = Decimal(1)  # type: ignore[misc]


def test_derived_ids_are_deterministic_and_distinct() -> None:
    assert derived_id("a", 1) == derived_id("a", 1)
    assert derived_id("a", 1) != derived_id("a", 2)
    assert TradeTick.id_for("paper", "BTC/USDT", "7") == TradeTick.id_for("paper", "BTC/USDT", "7")


def test_candle_rejects_high_below_close() -> None:
    with pytest.raises(ValidationError, match="low <= open,close <= high"):
        Candle(
            venue="paper",
            symbol="BTC/USDT",
            interval="1m",
            open_time=NOW,
            close_time=datetime(2023, 3, 1, 0, 1, tzinfo=UTC),
            open="10",
            high="11",
            low="9",
            close="12",
            volume="1",
            ts_event=NOW,
        )


def test_book_top_rejects_a_crossed_book() -> None:
    with pytest.raises(ValidationError, match="bid <= ask"):
        BookTop(
            venue="paper",
            symbol="BTC/USDT",
            bid_price="2",
            bid_quantity="1",
            ask_price="1",
            ask_quantity="1",
            ts_event=NOW,
        )


def test_intent_needs_exactly_one_amount_and_a_price_only_for_limits() -> None:
    base = dict(intent_id="i1", user_id="u1", source="parser", symbol="BTC/USDT", side="buy", ts_event=NOW)
    TradeIntentCreated.model_validate({**base, "order_type": "market", "quantity": "0.5"})
    with pytest.raises(ValidationError, match="exactly one of quantity or quote_quantity"):
        TradeIntentCreated.model_validate(
            {**base, "order_type": "market", "quantity": "1", "quote_quantity": "1"}
        )
    with pytest.raises(ValidationError, match="limit_price for a limit order"):
        TradeIntentCreated.model_validate({**base, "order_type": "limit", "quantity": "1"})
    with pytest.raises(ValidationError, match="no limit_price for a market order"):
        TradeIntentCreated.model_validate(
            {**base, "order_type": "market", "quantity": "1", "limit_price": "5"}
        )


def test_kill_switch_user_scope_requires_a_user() -> None:
    with pytest.raises(ValidationError, match="user_id exactly when scope is 'user'"):
        KillSwitchEngaged(scope="user", actor="admin", reason="x", ts_event=NOW)
    KillSwitchEngaged(scope="global", actor="admin", reason="x", ts_event=NOW)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("26080.53000000", "26080.53"),
        ("26000.00000000", "26000"),
        ("1E+3", "1000"),
        ("0.00000100", "0.000001"),
        ("5", "5"),
    ],
)
def test_plain_decimal_drops_padding_and_exponents_but_not_value(value: str, text: str) -> None:
    from shared.messages.base import plain_decimal

    assert plain_decimal(Decimal(value)) == text
    assert Decimal(plain_decimal(Decimal(value))) == Decimal(value)
