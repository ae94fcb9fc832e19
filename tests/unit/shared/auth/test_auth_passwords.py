"""Passwords: the policy a new one must meet, and argon2id hashes that verify, refuse and age."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from shared.auth.passwords import PasswordHashing, PasswordPolicyError, check_password

# Cheap parameters: the tests check behaviour, not cost.
FAST = {"time_cost": 1, "memory_kib": 1024, "parallelism": 1}


@pytest.fixture(scope="module")
def hashing() -> PasswordHashing:
    return PasswordHashing(**FAST)


# -- POLICY ----------------------------------------------------------------------------------------


def test_a_password_of_ten_characters_up_to_128_bytes_is_accepted() -> None:
    assert check_password("a" * 10, "alice@example.com") == "a" * 10
    assert check_password("b" * 128) == "b" * 128


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("a" * 9, "expected a password of at least 10 characters, was 9"),
        ("c" * 129, "expected a password of at most 128 bytes, was 129"),
        # 33 characters, 132 bytes: the bound is on bytes, what the hash actually works on
        ("\N{GRINNING FACE}" * 33, "expected a password of at most 128 bytes, was 132"),
        ("Alice@Example.com", "expected a password other than the e-mail address"),
    ],
)
def test_a_password_the_policy_refuses_gets_the_reason_without_quoting_it(password: str, reason: str) -> None:
    with pytest.raises(PasswordPolicyError) as refused:
        check_password(password, "alice@example.com")

    assert str(refused.value) == reason
    assert password not in str(refused.value)


# -- HASHING ---------------------------------------------------------------------------------------


def test_a_hash_is_salted_argon2id_and_verifies_only_its_password(hashing: PasswordHashing) -> None:
    # Act
    first, second = hashing.hash("correct horse battery"), hashing.hash("correct horse battery")

    # Assert
    assert first.startswith("$argon2id$") and first != second
    assert "correct horse battery" not in first
    assert hashing.verify(first, "correct horse battery") and hashing.verify(second, "correct horse battery")
    assert not hashing.verify(first, "correct horse batterY")


@pytest.mark.parametrize("stored", ["", "plaintext", "$argon2id$v=19$m=1024,t=1,p=1$broken"])
def test_a_malformed_stored_hash_matches_nothing_and_asks_for_a_rehash(
    hashing: PasswordHashing, stored: str
) -> None:
    assert not hashing.verify(stored, "plaintext")
    assert hashing.needs_rehash(stored)


def test_a_hash_made_under_other_parameters_verifies_and_asks_for_a_rehash(hashing: PasswordHashing) -> None:
    stronger = PasswordHashing(time_cost=2, memory_kib=2048, parallelism=1)
    old = hashing.hash("correct horse battery")

    assert stronger.verify(old, "correct horse battery")
    assert stronger.needs_rehash(old) and not hashing.needs_rehash(old)
    assert not stronger.needs_rehash(stronger.hash("correct horse battery"))


def test_verifying_for_an_unknown_account_takes_as_long_as_a_real_check_and_always_fails() -> None:
    # Costly enough (tens of ms) that skipping the work would stand far out of the noise.
    hashing = PasswordHashing(time_cost=2, memory_kib=16384, parallelism=1)
    stored = hashing.hash("correct horse battery")

    def best_of_five(check: Callable[[], bool]) -> float:
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            check()
            timings.append(time.perf_counter() - started)
        return min(timings)

    real = best_of_five(lambda: hashing.verify(stored, "wrong horse battery"))
    nobody = best_of_five(lambda: hashing.verify_nobody("wrong horse battery"))

    assert hashing.verify_nobody("correct horse battery") is False
    assert 0.5 < nobody / real < 2.0


async def test_the_async_helpers_hash_and_verify_off_the_loop(hashing: PasswordHashing) -> None:
    stored = await hashing.hash_async("correct horse battery")

    assert await hashing.verify_async(stored, "correct horse battery")
    assert not await hashing.verify_async(None, "correct horse battery")


def test_the_hasher_shows_its_parameters_not_its_dummy_hash(hashing: PasswordHashing) -> None:
    assert repr(hashing) == "PasswordHashing(time_cost=1, memory_kib=1024, parallelism=1)"
