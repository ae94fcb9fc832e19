"""deploy/fly: one fly.toml per service, each running that service's process from the one image,
on the port the service listens on, health-checked on a path it serves, scraped at /metrics."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from cryptopulse.services import ServiceSpec, stack_services
from shared.runtime.ops import ops_routes

ROOT = Path(__file__).resolve().parents[3]
FLY = ROOT / "deploy" / "fly"
SERVICES = stack_services(with_paper=True)


def fly_config(spec: ServiceSpec) -> dict[str, Any]:
    return tomllib.loads((FLY / spec.name / "fly.toml").read_text())


async def _ready() -> dict[str, bool]:
    return {}


def served_ops_paths() -> set[str]:
    return {route.path for route in ops_routes("any", CollectorRegistry(), _ready)}


def test_every_service_has_a_fly_config_and_nothing_else_does() -> None:
    assert {path.parent.name for path in FLY.glob("*/fly.toml")} == {spec.name for spec in SERVICES}
    assert (FLY / "README.md").exists()


def test_app_names_are_distinct() -> None:
    names = [fly_config(spec)["app"] for spec in SERVICES]
    assert len(set(names)) == len(names)
    assert all(name.startswith("cryptopulse-") for name in names)


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_the_process_is_the_service_s_module_from_the_one_dockerfile(spec: ServiceSpec) -> None:
    config = fly_config(spec)
    assert config["processes"] == {"app": f"python -m {spec.module}"}
    dockerfile = (FLY / spec.name / config["build"]["dockerfile"]).resolve()
    assert dockerfile == ROOT / "deploy" / "docker" / "python.Dockerfile"
    assert dockerfile.exists()


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_the_service_listens_where_fly_sends_traffic_and_checks(spec: ServiceSpec) -> None:
    """``spec.port`` is the port setting's default: what the service listens on inside the image."""
    config = fly_config(spec)
    service = config["http_service"]
    assert service["internal_port"] == spec.port
    assert config["env"]["PORT"] == str(spec.port)
    assert config["env"]["CRYPTOPULSE_HOST"] == "::"
    checks = service["checks"]
    assert checks and all(check["path"] in served_ops_paths() for check in checks)
    assert all(check["method"] == "GET" for check in checks)


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_fly_scrapes_the_metrics_endpoint(spec: ServiceSpec) -> None:
    metrics = fly_config(spec)["metrics"]
    assert metrics == {"port": spec.port, "path": "/metrics"}
    assert "/metrics" in served_ops_paths()


def test_no_secret_is_written_in_a_fly_config() -> None:
    for spec in SERVICES:
        names = set(fly_config(spec).get("env", {}))
        assert not names & {
            "CRYPTOPULSE_DATABASE_URL",
            "CRYPTOPULSE_JWT_SECRET",
            "CRYPTOPULSE_VAULT_TOKEN",
            "CRYPTOPULSE_BINANCE_API_SECRET",
        }, spec.name


def test_the_paper_exchange_keeps_its_state_on_a_volume() -> None:
    config = fly_config(next(spec for spec in SERVICES if spec.name == "paper_exchange"))
    assert config["mounts"]["destination"] == config["env"]["CRYPTOPULSE_PAPER_STATE_DIR"]


def test_the_gateway_migrates_the_database_before_each_release() -> None:
    config = fly_config(next(spec for spec in SERVICES if spec.name == "api_gateway"))
    assert config["deploy"]["release_command"] == "python -m cryptopulse.cli migrate"
