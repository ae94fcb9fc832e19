"""Where the gateway's JWT secret comes from: its settings, or the file `cryptopulse up` makes once."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from cryptopulse.stack import JWT_SECRET_FILE, StackFailed, ensure_jwt_secret
from shared.config.settings import GatewaySettings


def test_the_gateway_has_no_jwt_secret_unless_one_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRYPTOPULSE_JWT_SECRET", raising=False)

    settings = GatewaySettings()

    assert settings.jwt_secret is None and settings.jwt_audience == "authenticated"


def test_an_empty_jwt_secret_variable_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYPTOPULSE_JWT_SECRET", "")

    assert GatewaySettings().jwt_secret is None


def test_a_short_jwt_secret_is_refused_without_being_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYPTOPULSE_JWT_SECRET", "too-short-secret")

    with pytest.raises(ValidationError) as refused:
        GatewaySettings()

    assert "at least 32 bytes, was 16" in str(refused.value)
    assert "too-short-secret" not in str(refused.value)


def test_the_jwt_secret_is_read_from_the_environment_and_kept_out_of_repr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRYPTOPULSE_JWT_SECRET", "s" * 40)
    monkeypatch.setenv("CRYPTOPULSE_JWT_AUDIENCE", "cryptopulse")

    settings = GatewaySettings()

    assert settings.jwt_secret is not None and settings.jwt_secret.get_secret_value() == "s" * 40
    assert settings.jwt_audience == "cryptopulse"
    assert "s" * 40 not in repr(settings)


def test_the_stack_generates_its_secret_once_readable_by_the_owner_only(tmp_path: Path) -> None:
    first = ensure_jwt_secret(tmp_path)
    again = ensure_jwt_secret(tmp_path)

    assert first == again and len(first) >= 32
    assert stat.S_IMODE((tmp_path / JWT_SECRET_FILE).stat().st_mode) == 0o600


def test_each_data_dir_gets_a_random_secret_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()

    assert ensure_jwt_secret(tmp_path / "a") != ensure_jwt_secret(tmp_path / "b")


def test_the_stack_refuses_a_secret_file_others_can_read(tmp_path: Path) -> None:
    ensure_jwt_secret(tmp_path)
    (tmp_path / JWT_SECRET_FILE).chmod(0o644)

    with pytest.raises(StackFailed, match="readable by other users"):
        ensure_jwt_secret(tmp_path)


def test_the_stack_refuses_a_secret_file_too_short_to_sign_with(tmp_path: Path) -> None:
    path = tmp_path / JWT_SECRET_FILE
    path.write_text("short\n")
    path.chmod(0o600)

    with pytest.raises(StackFailed, match="no usable JWT secret"):
        ensure_jwt_secret(tmp_path)
