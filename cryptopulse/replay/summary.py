"""What a replay found, in counts an auditor reads first; the exit code follows from it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptopulse.replay.check import Finding
from cryptopulse.replay.recheck import NOT_RECHECKED

KEPT_EXAMPLES = 200
"""Bad messages and findings listed in the summary; beyond that they are counted (every one is
in the JSON and HTML reports, which are written as the replay goes)."""


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A message that could not be decoded: where it is and why."""

    seq: int
    subject: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "subject": self.subject, "reason": self.reason}


@dataclass
class Summary:
    messages: int = 0
    skipped: int = 0
    """Messages of no timeline (mode changes) or of other users (with ``--user``)."""
    first_seq: int | None = None
    last_seq: int | None = None
    first_stored: datetime | None = None
    last_stored: datetime | None = None
    by_type: Counter[str] = field(default_factory=Counter)
    complete: Counter[str] = field(default_factory=Counter)
    """Complete timelines by final state."""
    incomplete: Counter[str] = field(default_factory=Counter)
    """Timelines still open when the window ended, by state."""
    partial: int = 0
    bad: int = 0
    bad_examples: list[BadRecord] = field(default_factory=list)
    findings: Counter[str] = field(default_factory=Counter)
    """Findings by ``kind table``."""
    finding_examples: list[Finding] = field(default_factory=list)
    rechecked: int = 0
    recheck_differs: int = 0
    recheck_examples: list[str] = field(default_factory=list)
    peak_open: int = 0
    database_checked: bool = False
    seconds: float = 0.0

    @property
    def timelines(self) -> int:
        return sum(self.complete.values()) + sum(self.incomplete.values())

    @property
    def discrepancies(self) -> int:
        """Findings plus bad messages: anything an auditor must look at (exit code 1)."""
        return sum(self.findings.values()) + self.bad

    @property
    def verdict(self) -> str:
        n = self.discrepancies
        return "no discrepancies" if n == 0 else f"{n:,} discrepanc{'y' if n == 1 else 'ies'}"

    def add_bad(self, record: BadRecord) -> None:
        self.bad += 1
        if len(self.bad_examples) < KEPT_EXAMPLES:
            self.bad_examples.append(record)

    def add_findings(self, findings: list[Finding]) -> None:
        for finding in findings:
            self.findings[f"{finding.kind} {finding.table}"] += 1
            if len(self.finding_examples) < KEPT_EXAMPLES:
                self.finding_examples.append(finding)

    def to_json(self) -> dict[str, Any]:
        def when(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {
            "messages": self.messages,
            "skipped": self.skipped,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "first_stored": when(self.first_stored),
            "last_stored": when(self.last_stored),
            "by_type": dict(sorted(self.by_type.items())),
            "timelines": self.timelines,
            "complete": dict(sorted(self.complete.items())),
            "incomplete": dict(sorted(self.incomplete.items())),
            "partial": self.partial,
            "bad_messages": self.bad,
            "findings": dict(sorted(self.findings.items())),
            "database_checked": self.database_checked,
            "rechecked": self.rechecked,
            "recheck_differs": self.recheck_differs,
            "not_rechecked": list(NOT_RECHECKED) if self.rechecked else [],
            "peak_open_timelines": self.peak_open,
            "discrepancies": self.discrepancies,
            "seconds": round(self.seconds, 3),
        }


__all__ = ["KEPT_EXAMPLES", "BadRecord", "Summary"]
