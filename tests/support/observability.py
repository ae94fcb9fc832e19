"""What deploy/ gives operators, read for the tests: every dashboard panel query and every alert
rule, and the two rewrites that make them evaluable outside Grafana and whether firing or not."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DASHBOARDS = DEPLOY / "grafana" / "dashboards"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
ALERT_RULES = DEPLOY / "prometheus" / "alerts.yml"
DATASOURCE_UID = "cryptopulse-prometheus"

GRAFANA_BUILTINS = {"__rate_interval": "1m", "__interval": "15s", "__range": "10m"}
"""Concrete stand-ins for Grafana's interval variables: windows that hold several scrapes of a
test's 1 s scrape interval and the whole scripted session."""


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    ref_id: str
    expr: str

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel} / {self.ref_id}"


def load_dashboards() -> dict[str, dict[str, Any]]:
    """Every dashboard JSON under deploy/grafana/dashboards, by file stem."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))}


def panel_queries(name: str, board: dict[str, Any]) -> list[PanelQuery]:
    """Every target of every panel with Grafana's variables replaced by concrete values."""
    values = dict(GRAFANA_BUILTINS)
    for variable in board.get("templating", {}).get("list", []):
        values[variable["name"]] = variable.get("allValue") or ".*"
    return [
        PanelQuery(name, panel["title"], target["refId"], substitute(target["expr"], values))
        for panel in board["panels"]
        for target in panel.get("targets", [])
    ]


def substitute(expr: str, values: dict[str, str]) -> str:
    """Replace ``$name`` and ``${name}`` with ``values[name]``; an unknown variable stays as is
    (so a test sees it left over)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return values.get(name, match.group(0))

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, expr)


def alert_rules() -> list[dict[str, Any]]:
    """Every alerting rule of deploy/prometheus/alerts.yml, across its groups."""
    loaded: dict[str, Any] = yaml.safe_load(ALERT_RULES.read_text())
    return [rule for group in loaded["groups"] for rule in group["rules"] if "alert" in rule]


COMPARISONS = ("==", "!=", ">=", "<=", ">", "<")


def with_bool_comparisons(expr: str) -> str:
    """``expr`` with every comparison outside brackets and strings made a ``bool`` comparison.

    ``errors > 5`` keeps only the series above 5; ``errors > bool 5`` returns every series, 1 where
    the condition holds and 0 elsewhere, so the whole expression can be evaluated whether the
    alert would fire or not. Label matchers (``{status=~"5.."}``) sit inside braces, durations
    inside square brackets and values in quotes, so only the alert's own comparisons change.
    """
    out: list[str] = []
    depth = 0
    quote = ""
    i = 0
    while i < len(expr):
        char = expr[i]
        if quote:
            out.append(char)
            if char == "\\" and i + 1 < len(expr):
                out.append(expr[i + 1])
                i += 1
            elif char == quote:
                quote = ""
            i += 1
            continue
        if char in "\"'`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0:
            operator = next((op for op in COMPARISONS if expr.startswith(op, i)), None)
            if operator and not expr.startswith("=~", i) and not expr.startswith("!~", i):
                out.append(operator)
                i += len(operator)
                if not re.match(r"\s*bool\b", expr[i:]):
                    out.append(" bool")
                continue
        out.append(char)
        i += 1
    return "".join(out)


def has_comparison(expr: str) -> bool:
    return with_bool_comparisons(expr) != expr
