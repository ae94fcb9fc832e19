"""deploy/prometheus: a configuration and alert rules Prometheus's own checker accepts, and alerts
an operator can act on (a severity to route by, a wait before firing, a summary and what to do)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.observability import ALERT_RULES, PROMETHEUS_CONFIG, alert_rules, with_bool_comparisons
from tests.support.prometheus import promtool

REQUIRED_ALERTS = {
    "FeedStale",
    "HttpErrorSpike",
    "LossLimitHit",
    "KillSwitchEngaged",
    "ReconciliationDrift",
    "ModelFallbackStorm",
}
SEVERITIES = {"critical", "warning", "info"}


def test_promtool_accepts_the_configuration_and_its_rule_file() -> None:
    checked = promtool("check", "config", str(PROMETHEUS_CONFIG))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 rule files found" in checked.stdout + checked.stderr


def test_promtool_accepts_the_alert_rules() -> None:
    checked = promtool("check", "rules", str(ALERT_RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_promtool_rejects_a_broken_rule(tmp_path: Path) -> None:
    """The checks above could not pass on a rule file Prometheus would refuse."""
    broken = tmp_path / "broken.yml"
    broken.write_text("groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: rate(up[5m]\n")
    assert promtool("check", "rules", str(broken)).returncode != 0


def test_the_issue_s_alerts_are_all_there() -> None:
    assert {rule["alert"] for rule in alert_rules()} >= REQUIRED_ALERTS


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: str(rule["alert"]))
def test_every_alert_waits_has_a_severity_and_tells_what_to_do(rule: dict[str, Any]) -> None:
    assert re.fullmatch(r"[1-9]\d*[smh]", rule["for"]), rule["for"]
    assert rule["labels"]["severity"] in SEVERITIES
    assert len(rule["annotations"]["summary"]) > 10
    assert len(rule["annotations"]["description"]) > 60


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: str(rule["alert"]))
def test_every_alert_compares_against_a_threshold(rule: dict[str, Any]) -> None:
    """So that the end-to-end test can evaluate it as a ``bool`` comparison, firing or not."""
    assert with_bool_comparisons(rule["expr"]) != rule["expr"]


def test_the_scrape_jobs_are_the_services() -> None:
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    jobs = [job["job_name"] for job in config["scrape_configs"]]
    assert jobs == ["paper_exchange", "market_feed", "agent", "risk_gate", "executor", "api_gateway"]
    assert config["rule_files"] == ["alerts.yml"]


@pytest.mark.parametrize(
    ("expr", "rewritten"),
    [
        ("up == 0", "up == bool 0"),
        ("sum by (code) (rate(x_total[5m])) * 60 > 5", "sum by (code) (rate(x_total[5m])) * 60 > bool 5"),
        (
            'max(x{scope="global", a!="b", c=~"5..", d!~"e"}) > 0',
            'max(x{scope="global", a!="b", c=~"5..", d!~"e"}) > bool 0',
        ),
        ("a / b >= 0.05", "a / b >= bool 0.05"),
        ("a > bool 1", "a > bool 1"),
        ("a > on(job) b", "a > bool on(job) b"),
        ('label_replace(up, "x", ">", "", "")', 'label_replace(up, "x", ">", "", "")'),
        ("rate(x_total[5m])", "rate(x_total[5m])"),
    ],
)
def test_the_bool_rewrite_changes_only_the_alert_s_own_comparisons(expr: str, rewritten: str) -> None:
    assert with_bool_comparisons(expr) == rewritten
