"""ccxt errors translated once into what the executor does about them (STYLE G6).

``classify`` is the only place that looks at ccxt exception classes. Its table is ordered from
subclass to superclass, because ccxt's hierarchy nests the cases that need opposite handling:
``OrderNotFound`` and ``DuplicateOrderId`` are ``InvalidOrder``s, and ``RequestTimeout`` (outcome
unknown) is a ``NetworkError`` just like ``DDoSProtection`` (refused, safe to retry).

While *submitting*, anything that might have reached the matching engine is
``VenueOutcomeUnknown``: Binance says a 5xx or ``-1007`` "could have been a success". The order
is then never re-sent blindly; reconciliation looks it up by its client order id.
"""

from __future__ import annotations

import re

from shared.exchange import errors as ccxt_errors


class VenueError(Exception):
    """Base of the executor's venue errors; ``str(error)`` is the reason recorded and published."""


class VenueRetryable(VenueError):
    """Refused for now (rate limit, ban, maintenance, clock skew); the request had no effect."""

    def __init__(self, reason: str, retry_after_s: float | None = None, *, banned: bool = False) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s
        self.banned = banned


class VenueRejected(VenueError):
    """The venue processed the request and refused it: filters, funds, symbol, market closed."""


class VenueAlreadySubmitted(VenueError):
    """ "Duplicate order sent.": an open order with this client order id exists; not a rejection."""


class VenueOrderNotFound(VenueError):
    """The venue does not know the order (or does not show it yet)."""


class VenueFatal(VenueError):
    """Keys wrong, revoked or lacking permission: stop trading for this account."""


class VenueOutcomeUnknown(VenueError):
    """The request may or may not have taken effect; only a query can tell."""


_DUPLICATE = "Duplicate order sent"

# (ccxt class, ours while submitting, ours otherwise): first match wins, so subclasses go first.
TABLE: tuple[tuple[type[Exception], type[VenueError], type[VenueError]], ...] = (
    (ccxt_errors.OrderNotFound, VenueOrderNotFound, VenueOrderNotFound),
    (ccxt_errors.DuplicateOrderId, VenueAlreadySubmitted, VenueAlreadySubmitted),
    (ccxt_errors.InsufficientFunds, VenueRejected, VenueRejected),
    (ccxt_errors.InvalidOrder, VenueRejected, VenueRejected),
    (ccxt_errors.BadSymbol, VenueRejected, VenueRejected),
    (ccxt_errors.BadRequest, VenueRejected, VenueRejected),  # -1013 NOTIONAL comes as BadRequest
    (ccxt_errors.OperationRejected, VenueRejected, VenueRejected),  # MarketClosed
    (ccxt_errors.AuthenticationError, VenueFatal, VenueFatal),  # PermissionDenied, AccountSuspended
    (ccxt_errors.RateLimitExceeded, VenueRetryable, VenueRetryable),  # -1015, refused
    (ccxt_errors.DDoSProtection, VenueRetryable, VenueRetryable),  # 429 / 418, refused
    (ccxt_errors.InvalidNonce, VenueRetryable, VenueRetryable),  # -1021, refused
    (ccxt_errors.RequestTimeout, VenueOutcomeUnknown, VenueRetryable),  # -1007 or read timeout
    (ccxt_errors.OnMaintenance, VenueOutcomeUnknown, VenueRetryable),
    (ccxt_errors.ExchangeNotAvailable, VenueOutcomeUnknown, VenueRetryable),  # 5xx
    (ccxt_errors.NetworkError, VenueOutcomeUnknown, VenueRetryable),  # connection dropped
    (ccxt_errors.OperationFailed, VenueOutcomeUnknown, VenueRetryable),  # 503 -1008
    (ccxt_errors.ExchangeError, VenueRejected, VenueRetryable),  # answered with an error body
)


def classify(
    error: BaseException, *, submitting: bool, retry_after_s: float | None = None, status: int | None = None
) -> VenueError:
    """Return the executor's error for ``error``; unknown exceptions are outcome-unknown when submitting.

    ``retry_after_s`` and ``status`` come from the response headers and HTTP status, which ccxt
    keeps on the client rather than on the exception.
    """
    if isinstance(error, VenueError):
        return error
    reason = f"{type(error).__name__}: {error}"[:1000]
    if isinstance(error, ccxt_errors.InvalidOrder) and _DUPLICATE in str(error):
        return VenueAlreadySubmitted(reason)  # Binance -2010 arrives as a plain InvalidOrder
    for ccxt_class, when_submitting, otherwise in TABLE:
        if isinstance(error, ccxt_class):
            ours = when_submitting if submitting else otherwise
            if ours is VenueRetryable:
                return VenueRetryable(reason, retry_after_s, banned=status == 418)
            return ours(reason)
    return VenueOutcomeUnknown(reason) if submitting else VenueRetryable(reason, retry_after_s)


_BINANCE_CODE = re.compile(r'"code"\s*:\s*(-\d{1,4})\b')
ERROR_CODES = (
    *("-1003", "-1007", "-1008", "-1013", "-1021", "-2010", "-2011", "-2013", "-2015"),
    *("418", "429", "5xx", "timeout", "network", "other"),
)
"""The codes an operator expects (labelled from the start); any other Binance code is labelled too."""


def error_code(error: BaseException, status: int | None = None) -> str:
    """The label of a venue error: the HTTP status of a rate limit or ban (``429``, ``418``), else
    Binance's code from the answer's body (``-2010``), else ``timeout``, ``5xx``, ``network`` or
    ``other``. Binance codes are four digits at most, so the label's values stay bounded."""
    if status in (418, 429):  # before the body's code: a 429's body says -1003 too
        return str(status)
    found = _BINANCE_CODE.search(str(error))
    if found:
        return found.group(1)
    if isinstance(error, ccxt_errors.RequestTimeout | TimeoutError):
        return "timeout"
    if isinstance(error, ccxt_errors.ExchangeNotAvailable | ccxt_errors.OnMaintenance):
        return "5xx"
    if isinstance(error, ccxt_errors.NetworkError | OSError):
        return "network"
    return "other"


__all__ = [
    "ERROR_CODES",
    "TABLE",
    "VenueAlreadySubmitted",
    "VenueError",
    "VenueFatal",
    "VenueOrderNotFound",
    "VenueOutcomeUnknown",
    "VenueRejected",
    "VenueRetryable",
    "classify",
    "error_code",
]
