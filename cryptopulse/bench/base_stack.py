"""What a service benchmark starts from: NATS, PostgreSQL and the paper exchange, each of its own."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptopulse.bench.processes import ServiceProcess, service_env
from cryptopulse.servers.nats import NatsServer
from cryptopulse.servers.ports import free_port
from cryptopulse.servers.postgres import PostgresServer


@dataclass(frozen=True, slots=True)
class BaseStack:
    nats: NatsServer
    postgres: PostgresServer
    paper: ServiceProcess
    paper_url: str
    logs: Path
    """Where the service processes' logs go."""


@contextlib.contextmanager
def base_stack(data_dir: Path, paper_settings: Mapping[str, object]) -> Iterator[BaseStack]:
    """NATS, PostgreSQL and the paper exchange (at ``WARNING``, with ``paper_settings``) under
    ``data_dir``; stopped in reverse order on leaving, whatever happened."""
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as parts:
        nats_server = parts.enter_context(NatsServer(data_dir / "nats"))
        postgres = parts.enter_context(PostgresServer(data_dir / "postgres"))
        paper_port = free_port()
        paper_env = service_env({"log_level": "WARNING", "paper_port": paper_port, **paper_settings})
        paper = parts.enter_context(
            ServiceProcess("services.paper_exchange", paper_port, paper_env, logs / "paper.log")
        )
        yield BaseStack(nats_server, postgres, paper, f"http://127.0.0.1:{paper_port}", logs)
