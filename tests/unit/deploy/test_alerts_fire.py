"""The alerts fire when they should and stay quiet when they should not: promtool's rule unit tests
on synthetic series, against deploy/prometheus/alerts.yml with its annotations left out (promtool
would compare their rendered text; what they say is checked in ``test_prometheus_rules``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.observability import ALERT_RULES
from tests.support.prometheus import promtool


def _firing(alert: str, **labels: str) -> dict[str, Any]:
    severity = {r["alert"]: r["labels"]["severity"] for r in _rules_without_annotations()}[alert]
    return {"exp_labels": {"severity": severity, **labels}}


def _rules_without_annotations() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(ALERT_RULES.read_text())
    rules = [rule for group in loaded["groups"] for rule in group["rules"]]
    for rule in rules:
        rule.pop("annotations", None)
    return rules


CASES: dict[str, tuple[list[dict[str, str]], list[dict[str, Any]]]] = {
    # name: (input series, alert checks) -- one sample a minute; "_" is a missing sample
    "a feed that stops publishing is stale after its wait, not before": (
        [{"series": 'feed_ticks_published_total{symbol="BTC/USDT"}', "values": "0+10x5 50x10"}],
        [
            {"eval_time": "6m", "alertname": "FeedStale", "exp_alerts": []},
            {
                "eval_time": "12m",
                "alertname": "FeedStale",
                "exp_alerts": [_firing("FeedStale", symbol="BTC/USDT")],
            },
        ],
    ),
    "5xx above 5% of a service's requests is a spike; 1% is not": (
        [
            {"series": 'http_requests_total{job="api_gateway", status="200"}', "values": "0+100x20"},
            {"series": 'http_requests_total{job="api_gateway", status="500"}', "values": "0+10x20"},
            {"series": 'http_requests_total{job="risk_gate", status="200"}', "values": "0+100x20"},
            {"series": 'http_requests_total{job="risk_gate", status="503"}', "values": "0+1x20"},
            {"series": 'http_requests_total{job="agent", status="200"}', "values": "0+100x20"},
        ],
        [
            {
                "eval_time": "15m",
                "alertname": "HttpErrorSpike",
                "exp_alerts": [_firing("HttpErrorSpike", job="api_gateway")],
            }
        ],
    ),
    "the global kill switch alerts; a user's own does not page": (
        [
            {"series": 'risk_kill_switch_engaged{scope="global"}', "values": "0 0 1 1 1 1 1"},
            {"series": 'risk_kill_switch_engaged{scope="user"}', "values": "1 1 1 1 1 1 1"},
        ],
        [
            {"eval_time": "2m", "alertname": "KillSwitchEngaged", "exp_alerts": []},
            {
                "eval_time": "5m",
                "alertname": "KillSwitchEngaged",
                "exp_alerts": [_firing("KillSwitchEngaged")],
            },
            {
                "eval_time": "6m",
                "alertname": "UserKillSwitchesEngaged",
                "exp_alerts": [_firing("UserKillSwitchesEngaged")],
            },
        ],
    ),
    "a loss-limit hit alerts for a while, then clears": (
        [{"series": "risk_loss_limit_hits_total", "values": "0 0 0 1 1 1 1 1x20"}],
        [
            {"eval_time": "2m", "alertname": "LossLimitHit", "exp_alerts": []},
            {"eval_time": "5m", "alertname": "LossLimitHit", "exp_alerts": [_firing("LossLimitHit")]},
            {"eval_time": "20m", "alertname": "LossLimitHit", "exp_alerts": []},
        ],
    ),
    "repairs by the reconciler alert by kind": (
        [
            {"series": 'executor_reconcile_drift_total{kind="missing_fill"}', "values": "0 0 0 2 2 2"},
            {"series": 'executor_reconcile_drift_total{kind="status"}', "values": "0 0 0 0 0 0"},
        ],
        [
            {
                "eval_time": "5m",
                "alertname": "ReconciliationDrift",
                "exp_alerts": [_firing("ReconciliationDrift", kind="missing_fill")],
            }
        ],
    ),
    "a provider failing over 5 times a minute is a storm; once a minute is not": (
        [
            {"series": 'llm_fallbacks_total{provider="openai"}', "values": "0+5x20"},
            {"series": 'llm_fallbacks_total{provider="gemini"}', "values": "0+1x20"},
        ],
        [
            {
                "eval_time": "15m",
                "alertname": "ModelFallbackStorm",
                "exp_alerts": [_firing("ModelFallbackStorm", provider="openai")],
            }
        ],
    ),
    "a service that stops answering scrapes is down after a minute": (
        [{"series": 'up{job="executor", instance="executor:8104"}', "values": "1 1 0 0 0 0"}],
        [
            {
                "eval_time": "5m",
                "alertname": "ServiceDown",
                "exp_alerts": [_firing("ServiceDown", job="executor", instance="executor:8104")],
            }
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_alert(case: str, tmp_path: Path) -> None:
    rules = tmp_path / "alerts.yml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "all", "rules": _rules_without_annotations()}]}))
    series, checks = CASES[case]
    tests = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, "alert_rule_test": checks}],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(tests))
    tested = promtool("test", "rules", str(tmp_path / "test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr
