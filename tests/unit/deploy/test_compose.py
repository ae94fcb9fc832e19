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
