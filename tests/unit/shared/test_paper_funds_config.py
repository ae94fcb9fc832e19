"""The starting balances the gateway gives each new paper account: read as JSON, checked as the
paper exchange checks them, so a bad value stops the start-up rather than every sign-up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from shared.config.settings import GatewaySettings


def test_new_paper_accounts_get_ten_thousand_usdt_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRYPTOPULSE_GATEWAY_PAPER_FUNDS", raising=False)

    assert GatewaySettings().gateway_paper_funds == {"USDT": Decimal("10000")}


def test_the_funds_are_read_from_json_as_exact_decimals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYPTOPULSE_GATEWAY_PAPER_FUNDS", '{"USDT": "2500.12345678", "BTC": "1E+1"}')

    assert GatewaySettings().gateway_paper_funds == {"USDT": Decimal("2500.12345678"), "BTC": Decimal(10)}


@pytest.mark.parametrize(
    ("funds", "reason"),
    [
        ('{"USDT": "0"}', "USDT: expected a positive amount"),
        ('{"USDT": "-5"}', "USDT: expected a positive amount"),
        ('{"USDT": "0.123456789"}', "at most 8 decimals"),
        ('{"USDT": "NaN"}', "finite number"),
        ('{"usdt": "10"}', "expected upper-case asset codes"),
        ('{"USDT": "ten"}', "decimal"),
        ("USDT=10", 'error parsing value for field "gateway_paper_funds"'),
    ],
)
def test_bad_funds_are_refused_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, funds: str, reason: str
) -> None:
    monkeypatch.setenv("CRYPTOPULSE_GATEWAY_PAPER_FUNDS", funds)

    with pytest.raises((ValidationError, ValueError), match=reason):
        GatewaySettings()


def test_an_empty_paper_url_variable_means_no_paper_accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYPTOPULSE_GATEWAY_PAPER_URL", "")

    assert GatewaySettings().gateway_paper_url is None
