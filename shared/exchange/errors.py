"""ccxt's exception classes, re-exported so the executor can classify them without importing ccxt.

ccxt is imported only in ``shared/exchange/`` (ruff TID251); this module adds no behaviour.
"""

from __future__ import annotations

from ccxt.base.errors import (
    AuthenticationError,
    BadRequest,
    BadSymbol,
    BaseError,
    DDoSProtection,
    DuplicateOrderId,
    ExchangeError,
    ExchangeNotAvailable,
    InsufficientFunds,
    InvalidNonce,
    InvalidOrder,
    NetworkError,
    OnMaintenance,
    OperationFailed,
    OperationRejected,
    OrderNotFound,
    RateLimitExceeded,
    RequestTimeout,
)

__all__ = [
    "AuthenticationError",
    "BadRequest",
    "BadSymbol",
    "BaseError",
    "DDoSProtection",
    "DuplicateOrderId",
    "ExchangeError",
    "ExchangeNotAvailable",
    "InsufficientFunds",
    "InvalidNonce",
    "InvalidOrder",
    "NetworkError",
    "OnMaintenance",
    "OperationFailed",
    "OperationRejected",
    "OrderNotFound",
    "RateLimitExceeded",
    "RequestTimeout",
]
