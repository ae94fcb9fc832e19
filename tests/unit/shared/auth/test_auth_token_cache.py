"""Verified access tokens are remembered until their ``exp`` and never beyond; refused ones never."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from pydantic import SecretStr

from shared.auth.access import AccessTokenVerifier
from shared.auth.token_cache import CachedVerifier
from shared.auth.tokens import Claims, TokenError, TokenVerifier, issue_token

SECRET = SecretStr("unit-test-token-cache-secret-" + "c" * 40)
OTHER_SECRET = SecretStr("another-token-cache-secret-" + "o" * 40)


class Counted:
    """The real verifier, counting the tokens it was asked to check."""

    def __init__(self) -> None:
        self._real = AccessTokenVerifier(TokenVerifier(SECRET))
        self.checked = 0

    async def verify(self, token: str) -> Claims:
        self.checked += 1
        return await self._real.verify(token)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def token(
    user: UUID | None = None, *, ttl: timedelta = timedelta(hours=1), secret: SecretStr = SECRET
) -> str:
    return issue_token(secret, user or uuid4(), ttl=ttl)


async def test_a_token_verified_once_is_answered_from_memory_with_the_same_claims() -> None:
    # Arrange
    inner = Counted()
    cache = CachedVerifier(inner)
    user = uuid4()
    bearer = token(user)

    # Act
    first = await cache.verify(bearer)
    second = await cache.verify(bearer)

    # Assert
    assert first == second and second.sub == user
    assert inner.checked == 1


async def test_an_entry_is_never_used_at_or_after_the_tokens_exp() -> None:
    # Arrange
    inner, clock = Counted(), Clock()
    cache = CachedVerifier(inner, clock=clock)
    bearer = token()
    claims = await cache.verify(bearer)

    # Act: the cache's clock reaches the token's exp (the real verifier's has not)
    clock.now = claims.exp
    await cache.verify(bearer)

    # Assert: checked again, not served from memory
    assert inner.checked == 2


async def test_an_expired_token_is_refused_every_time_and_never_remembered() -> None:
    # Arrange
    inner = Counted()
    cache = CachedVerifier(inner)
    bearer = issue_token(
        SECRET, uuid4(), ttl=timedelta(minutes=5), now=datetime.now(UTC) - timedelta(hours=1)
    )

    # Act / Assert
    for _ in range(2):
        with pytest.raises(TokenError, match="expired"):
            await cache.verify(bearer)
    assert inner.checked == 2 and len(cache) == 0


async def test_a_refused_token_is_checked_again_each_time() -> None:
    # Arrange
    inner = Counted()
    cache = CachedVerifier(inner)
    forged = token(secret=OTHER_SECRET)

    # Act / Assert
    for _ in range(2):
        with pytest.raises(TokenError, match="signature"):
            await cache.verify(forged)
    assert inner.checked == 2 and len(cache) == 0


async def test_the_least_recently_used_token_goes_first_when_full() -> None:
    # Arrange
    inner = Counted()
    cache = CachedVerifier(inner, entries=2)
    old, recent, newest = token(), token(), token()
    await cache.verify(old)
    await cache.verify(recent)
    await cache.verify(old)  # now the most recently used

    # Act
    await cache.verify(newest)
    checked = inner.checked
    await cache.verify(old)
    still_cached = inner.checked == checked
    await cache.verify(recent)

    # Assert
    assert still_cached
    assert inner.checked == checked + 1  # ``recent`` was evicted and checked again
    assert len(cache) == 2


def test_a_cache_needs_room_for_at_least_one_token() -> None:
    with pytest.raises(ValueError, match="positive"):
        CachedVerifier(Counted(), entries=0)
