"""The pure rules of the exchange key repository and the ``cryptopulse keys`` input handling."""

from __future__ import annotations

import io
from uuid import uuid4

import pytest
from pydantic import SecretStr

from cryptopulse.cli import build_parser
from cryptopulse.keys import SecretInputError, read_key_pair
from shared.db.repositories.exchange_keys import (
    SigningCredentials,
    api_key_hint,
    bindings_for,
    check_label,
    check_secret,
    check_venue,
)


def test_hint_is_the_last_four_characters_of_a_long_key_only() -> None:
    assert api_key_hint(SecretStr("A" * 60 + "wxyz")) == "wxyz"
    assert api_key_hint(SecretStr("short-key-12")) == ""


@pytest.mark.parametrize("label", ["main", "bot-2", "a", "x" * 64, "Main_1.b"])
def test_good_labels(label: str) -> None:
    assert check_label(label) == label


@pytest.mark.parametrize("label", ["", " main", "-main", "x" * 65, "main key", "ключ", "a/b"])
def test_bad_labels(label: str) -> None:
    with pytest.raises(ValueError):
        check_label(label)


def test_venues() -> None:
    assert [check_venue(v) for v in ("paper", "testnet", "live")] == ["paper", "testnet", "live"]
    with pytest.raises(ValueError):
        check_venue("binance")


@pytest.mark.parametrize("value", ["", " padded", "has space", "tab\there", "line\nbreak"])
def test_bad_secrets_are_refused_without_being_quoted(value: str) -> None:
    with pytest.raises(ValueError) as error:
        check_secret(SecretStr(value), "API secret")
    if value.strip():
        assert value.strip() not in str(error.value)


def test_bindings_cover_both_fields_of_one_row() -> None:
    key_id, user_id = uuid4(), uuid4()
    bindings = bindings_for(key_id, user_id, "paper")

    assert {b.purpose for b in bindings.values()} == {"api_key", "api_secret"}
    assert {(b.key_id, b.user_id, b.venue) for b in bindings.values()} == {(key_id, user_id, "paper")}


def test_credentials_repr_hides_the_secrets() -> None:
    credentials = SigningCredentials(
        uuid4(), "paper", "main", SecretStr("KEY-abc123"), SecretStr("SEC-xyz789")
    )
    for shown in (repr(credentials), str(credentials)):
        assert "KEY-abc123" not in shown and "SEC-xyz789" not in shown


def test_key_pair_from_piped_stdin() -> None:
    api_key, api_secret = read_key_pair(io.StringIO("the-key\n  the-secret  \n"))
    assert (api_key.get_secret_value(), api_secret.get_secret_value()) == ("the-key", "the-secret")


@pytest.mark.parametrize("text", ["", "only-one\n", "a\nb\nc\n"])
def test_key_pair_needs_exactly_two_lines(text: str) -> None:
    with pytest.raises(SecretInputError) as error:
        read_key_pair(io.StringIO(text))
    assert "only-one" not in str(error.value)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_key_pair_from_a_terminal_uses_the_no_echo_prompt() -> None:
    prompts: list[str] = []
    answers = iter(["tty-key", "tty-secret"])

    def prompt(text: str) -> str:
        prompts.append(text)
        return next(answers)

    api_key, api_secret = read_key_pair(_Terminal(), prompt)

    assert prompts == ["API key: ", "API secret: "]
    assert (api_key.get_secret_value(), api_secret.get_secret_value()) == ("tty-key", "tty-secret")


@pytest.mark.parametrize("flag", ["--secret", "--api-secret", "--api-key", "--key"])
def test_secrets_cannot_be_passed_on_the_command_line(flag: str) -> None:
    user = str(uuid4())
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["keys", "add", "--user", user, flag, "value"])
    assert exit_info.value.code == 2


def test_keys_parser_defaults() -> None:
    user = uuid4()
    args = build_parser().parse_args(["keys", "add", "--user", str(user)])
    assert (args.keys_command, args.user, args.venue, args.label) == ("add", user, "paper", "main")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["keys", "add", "--user", "not-a-uuid"])
