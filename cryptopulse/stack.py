"""`cryptopulse up`: NATS and PostgreSQL from packages, migrations, streams, then every service.

Each service is its own process, logging to ``<data_dir>/logs/<service>.log``. The stack waits
until every ``/readyz`` answers, prints the URLs, and then watches: a process that dies is
reported loudly with the end of its log, and the whole stack stops (a trading system running with
a dead part is worse than one that stopped). Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from cryptopulse.servers.nats import NatsServer
from cryptopulse.servers.ports import port_open
from cryptopulse.servers.postgres import PostgresServer
from cryptopulse.services import ServiceSpec, stack_services
from shared.config.settings import ENV_PREFIX, MarketFeedSettings, StackSettings


class StackFailed(RuntimeError):
    """A part of the stack did not start or died; the message says which and why."""


def _log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


async def ensure_streams_at(nats_url: str) -> None:
    import nats

    from shared.messaging.streams import ensure_streams

    nc = await nats.connect(nats_url, connect_timeout=5)
    try:
        await ensure_streams(nc.jetstream())
    finally:
        await nc.close()


JWT_SECRET_FILE = "jwt.secret"


def ensure_jwt_secret(data_dir: Path) -> str:
    """Return the embedded stack's JWT secret, generating it once into ``data_dir`` (mode 0600).

    Kept in a file so tokens stay valid across restarts; created with ``O_EXCL`` and 0600 so it is
    never world-readable, even for an instant.
    """
    from shared.auth.tokens import MIN_SECRET_BYTES

    path = data_dir / JWT_SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            raise StackFailed(f"{path} is readable by other users; run chmod 600 on it") from None
        secret = path.read_text().strip()
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise StackFailed(f"{path} holds no usable JWT secret; delete it to generate a new one") from None
        return secret
    secret = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as file:
        file.write(secret + "\n")
    return secret


@dataclass
class Stack:
    """The embedded stack; ``run()`` blocks until Ctrl-C or a failure."""

    settings: StackSettings
    out: TextIO = sys.stdout
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    _nats: NatsServer | None = field(default=None, init=False)
    _postgres: PostgresServer | None = field(default=None, init=False)
    _processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, init=False)
    _stopping: bool = field(default=False, init=False)

    # -- START ---------------------------------------------------------------------------------

    def start(self) -> list[ServiceSpec]:
        data = self.settings.data_dir
        (data / "logs").mkdir(parents=True, exist_ok=True)
        nats_url = self._start_nats()
        database_url = self._start_postgres()
        self.env[f"{ENV_PREFIX}NATS_URL"] = nats_url
        self.env[f"{ENV_PREFIX}DATABASE_URL"] = database_url
        self._say(f"applying migrations to {_safe(database_url)}")
        from shared.db.migrate import upgrade

        upgrade(database_url)
        asyncio.run(ensure_streams_at(nats_url))
        with_paper = MarketFeedSettings().venue == "paper"
        specs = stack_services(with_paper=with_paper)
        if with_paper:
            paper = next(s for s in specs if s.name == "paper_exchange")
            paper_url = f"http://{self.settings.host}:{paper.port}"
            # The feed, executor and gate reach the same exchange; the gateway opens users' accounts there.
            for service in ("", "EXECUTOR_", "RISK_GATE_", "GATEWAY_"):
                self.env.setdefault(f"{ENV_PREFIX}{service}PAPER_URL", paper_url)
        # One machine, its own users: a user's own model may be a local Ollama.
        self.env.setdefault(f"{ENV_PREFIX}AGENT_OWN_MODEL_PRIVATE_HOSTS", "true")
        web_dist = Path("web/dist").resolve()
        self.env.setdefault(f"{ENV_PREFIX}WEB_DIST_DIR", str(web_dist))
        if not self.env.get(f"{ENV_PREFIX}JWT_SECRET"):
            self.env[f"{ENV_PREFIX}JWT_SECRET"] = ensure_jwt_secret(data)
        for spec in specs:
            if port_open(self.settings.host, spec.port):
                raise StackFailed(
                    f"port {spec.port} for {spec.name} is taken; stop what uses it or set its port variable"
                )
            self._spawn(spec)
        self._wait_ready(specs)
        return specs

    def _start_nats(self) -> str:
        external = self.env.get(f"{ENV_PREFIX}NATS_URL")
        if external:
            self._say(f"using external NATS at {external}")
            return external
        port = self.settings.nats_port
        if port_open(self.settings.host, port):
            raise StackFailed(
                f"port {port} for NATS is taken; set {ENV_PREFIX}NATS_PORT or {ENV_PREFIX}NATS_URL"
            )
        self._nats = NatsServer(self.settings.data_dir / "nats", port=port, host=self.settings.host).start()
        self._say(f"NATS (JetStream) on {self._nats.url}")
        return self._nats.url

    def _start_postgres(self) -> str:
        external = self.env.get(f"{ENV_PREFIX}DATABASE_URL")
        if external:
            self._say(f"using external PostgreSQL at {_safe(external)}")
            return external
        port = self.settings.postgres_port
        if port_open(self.settings.host, port):
            raise StackFailed(
                f"port {port} for PostgreSQL is taken; "
                f"set {ENV_PREFIX}POSTGRES_PORT or {ENV_PREFIX}DATABASE_URL"
            )
        self._say("starting PostgreSQL (first run initialises its data folder)")
        self._postgres = PostgresServer(
            self.settings.data_dir / "postgres", port=port, host=self.settings.host
        ).start()
        self._say(f"PostgreSQL on {self._postgres.host}:{self._postgres.port}")
        return self._postgres.url

    def _spawn(self, spec: ServiceSpec) -> None:
        log_path = self.settings.data_dir / "logs" / f"{spec.name}.log"
        with open(log_path, "ab") as log:
            self._processes[spec.name] = subprocess.Popen(
                [sys.executable, "-m", spec.module],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
            )

    def _wait_ready(self, specs: list[ServiceSpec]) -> None:
        deadline = time.monotonic() + self.settings.ready_timeout_s
        pending = {spec.name: spec for spec in specs}
        while pending:
            self.check_alive()
            for name, spec in list(pending.items()):
                if _ready(self.settings.host, spec.port):
                    self._say(f"  ✔ {name} ready on :{spec.port}")
                    del pending[name]
            if time.monotonic() > deadline:
                names = ", ".join(pending)
                tails = "\n".join(f"--- {n} ---\n{_log_tail(self._log(n))}" for n in pending)
                raise StackFailed(f"not ready within {self.settings.ready_timeout_s:.0f}s: {names}\n{tails}")
            time.sleep(0.2)

    # -- WATCH ---------------------------------------------------------------------------------

    def check_alive(self) -> None:
        """Raise ``StackFailed`` with the end of its log if any process has exited."""
        for name, process in self._processes.items():
            code = process.poll()
            if code is not None and not self._stopping:
                raise StackFailed(
                    f"{name} exited with code {code}. Last lines of {self._log(name)}:\n"
                    f"{_log_tail(self._log(name))}"
                )
        servers = {"nats-server": self._nats, "postgres": self._postgres}
        for server_name, server in servers.items():
            if server is None:
                continue  # external, not ours to watch
            server_process = server.process
            if server_process is None or server_process.poll() is not None:
                raise StackFailed(f"{server_name} exited; see {self.settings.data_dir}")

    def pid(self, name: str) -> int:
        return self._processes[name].pid

    def _log(self, name: str) -> Path:
        return self.settings.data_dir / "logs" / f"{name}.log"

    # -- STOP ----------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stopping = True
        for process in reversed(list(self._processes.values())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self._processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()
        if self._nats is not None:
            self._nats.stop()
        if self._postgres is not None:
            self._postgres.stop()

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def _ready(host: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/readyz", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _safe(url: str) -> str:
    from shared.telemetry.logging import redact

    return redact(url)


def run_stack(settings: StackSettings, env: Mapping[str, str] | None = None) -> int:
    """Start the stack, print its URLs, and watch it until Ctrl-C (0) or a failure (1)."""
    stack = Stack(settings, env=dict(env if env is not None else os.environ))
    stop_requested = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        specs = stack.start()
        host = settings.host
        print("\nCryptoPulse is up:", flush=True)
        for spec in specs:
            label = spec.url_label or "health and metrics"
            pid = stack.pid(spec.name)
            print(f"  {spec.name:<15} http://{host}:{spec.port}/  ({label}; pid {pid})", flush=True)
        print(f"  logs            {settings.data_dir / 'logs'}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        while not stop_requested:
            stack.check_alive()
            time.sleep(0.5)
        print("\nstopping…", flush=True)
        return 0
    except StackFailed as e:
        print(f"\n✖ CryptoPulse stack failed: {e}", file=sys.stderr, flush=True)
        return 1
    finally:
        stack.stop()
        print("stopped.", flush=True)
