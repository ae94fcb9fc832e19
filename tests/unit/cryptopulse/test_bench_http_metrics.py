"""The HTTP metrics benchmark's app is metered or not as asked, and its table reads per path."""

from __future__ import annotations

from cryptopulse.bench.http_metrics import (
    HttpMetricsResult,
    PathCost,
    gateway_shaped_app,
    http_metrics_table,
    run_http_metrics_benchmark,
)
from shared.telemetry.http_metrics import HttpMetricsMiddleware


def test_only_the_metered_app_has_the_middleware() -> None:
    assert [m.cls for m in gateway_shaped_app(metered=True).user_middleware] == [HttpMetricsMiddleware]
    assert gateway_shaped_app(metered=False).user_middleware == []


def test_the_table_shows_each_path_with_and_without_and_the_difference() -> None:
    result = HttpMetricsResult([PathCost("/healthz", 20.0, 25.0)], observe_us=1.5)
    table = http_metrics_table(result)
    assert "| `/healthz` | 20.0 (50,000) | 25.0 (40,000) | +5.0 µs (+25%) |" in table
    assert "1.50 µs" in table


def test_a_short_run_measures_every_path() -> None:
    result = run_http_metrics_benchmark(requests=20, rounds=1)
    assert [cost.path for cost in result.paths] == ["/healthz", "/api/orders/42", "/no/such/path"]
    assert all(cost.without_us > 0 and cost.with_us > 0 for cost in result.paths)
