"""Every table, imported here so ``Base.metadata`` is complete for Alembic and the tests."""

from shared.db.base import Base
from shared.db.models.accounts import LoginFailure, RefreshToken, UserCredential
from shared.db.models.agent import AgentTokenUsage
from shared.db.models.exchange_keys import ExchangeKey
from shared.db.models.market import MarketCandle
from shared.db.models.model_preferences import ModelPreference
from shared.db.models.orders import Fill, Order
from shared.db.models.portfolio import Balance, Position, ReconciliationCheckpoint
from shared.db.models.risk import (
    DisabledRule,
    IntentRow,
    KillSwitch,
    RiskAccountRow,
    RiskAuditEntry,
    RiskLimitsRow,
)
from shared.db.models.rules import RuleFiring, RuleRow
from shared.db.models.users import User, UserRole
from shared.db.models.watchlists import UserWatchlist

__all__ = [
    "AgentTokenUsage",
    "Balance",
    "Base",
    "DisabledRule",
    "ExchangeKey",
    "Fill",
    "IntentRow",
    "KillSwitch",
    "LoginFailure",
    "MarketCandle",
    "ModelPreference",
    "Order",
    "Position",
    "ReconciliationCheckpoint",
    "RefreshToken",
    "RiskAccountRow",
    "RiskAuditEntry",
    "RiskLimitsRow",
    "RuleFiring",
    "RuleRow",
    "User",
    "UserCredential",
    "UserRole",
    "UserWatchlist",
]
