"""The ``cryptopulse`` command: its settings reference is complete and the README carries it."""

from pathlib import Path

import pytest

from cryptopulse.cli import build_parser, main
from shared.config.settings import ALL_SETTINGS, ENV_PREFIX, PaperExchangeSettings

README = Path(__file__).resolve().parents[3] / "README.md"


def every_variable() -> set[str]:
    return {f"{ENV_PREFIX}{name.upper()}" for cls in ALL_SETTINGS for name in cls.model_fields}


def test_config_prints_every_setting_with_its_meaning(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config"]) == 0
    printed = capsys.readouterr().out
    for variable in every_variable():
        line = next(line for line in printed.splitlines() if f"`{variable}`" in line)
        assert not line.endswith("|  |"), f"{variable} has no description"


def test_readme_documents_every_setting() -> None:
    text = README.read_text()
    missing = sorted(v for v in every_variable() if v not in text)
    assert not missing, f"README lacks {missing}; paste `cryptopulse config` into it"


def test_every_setting_has_a_description() -> None:
    for cls in ALL_SETTINGS:
        for name, info in cls.model_fields.items():
            assert info.description, f"{cls.__name__}.{name} has no description"


def test_list_settings_accept_commas_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYPTOPULSE_PAPER_SYMBOLS", "BTC/USDT, ETH/USDT")
    assert PaperExchangeSettings().paper_symbols == ("BTC/USDT", "ETH/USDT")


def test_unknown_subcommand_exits_with_usage() -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["fly"])
    assert exit_info.value.code == 2


def test_bench_runs_the_risk_gate_alone_at_the_levels_given(monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptopulse.bench import run

    calls: dict[str, object] = {}

    def run_benchmarks(**kwargs: object) -> str:
        calls.update(kwargs)
        return "table"

    monkeypatch.setattr(run, "run_benchmarks", run_benchmarks)
    assert main(["bench", "--only", "risk", "--levels", "1:50, 10:100"]) == 0
    assert calls["only"] == "risk" and calls["risk_levels"] == {1: 50, 10: 100}


@pytest.mark.parametrize(
    "argv",
    [
        ["bench", "--levels", "0:5"],
        ["bench", "--levels", "ten"],
        ["bench", "--update-readme", "--levels", "1:5"],
        ["bench", "--update-readme", "--only", "risk"],
    ],
)
def test_bench_refuses_bad_levels_and_partial_readme_runs(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
