"""Repositories, one per aggregate; each takes an ``async_sessionmaker`` and owns its transactions."""

from shared.db.repositories.candles import CandleRepository
from shared.db.repositories.users import UserRecord, UserRepository

__all__ = ["CandleRepository", "UserRecord", "UserRepository"]
