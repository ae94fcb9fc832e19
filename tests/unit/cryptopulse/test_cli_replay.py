"""``cryptopulse replay`` refuses bad arguments and unreachable servers with one line and exit 2."""

from __future__ import annotations

import pytest

from cryptopulse.cli import main
from cryptopulse.servers.ports import free_port


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["replay", "--since", "2026-12-01T00:00"], "has no zone"),
        (["replay", "--since", "yesterday"], "expected an ISO 8601 time"),
        (["replay", "--since-seq", "0"], "expected a number of at least 1"),
        (["replay", "--since-seq", "5", "--since", "2026-12-01T00:00Z"], "not allowed with argument"),
        (["replay", "--user", "alice"], "expected a user id (UUID)"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_until_before_since_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "--since", "2026-12-02T00:00Z", "--until", "2026-12-01T00:00Z"]) == 2
    assert "--until must be after --since" in capsys.readouterr().err


def test_an_unreachable_nats_server_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRYPTOPULSE_NATS_URL", f"nats://127.0.0.1:{free_port()}")
    assert main(["replay", "--no-db", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cryptopulse replay: could not run:") and err.count("\n") == 1
