"""docs/metrics.md is the operator's one catalog: every metric a service's metrics class registers
is listed there, with its type and labels, so the catalog cannot drift from the code."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase

from services.agent.metrics import AgentMetrics
from services.api_gateway.market_hub import HubMetrics
from services.api_gateway.user_hub import UserHubMetrics
from services.executor.metrics import ExecutorMetrics
from services.market_feed.metrics import FeedMetrics
from services.paper_exchange.metrics import PaperMetrics
from services.risk_gate.metrics import RiskMetrics
from shared.messaging.publisher import PublisherMetrics
from shared.telemetry.http_metrics import HttpMetrics

CATALOG = Path(__file__).resolve().parents[4] / "docs" / "metrics.md"
ROW = re.compile(r"^\| `(?P<name>[a-z_]+)` \| (?P<type>[a-z]+) \|(?P<labels>[a-z_, ]*)\|", re.MULTILINE)

FACTORIES: dict[str, Callable[[CollectorRegistry], object]] = {
    "HttpMetrics": HttpMetrics,
    "PublisherMetrics": lambda registry: PublisherMetrics(registry, "any"),
    "RiskMetrics": RiskMetrics,
    "ExecutorMetrics": ExecutorMetrics,
    "AgentMetrics": lambda registry: AgentMetrics(registry, ("openai",)),
    "FeedMetrics": FeedMetrics,
    "PaperMetrics": PaperMetrics,
    "HubMetrics": HubMetrics,
    "UserHubMetrics": UserHubMetrics,
}


def _metrics_of(holder: object) -> Iterator[MetricWrapperBase]:
    """The metrics a metrics class holds, including those of the metrics classes it holds."""
    for value in vars(holder).values():
        if isinstance(value, MetricWrapperBase):
            yield value
        elif type(value).__module__.startswith(("services.", "shared.")) and hasattr(value, "__dict__"):
            yield from _metrics_of(value)


def _exposed_name(metric: MetricWrapperBase) -> str:
    return f"{metric._name}_total" if metric._type == "counter" else metric._name


def _catalog() -> dict[str, tuple[str, tuple[str, ...]]]:
    rows = {}
    for row in ROW.finditer(CATALOG.read_text(encoding="utf-8")):
        labels = tuple(label.strip() for label in row["labels"].split(",") if label.strip())
        rows[row["name"]] = (row["type"], labels)
    return rows


@pytest.mark.parametrize("factory", list(FACTORIES), ids=list(FACTORIES))
def test_every_metric_of_the_class_is_in_the_catalog_with_its_type_and_labels(factory: str) -> None:
    holder = FACTORIES[factory](CollectorRegistry())
    catalog = _catalog()
    metrics = list(_metrics_of(holder))
    assert metrics, f"{factory} holds no metric"
    for metric in metrics:
        name = _exposed_name(metric)
        assert name in catalog, f"{name} ({factory}) is missing from docs/metrics.md"
        assert catalog[name] == (metric._type, tuple(metric._labelnames)), f"{name}: the catalog differs"


def test_the_catalog_lists_no_metric_twice() -> None:
    names = [row["name"] for row in ROW.finditer(CATALOG.read_text(encoding="utf-8"))]
    assert len(names) == len(set(names)) and len(names) > 50
