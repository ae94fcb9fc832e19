"""Dashboards and alerts query only metrics the services export: every metric name in a panel
query or alert expression is in the catalog, docs/metrics.md (which a test keeps in step with the
services' registries), so a renamed metric fails here rather than as an empty panel."""

from __future__ import annotations

import re

import pytest

from tests.support.observability import REPO, alert_rules, load_dashboards, panel_queries

PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless"}
PROMETHEUS_OWN = {"up", "ALERTS"}
HISTOGRAM_SERIES = ("_bucket", "_count", "_sum")


def catalog() -> set[str]:
    return set(re.findall(r"^\| `(\w+)`", (REPO / "docs" / "metrics.md").read_text(), re.MULTILINE))


def metric_names(expr: str) -> set[str]:
    """Names of the series ``expr`` selects: its identifiers less functions, keywords, label lists,
    matchers, durations and strings."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", bare)
    bare = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", bare)
    names = set()
    for match in re.finditer(r"\b([A-Za-z_:][\w:]*)\b(\s*\()?", bare):
        name, call = match.group(1), match.group(2)
        if not call and name not in PROMQL_WORDS:
            names.add(name)
    return names


def exported(name: str) -> bool:
    if name in PROMETHEUS_OWN or name.startswith("process_"):
        return True
    base = next((name.removesuffix(s) for s in HISTOGRAM_SERIES if name.endswith(s)), name)
    return name in catalog() or base in catalog()


EXPRESSIONS = [(str(q), q.expr) for n, b in load_dashboards().items() for q in panel_queries(n, b)] + [
    (f"alert {rule['alert']}", rule["expr"]) for rule in alert_rules()
]


def test_the_name_extraction_skips_functions_keywords_and_labels() -> None:
    expr = 'histogram_quantile(0.95, sum by (le, job) (rate(a_seconds_bucket{job=~"x"}[5m]))) > bool 1'
    assert metric_names(expr) == {"a_seconds_bucket"}
    assert metric_names("(x_total or y_total * 0) / on(job) z_total") == {"x_total", "y_total", "z_total"}


@pytest.mark.parametrize(("where", "expr"), EXPRESSIONS, ids=[where for where, _ in EXPRESSIONS])
def test_every_queried_metric_is_exported(where: str, expr: str) -> None:
    names = metric_names(expr)
    assert names, f"no metric in {expr}"
    assert [name for name in names if not exported(name)] == [], expr
