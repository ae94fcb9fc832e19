"""Every NATS subject and JetStream stream of the system. No other module spells a subject.

Subject tokens cannot contain ``.``, so symbols appear in Binance's form (``BTC/USDT`` → ``BTCUSDT``).

=========================================  =================  ===========  ======================
subject                                    stream             publisher    consumers
=========================================  =================  ===========  ======================
``md.trade.<venue>.<SYMBOL>``              MARKET_TICKS       market_feed  agent, api_gateway
``md.book.<venue>.<SYMBOL>``               MARKET_TICKS       market_feed  agent, api_gateway
``md.candle.<venue>.<SYMBOL>.<interval>``  MARKET_CANDLES     market_feed  agent, api_gateway
``chat.request.<user>``                    CHAT               api_gateway  agent
``chat.reply.<user>``                      CHAT               agent        api_gateway
``intent.<user>``                          TRADING            agent        risk_gate
``risk.decision.<user>``                   TRADING            risk_gate    agent, api_gateway
``risk.approval.<user>``                   TRADING            api_gateway  risk_gate
``risk.mode.<user>``                       TRADING            api_gateway  risk_gate
``exec.cmd.<venue>``                       TRADING            risk_gate    executor
``exec.evt.<user>``                        TRADING            executor     risk_gate, api_gateway
``sys.kill``                               SYSTEM             api_gateway  every service
``sys.kill.report.<user>|global``          SYSTEM             executor     api_gateway, operators
``dlq.<service>``                          DEAD_LETTER        any          operators
=========================================  =================  ===========  ======================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

from shared.domain.symbols import venue_symbol

# -- STREAMS -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """A JetStream stream: its subjects, how long it keeps messages, and its de-duplication window."""

    name: str
    subjects: tuple[str, ...]
    max_age: timedelta
    duplicate_window: timedelta = timedelta(minutes=2)
    max_bytes: int = -1
    description: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    def to_config(self) -> StreamConfig:
        """Return nats-py's configuration for this stream."""
        return StreamConfig(
            name=self.name,
            description=self.description or None,
            subjects=list(self.subjects),
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            max_age=self.max_age.total_seconds(),
            max_bytes=self.max_bytes,
            duplicate_window=self.duplicate_window.total_seconds(),
        )


MARKET_TICKS: Final = StreamSpec(
    name="MARKET_TICKS",
    subjects=("md.trade.>", "md.book.>"),
    max_age=timedelta(hours=6),
    max_bytes=2 * 1024**3,
    description="Trades and book tops; short retention, the next tick supersedes a lost one.",
)
MARKET_CANDLES: Final = StreamSpec(
    name="MARKET_CANDLES",
    subjects=("md.candle.>",),
    max_age=timedelta(days=30),
    duplicate_window=timedelta(minutes=10),
    description="Closed candles; de-duplicated so a backfill can republish safely.",
)
CHAT: Final = StreamSpec(
    name="CHAT",
    subjects=("chat.>",),
    max_age=timedelta(days=30),
    description="Chat requests and streamed replies.",
)
TRADING: Final = StreamSpec(
    name="TRADING",
    subjects=("intent.>", "risk.>", "exec.>"),
    max_age=timedelta(days=400),
    duplicate_window=timedelta(minutes=10),
    description="Intents, decisions, order commands and events: kept for audit replay.",
)
SYSTEM: Final = StreamSpec(
    name="SYSTEM",
    subjects=("sys.>",),
    max_age=timedelta(days=400),
    description="Kill switch engagements and releases.",
)
DEAD_LETTER: Final = StreamSpec(
    name="DEAD_LETTER",
    subjects=("dlq.>",),
    max_age=timedelta(days=30),
    description="Messages that failed validation, with the reason.",
)

ALL_STREAMS: Final[tuple[StreamSpec, ...]] = (
    MARKET_TICKS,
    MARKET_CANDLES,
    CHAT,
    TRADING,
    SYSTEM,
    DEAD_LETTER,
)

# -- SUBJECTS ------------------------------------------------------------------------------------

ANY: Final = "*"
ALL_MARKET_DATA: Final = "md.>"


def trades(venue: str, symbol: str) -> str:
    return f"md.trade.{venue}.{_token(symbol)}"


def book_tops(venue: str, symbol: str) -> str:
    return f"md.book.{venue}.{_token(symbol)}"


def candles(venue: str, symbol: str, interval: str) -> str:
    return f"md.candle.{venue}.{_token(symbol)}.{interval}"


def chat_requests(user_id: str) -> str:
    return f"chat.request.{user_id}"


def chat_replies(user_id: str) -> str:
    return f"chat.reply.{user_id}"


def intents(user_id: str) -> str:
    return f"intent.{user_id}"


def decisions(user_id: str) -> str:
    return f"risk.decision.{user_id}"


def approvals(user_id: str) -> str:
    return f"risk.approval.{user_id}"


def mode_requests(user_id: str) -> str:
    return f"risk.mode.{user_id}"


def order_commands(venue: str) -> str:
    return f"exec.cmd.{venue}"


def order_events(user_id: str) -> str:
    return f"exec.evt.{user_id}"


KILL_SWITCH: Final = "sys.kill"
GLOBAL: Final = "global"


def kill_reports(user_id: str | None) -> str:
    """Where the executor reports a kill switch's cancels: per user, or ``global``.

    A different subject from ``sys.kill`` itself (subjects match token by token), so consumers of
    engagements never see reports.
    """
    return f"sys.kill.report.{user_id or GLOBAL}"


def dead_letters(service: str) -> str:
    return f"dlq.{service}"


def _token(symbol: str) -> str:
    return ANY if symbol == ANY else venue_symbol(symbol)
