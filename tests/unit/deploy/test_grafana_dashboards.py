"""deploy/grafana: provisioning that points Grafana at Prometheus and loads the dashboards, and
dashboards whose every panel queries that data source with PromQL Prometheus parses, counters
through rate() or increase(), histograms through histogram_quantile() by ``le``, and a unit."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.observability import (
    DATASOURCE_UID,
    DEPLOY,
    PanelQuery,
    load_dashboards,
    panel_queries,
)
from tests.support.prometheus import promtool

BOARDS = load_dashboards()
QUERIES = [query for name, board in BOARDS.items() for query in panel_queries(name, board)]
PANELS = [(name, panel) for name, board in BOARDS.items() for panel in board["panels"]]


def test_the_four_dashboards_exist_with_distinct_uids() -> None:
    assert set(BOARDS) == {"overview", "trading", "agent", "infrastructure"}
    uids = [board["uid"] for board in BOARDS.values()]
    assert len(set(uids)) == len(uids)


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_every_dashboard_is_a_recent_grafana_dashboard(name: str) -> None:
    board = BOARDS[name]
    assert board["schemaVersion"] >= 36
    assert board["title"] and board["uid"].startswith("cryptopulse-") and len(board["uid"]) <= 40
    assert "cryptopulse" in board["tags"]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(set(ids)) == len(ids)
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]


@pytest.mark.parametrize(("board", "panel"), PANELS, ids=lambda p: p if isinstance(p, str) else p["title"])
def test_every_panel_queries_prometheus_by_uid_with_a_unit(board: str, panel: dict[str, Any]) -> None:
    assert panel["datasource"] == {"type": "prometheus", "uid": DATASOURCE_UID}
    assert panel["targets"], "a panel without a query"
    for target in panel["targets"]:
        assert target["datasource"]["uid"] == DATASOURCE_UID
        assert target["expr"].strip() and target["refId"]
    assert panel["fieldConfig"]["defaults"]["unit"]
    assert panel["description"]


@pytest.mark.parametrize("query", QUERIES, ids=str)
def test_every_query_uses_only_known_variables(query: PanelQuery) -> None:
    assert "$" not in query.expr, f"unknown variable left in {query.expr}"


@pytest.mark.parametrize("query", QUERIES, ids=str)
def test_counters_go_through_rate_and_histograms_through_quantiles_by_le(query: PanelQuery) -> None:
    for metric in re.findall(r"\b(?:rate|increase)\((\w+)", query.expr):
        assert metric.endswith(("_total", "_bucket", "_count", "_sum")), f"rate() of a gauge: {metric}"
    for metric in re.findall(r"\b(\w+_total)\b", query.expr):
        assert re.search(rf"\b(?:rate|increase)\({metric}\b", query.expr), f"raw counter {metric}"
    for histogram in re.findall(r"histogram_quantile\(([^,]+),(.*)", query.expr):
        assert re.search(r"sum by \(le\b|by \(le,", histogram[1]) and "_bucket" in histogram[1]
        assert 0 < float(histogram[0]) < 1


def test_promtool_parses_every_panel_query(tmp_path: Path) -> None:
    """Every query, with Grafana's variables filled in, as a recording rule: promtool parses each."""
    rules = [{"record": f"panel:{i}", "expr": query.expr} for i, query in enumerate(QUERIES)]
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    checked = promtool("check", "rules", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(QUERIES)} rules found" in checked.stdout


def test_the_data_source_is_prometheus_with_the_dashboards_uid() -> None:
    provisioned = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text())
    [source] = provisioned["datasources"]
    assert (source["type"], source["uid"], source["url"]) == (
        "prometheus",
        DATASOURCE_UID,
        "http://prometheus:9090",
    )


def test_the_dashboard_provider_loads_the_folder_compose_mounts() -> None:
    provisioned = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/cryptopulse.yml").read_text())
    [provider] = provisioned["providers"]
    compose = yaml.safe_load((DEPLOY.parent / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in mounts
