"""docker-compose.yml runs the same processes as `cryptopulse up`, each health-checked, in order."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from cryptopulse.services import stack_services

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_every_service_of_the_stack_runs_in_compose_with_its_module(compose: dict[str, Any]) -> None:
    for spec in stack_services(with_paper=True):
        service = compose["services"][spec.name]
        assert service["command"] == ["python", "-m", spec.module]


def test_every_python_service_is_health_checked_on_its_own_port(compose: dict[str, Any]) -> None:
    for spec in stack_services(with_paper=True):
        service = compose["services"][spec.name]
        assert "readyz" in " ".join(service["healthcheck"]["test"])
        assert service["environment"]["PORT"] == str(spec.port), spec.name


def test_services_wait_for_nats_and_the_migration(compose: dict[str, Any]) -> None:
    for spec in stack_services(with_paper=True):
        depends = compose["services"][spec.name]["depends_on"]
        assert depends["nats"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert compose["services"]["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "--jetstream" in compose["services"]["nats"]["command"]


def test_the_database_password_is_required_not_defaulted() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "${POSTGRES_PASSWORD:?Variable not set}" in text
    assert "changethis" not in text


def test_the_dockerfile_installs_from_the_lock_file() -> None:
    dockerfile = (ROOT / "deploy" / "docker" / "python.Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "npm ci" in dockerfile


ONE_SHOT = {"migrate"}
"""Jobs that run to completion: the others wait for ``service_completed_successfully``, not health."""


def test_every_long_running_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name in ONE_SHOT:
            assert service["restart"] == "no"
            continue
        assert service["healthcheck"]["test"], name


def test_every_dependency_is_a_service_of_the_file(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, how in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            allowed = (
                {"service_completed_successfully"}
                if dependency in ONE_SHOT
                else {"service_healthy", "service_started"}
            )
            assert how["condition"] in allowed, f"{name} → {dependency}"
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], dependency


def test_every_mounted_path_of_the_repository_exists(compose: dict[str, Any]) -> None:
    mounted = [
        volume.split(":")[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
        if volume.startswith("./")
    ]
    assert mounted, "no bind mounts: Prometheus and Grafana read deploy/"
    for source in mounted:
        assert (ROOT / source).exists(), source


def test_prometheus_scrapes_each_service_on_its_port(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    scraped = {
        job["job_name"]: target
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    expected = {spec.name: f"{spec.name}:{spec.port}" for spec in stack_services(with_paper=True)}
    assert scraped == expected
    for name in expected:
        assert compose["services"][name]["environment"]["PORT"] == expected[name].split(":")[1]


def test_prometheus_reads_deploy_prometheus_and_grafana_its_provisioning(compose: dict[str, Any]) -> None:
    prometheus = compose["services"]["prometheus"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    grafana = compose["services"]["grafana"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    assert grafana["depends_on"]["prometheus"]["condition"] == "service_healthy"


def test_grafana_requires_an_admin_password_and_refuses_anonymous_visitors(compose: dict[str, Any]) -> None:
    environment = compose["services"]["grafana"]["environment"]
    assert environment["GF_SECURITY_ADMIN_PASSWORD"] == "${GRAFANA_ADMIN_PASSWORD:?Variable not set}"
    assert environment["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert environment["GF_USERS_ALLOW_SIGN_UP"] == "false"
