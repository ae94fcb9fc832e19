"""Enumerations shared by messages, the database and the services."""

from __future__ import annotations

from enum import StrEnum


class VenueName(StrEnum):
    """Where orders and market data come from; one code path for all three."""

    PAPER = "paper"
    TESTNET = "testnet"
    LIVE = "live"


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(StrEnum):
    """Our lifecycle of an order; the transition table arrives with the executor."""

    INITIALIZED = "initialized"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    PENDING_CANCEL = "pending_cancel"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"


class IntentSource(StrEnum):
    """Who asked for a trade: the offline parser, a language model, or a standing rule."""

    PARSER = "parser"
    MODEL = "model"
    RULE = "rule"


class DecisionOutcome(StrEnum):
    """What became of an intent: ``denied`` by a check, ``rejected`` by a person, ``killed`` by
    the kill switch, ``expired`` in the approval queue."""

    APPROVED = "approved"
    PENDING = "pending"
    DENIED = "denied"
    REJECTED = "rejected"
    EXPIRED = "expired"
    KILLED = "killed"


class TradingMode(StrEnum):
    """Manual (the default): a person approves every order. Autonomous: checks alone decide."""

    MANUAL = "manual"
    AUTONOMOUS = "autonomous"


class KillScope(StrEnum):
    GLOBAL = "global"
    USER = "user"
