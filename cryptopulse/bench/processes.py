"""A service as its own process (``python -m <module>``), the way it is deployed, for a benchmark.

In its own process a service keeps its own interpreter lock, so what the benchmark measures is
not slowed by the measuring client. The process is ready when ``/readyz`` answers 200; stopping
sends SIGTERM, then SIGKILL if it does not exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptopulse.servers.processes import stop_process
from shared.config.settings import ENV_PREFIX

ROOT = Path(__file__).resolve().parents[2]


def clean_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any ``CRYPTOPULSE_`` variable, plus ``settings``.

    The caller's own settings (a Vault address, a database URL) must not leak into the
    servers a benchmark starts for itself.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    env.update(settings)
    return env


def service_env(settings: Mapping[str, object]) -> dict[str, str]:
    """``clean_environment`` with each setting as its ``CRYPTOPULSE_<NAME>`` variable."""
    return clean_environment({f"{ENV_PREFIX}{name.upper()}": str(value) for name, value in settings.items()})


def _stat(pid: int) -> list[str]:
    # The command name, in parentheses, may hold spaces: split after its closing parenthesis.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU of ``pid`` from Linux's ``/proc``; with ``children`` also that of its
    children, live and reaped."""
    fields = _stat(pid)
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])  # children already waited for
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                child = _stat(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                continue  # exited meanwhile: counted in the parent's cutime once reaped
            if int(child[1]) == pid:
                ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class ServiceProcess:
    """One service process serving ``/readyz`` on ``port``; output goes to ``log_path``."""

    module: str
    port: int
    env: dict[str, str]
    log_path: Path
    host: str = "127.0.0.1"
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    def command(self) -> list[str]:
        """What runs the service: ``python -m <module>``."""
        return [sys.executable, "-m", self.module]

    def start(self, timeout_s: float = 60.0) -> ServiceProcess:
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the benchmark, which stops this in order
            )
        try:
            self._wait_ready(timeout_s)
        except Exception:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                url = f"http://{self.host}:{self.port}/readyz"
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.module} not ready within {timeout_s:.0f}s:\n{self.log_tail()}")

    def check_alive(self) -> None:
        """Raise ``RuntimeError`` with the end of the log if the process has exited."""
        if self._process is None:
            raise RuntimeError(f"{self.module} is not running")
        code = self._process.poll()
        if code is not None:
            raise RuntimeError(f"{self.module} exited with code {code}:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the process has used so far, from Linux's ``/proc``."""
        if self._process is None:
            raise RuntimeError(f"{self.module} is not running")
        return cpu_seconds(self._process.pid)

    def log_tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout_s: float = 15.0) -> None:
        process, self._process = self._process, None
        stop_process(process, timeout_s)

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
