"""Rebuilding timelines: when each one is complete, and that completed ones leave memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from cryptopulse.bench.replay import recorded_mix
from cryptopulse.replay.decode import Recorded, decoder
from cryptopulse.replay.rebuild import Rebuilder
from services.risk_gate.outgoing import client_order_id

T0 = datetime(2026, 12, 1, tzinfo=UTC)
CID = client_order_id("i-1")


class Stream:
    """Hand-made messages of one order, a second apart."""

    def __init__(self, rebuilder: Rebuilder) -> None:
        self.rebuilder = rebuilder
        self.seq = 0

    def send(self, kind: str, **fields: Any) -> list[str]:
        self.seq += 1
        at = fields.pop("at", T0 + timedelta(seconds=self.seq))
        common = {"user_id": "u-1", "venue": "paper", "symbol": "BTC/USDT", "ts_event": at}
        record = Recorded(self.seq, 0, "s", kind, at, {"type": kind, **common, **fields})
        return [t.final for t in self.rebuilder.add(record)]

    def intent(self, **terms: Any) -> None:
        amounts = {"quantity": Decimal("1"), "limit_price": Decimal("100"), "order_type": "limit", **terms}
        assert self.send("intent.created", intent_id="i-1", source="parser", side="buy", **amounts) == []

    def approved_order(self, **terms: Any) -> None:
        self.intent(**terms)
        assert self.send("risk.decision", intent_id="i-1", outcome="approved") == []
        amounts = {"quantity": Decimal("1"), "limit_price": Decimal("100"), "order_type": "limit", **terms}
        self.send("exec.submit_order", intent_id="i-1", client_order_id=CID, side="buy", **amounts)
        assert self.send("order.accepted", client_order_id=CID, venue_order_id="9") == []

    def fill(self, trade: str, quantity: str, **fields: Any) -> list[str]:
        return self.send(
            "order.filled", client_order_id=CID, venue_order_id="9", trade_id=trade, side="buy",
            last_quantity=Decimal(quantity), last_price=Decimal("100"), cumulative_quantity=Decimal(quantity),
            commission=Decimal(0), commission_asset="BTC", **fields,
        )  # fmt: skip


def test_a_denied_intent_is_complete_with_its_decision() -> None:
    stream = Stream(Rebuilder())
    stream.intent()
    assert stream.send("risk.decision", intent_id="i-1", outcome="denied", check="max_order_value") == [
        "denied"
    ]
    assert stream.rebuilder.open == {}


def test_an_order_is_complete_when_its_fills_add_up_to_its_quantity() -> None:
    stream = Stream(Rebuilder())
    stream.approved_order()
    assert stream.fill("t1", "0.4") == []
    assert stream.fill("t2", "0.6") == ["filled"]
    assert stream.rebuilder.open == {}


def test_a_cancel_settles_first_and_a_fill_that_crossed_it_wins() -> None:
    stream = Stream(Rebuilder(settle=timedelta(seconds=60)))
    stream.approved_order()
    assert stream.send("order.canceled", client_order_id=CID) == []
    assert stream.fill("t1", "1") == ["filled"]  # CANCELED → FILLED: the venue matched first


def test_a_cancel_is_complete_once_the_recorded_clock_passes_the_settle_window() -> None:
    stream = Stream(Rebuilder(settle=timedelta(seconds=60)))
    stream.approved_order()
    assert stream.fill("t1", "0.25") == []
    assert stream.send("order.canceled", client_order_id=CID) == []
    later = T0 + timedelta(minutes=5)
    assert stream.send("intent.created", intent_id="i-2", source="parser", side="buy", order_type="market",
                       quantity=Decimal(1), at=later) == ["canceled"]  # fmt: skip


def test_a_market_order_for_a_quote_amount_is_filled_when_its_fills_stop() -> None:
    stream = Stream(Rebuilder(settle=timedelta(seconds=60)))
    stream.approved_order(quantity=None, quote_quantity=Decimal("250"), order_type="market", limit_price=None)
    assert stream.fill("t1", "1") == [] and stream.fill("t2", "1.5") == []
    (left,) = stream.rebuilder.finish()
    assert left.final == "filled" and left.closed and left.filled_quote == Decimal("250")


def test_what_is_still_open_at_the_end_is_handed_back_incomplete() -> None:
    stream = Stream(Rebuilder())
    stream.intent()
    assert stream.send("risk.decision", intent_id="i-1", outcome="pending") == []
    (left,) = stream.rebuilder.finish()
    assert left.final == "pending" and not left.closed and stream.rebuilder.open == {}


def test_events_of_an_order_whose_intent_is_before_the_window_make_a_partial_timeline() -> None:
    stream = Stream(Rebuilder())
    stream.send("order.accepted", client_order_id=CID, venue_order_id="9")
    assert stream.send("order.expired", client_order_id=CID) == ["expired"]


def test_fifty_thousand_messages_keep_only_the_orders_in_flight() -> None:
    """Memory is bounded by the orders in flight (200 interleaved here, plus the cancels and
    quote-amount orders settling), not by the stream: closed timelines are released."""
    decode, rebuilder = decoder(), Rebuilder(settle=timedelta(seconds=10))
    closed = largest = 0
    for seq, (subject, data, _) in enumerate(recorded_mix(50_000), start=1):
        closed += len(rebuilder.add(decode(seq, 0, subject, data)))
        largest = max(largest, len(rebuilder.open))
    rest = rebuilder.finish()
    assert closed + len(rest) > 7_500
    assert largest == rebuilder.peak_open and largest < 600
    assert len(rest) < 600 and rebuilder.open == {}


def test_without_a_report_the_messages_are_let_go_and_the_timelines_are_the_same() -> None:
    """Steps are kept for the reports that list them; nothing else reads them."""
    decode = decoder()
    kept, lean = Rebuilder(), Rebuilder(keep_steps=False)
    closed: dict[str, list[Any]] = {"kept": [], "lean": []}
    for seq, (subject, data, _) in enumerate(recorded_mix(5_000), start=1):
        closed["kept"] += kept.add(decode(seq, 0, subject, data))
        closed["lean"] += lean.add(decode(seq, 0, subject, data))
    with_steps, without = closed["kept"] + kept.finish(), closed["lean"] + lean.finish()
    assert sum(len(t.steps) for t in with_steps) == 5_000 and all(not t.steps for t in without)
    for full, light in zip(with_steps, without, strict=True):
        assert {**full.to_json(), "steps": []} == light.to_json()
