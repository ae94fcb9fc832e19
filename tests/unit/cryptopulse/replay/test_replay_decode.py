"""Decoding recorded messages: the fast path reads exactly what the shared models read, and
whatever it does not accept is judged by the models, with the reason kept."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from cryptopulse.bench.replay import recorded_mix
from cryptopulse.replay.decode import AS_TEXT, BadMessage, decoder

fast, strict = decoder(), decoder(strict=True)


def test_the_fast_path_and_the_models_agree_on_every_kind_of_message() -> None:
    kinds = set()
    for seq, (subject, data, _) in enumerate(recorded_mix(1_500), start=1):
        quick, checked = fast(seq, 0, subject, data), strict(seq, 0, subject, data)
        kinds.add(quick.type)
        assert quick.type == checked.type and quick.at == checked.at
        assert quick.fields.keys() == checked.fields.keys()
        for name in quick.fields.keys() - AS_TEXT:
            assert quick.fields[name] == checked.fields[name], (quick.type, name)
    assert kinds == {
        "intent.created", "risk.decision", "risk.approval", "exec.submit_order", "order.submitted",
        "order.accepted", "order.filled", "order.canceled",
    }  # fmt: skip


def intent(**changes: object) -> bytes:
    fields = {
        "type": "intent.created", "intent_id": "i-1", "user_id": "u-1", "source": "parser",
        "venue": "paper", "symbol": "BTC/USDT", "side": "buy", "order_type": "limit",
        "quantity": "0.10000000", "limit_price": "30000.5", "ts_event": "2026-12-01T00:00:00.5Z",
    }  # fmt: skip
    return json.dumps({**fields, **changes}).encode()


def test_decimals_stay_exact_strings_never_floats() -> None:
    record = fast(1, 0, "intent.u-1", intent())
    assert record.fields["quantity"] == Decimal("0.1") and str(record.fields["quantity"]) == "0.10000000"
    assert record.fields["limit_price"] == Decimal("30000.5")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "not a JSON object with a 'type'"),
        (b'{"type": "risk.mode"}', "unknown message type 'risk.mode'"),
        (intent(quantity="-1"), "intent.created: quantity: Input should be greater than 0"),
        (intent(quantity="NaN"), "intent.created: quantity:"),
        (intent(quantity="1e400"), "intent.created: quantity:"),
        (intent(side="hold"), "intent.created: side: Input should be 'buy' or 'sell'"),
        (intent(user_id=""), "intent.created: user_id:"),
        (intent(ts_event="yesterday"), "intent.created: ts_event:"),
    ],
)
def test_a_message_the_models_refuse_is_bad_with_the_models_reason(data: bytes, reason: str) -> None:
    for decode in (fast, strict):
        with pytest.raises(BadMessage) as refused:
            decode(1, 0, "intent.u-1", data)
        assert str(refused.value).startswith(reason)


def test_what_the_fast_path_does_not_take_but_the_model_does_is_decoded_by_the_model() -> None:
    record = fast(1, 0, "intent.u-1", intent(rationale="x" * 10, ts_event="2026-12-01T01:00:00+01:00"))
    assert record.fields["ts_event"].utcoffset() is not None and record.fields["quantity"] == Decimal("0.1")
