"""ccxt errors map once into what the executor does, subclass before superclass (STYLE G6)."""

from __future__ import annotations

import ccxt
import pytest

from services.executor.venues.errors import (
    VenueAlreadySubmitted,
    VenueError,
    VenueFatal,
    VenueOrderNotFound,
    VenueOutcomeUnknown,
    VenueRejected,
    VenueRetryable,
    classify,
    error_code,
)

# (raised by ccxt, ours while submitting, ours for reads and cancels)
CASES: list[tuple[Exception, type[VenueError], type[VenueError]]] = [
    (
        ccxt.OrderNotFound('{"code":-2013,"msg":"Order does not exist."}'),
        VenueOrderNotFound,
        VenueOrderNotFound,
    ),
    (ccxt.DuplicateOrderId("duplicate"), VenueAlreadySubmitted, VenueAlreadySubmitted),
    (
        ccxt.InvalidOrder('{"code":-2010,"msg":"Duplicate order sent."}'),
        VenueAlreadySubmitted,
        VenueAlreadySubmitted,
    ),
    (ccxt.InvalidOrder('{"code":-1013,"msg":"Filter failure: LOT_SIZE"}'), VenueRejected, VenueRejected),
    (ccxt.OrderImmediatelyFillable("would take"), VenueRejected, VenueRejected),
    (ccxt.InsufficientFunds("-2010 insufficient balance"), VenueRejected, VenueRejected),
    (ccxt.BadSymbol("-1121"), VenueRejected, VenueRejected),
    (ccxt.BadRequest('{"code":-1013,"msg":"Filter failure: NOTIONAL"}'), VenueRejected, VenueRejected),
    (ccxt.MarketClosed("Market is closed."), VenueRejected, VenueRejected),
    (ccxt.AuthenticationError("-1022 signature"), VenueFatal, VenueFatal),
    (ccxt.PermissionDenied("-2015"), VenueFatal, VenueFatal),
    (ccxt.AccountSuspended("suspended"), VenueFatal, VenueFatal),
    (ccxt.RateLimitExceeded("-1015 too many orders"), VenueRetryable, VenueRetryable),
    (ccxt.DDoSProtection("binance 429 Too Many Requests"), VenueRetryable, VenueRetryable),
    (ccxt.InvalidNonce("-1021 timestamp"), VenueRetryable, VenueRetryable),
    (
        ccxt.RequestTimeout('{"code":-1007,"msg":"Timeout waiting for response"}'),
        VenueOutcomeUnknown,
        VenueRetryable,
    ),
    (ccxt.ExchangeNotAvailable("binance 503 Service Unavailable"), VenueOutcomeUnknown, VenueRetryable),
    (ccxt.OnMaintenance("maintenance"), VenueOutcomeUnknown, VenueRetryable),
    (ccxt.NetworkError("connection reset"), VenueOutcomeUnknown, VenueRetryable),
    (ccxt.OperationFailed("-1008 server busy"), VenueOutcomeUnknown, VenueRetryable),
    (ccxt.ExchangeError("something else"), VenueRejected, VenueRetryable),
    (RuntimeError("not ccxt at all"), VenueOutcomeUnknown, VenueRetryable),
]


@pytest.mark.parametrize(("error", "submitting", "reading"), CASES, ids=[type(c[0]).__name__ for c in CASES])
def test_each_ccxt_error_maps_to_one_of_ours(
    error: Exception, submitting: type[VenueError], reading: type[VenueError]
) -> None:
    assert type(classify(error, submitting=True)) is submitting
    assert type(classify(error, submitting=False)) is reading


def test_a_418_is_a_ban_and_keeps_retry_after() -> None:
    mapped = classify(ccxt.DDoSProtection("418"), submitting=True, retry_after_s=120.0, status=418)
    assert isinstance(mapped, VenueRetryable) and mapped.banned and mapped.retry_after_s == 120.0
    assert not classify(ccxt.DDoSProtection("429"), submitting=True, status=429).banned  # type: ignore[attr-defined]


def test_the_reason_names_the_ccxt_class_and_message() -> None:
    assert str(classify(ccxt.InsufficientFunds("no money"), submitting=True)) == "InsufficientFunds: no money"


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (
            ccxt.InsufficientFunds('binance {"code":-2010,"msg":"Account has insufficient balance."}'),
            None,
            "-2010",
        ),
        (ccxt.DDoSProtection('binance 429 {"code":-1003,"msg":"Too much request weight used"}'), 429, "429"),
        (ccxt.DDoSProtection('binance 418 {"code":-1003,"msg":"IP banned"}'), 418, "418"),
        (ccxt.RequestTimeout('{"code":-1007,"msg":"Timeout waiting for response"}'), None, "-1007"),
        (
            ccxt.RequestTimeout("binance GET https://api.binance.com/api/v3/order request timed out"),
            None,
            "timeout",
        ),
        (ccxt.ExchangeNotAvailable("binance 502 Bad Gateway"), None, "5xx"),
        (ccxt.NetworkError("connection reset"), None, "network"),
        (ccxt.ExchangeError('{"code": -123456, "msg": "a code too long to be Binance\'s"}'), None, "other"),
        (RuntimeError("not ccxt at all"), None, "other"),
    ],
    ids=["binance code", "429", "418", "-1007", "timeout", "5xx", "network", "not a code", "unknown"],
)
def test_the_metrics_label_of_an_error_is_a_binance_code_a_status_or_a_kind(
    error: Exception, status: int | None, code: str
) -> None:
    assert error_code(error, status) == code
