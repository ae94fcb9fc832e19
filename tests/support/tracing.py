"""A process-wide tracer provider for tests that read the spans our code made.

OpenTelemetry lets a process set its global provider once; ``installed_tracing`` sets one that
writes through our own file exporter, hands back the file, and afterwards restores the unset
state (as OpenTelemetry's own test utilities do) so later tests run with tracing off again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.util._once import Once

from shared.telemetry.tracing import install_tracing


@dataclass
class SpanFile:
    """The spans a test's process exported, read back from the JSON-lines file."""

    path: Path

    def read(self) -> list[dict[str, Any]]:
        provider = trace.get_tracer_provider()
        force_flush = getattr(provider, "force_flush", None)
        if force_flush is not None:
            force_flush()
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line]


def _reset_global_provider() -> None:
    # No public way to unset it; OpenTelemetry's own test utilities do the same.
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None


@contextmanager
def installed_tracing(directory: Path, service: str = "test") -> Iterator[SpanFile]:
    """Trace this process into ``directory/<service>.jsonl`` until the block ends."""
    _reset_global_provider()
    provider = install_tracing(service, "file", file_path=str(directory / "{service}.jsonl"))
    assert provider is not None
    try:
        yield SpanFile(directory / f"{service}.jsonl")
    finally:
        provider.shutdown()
        _reset_global_provider()


def by_name(spans: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [span for span in spans if span["name"] == name]
