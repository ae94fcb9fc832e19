"""Debian's Prometheus (``make prometheus`` unpacks it into .tools/prometheus) for the tests:
its binaries, a server on a free port with its own storage, and its HTTP query API."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cryptopulse.servers.ports import free_port
from cryptopulse.servers.processes import stop_process

REPO = Path(__file__).resolve().parents[2]
UNPACKED = REPO / ".tools" / "prometheus" / "usr" / "bin"


def prometheus_tool(name: str) -> Path:
    """``prometheus`` or ``promtool``: the unpacked package's, else one on PATH."""
    unpacked = UNPACKED / name
    if unpacked.exists():
        return unpacked
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: run `make prometheus` (Debian's package, unpacked)")
    return Path(found)


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``promtool`` with ``args``; the caller checks the return code and output."""
    return subprocess.run(
        [str(prometheus_tool("promtool")), *args], check=False, capture_output=True, text=True, timeout=60
    )


@dataclass
class PrometheusServer:
    """A Prometheus server on loopback reading ``config``; ``start()`` blocks until it is ready."""

    config: Path
    data_dir: Path
    port: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> PrometheusServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        args = [
            str(prometheus_tool("prometheus")),
            f"--config.file={self.config}",
            f"--storage.tsdb.path={self.data_dir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-lifecycle",
        ]
        with (self.data_dir / "prometheus.log").open("wb") as log:
            self._process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"prometheus not ready on {self.url} within {timeout_s:.0f}s: {self.log_tail()}")

    def stop(self, timeout_s: float = 10.0) -> None:
        process, self._process = self._process, None
        stop_process(process, timeout_s)

    def log_tail(self, lines: int = 20) -> str:
        log = self.data_dir / "prometheus.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""

    def api(self, path: str, **params: str) -> dict[str, Any]:
        """GET ``/api/v1/<path>``; the decoded body, whatever its status (errors say why)."""
        response = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=30)
        body: dict[str, Any] = response.json()
        return body

    def query(self, expr: str) -> dict[str, Any]:
        """Evaluate ``expr`` now (an instant query)."""
        return self.api("query", query=expr)

    def __enter__(self) -> PrometheusServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
