"""The replay: read the window, decode, rebuild timelines, check them, hand them to the reports.

Only open timelines stay in memory (``Rebuilder``); closed ones wait for the next database batch
(``db_batch`` of them at most) and then go to the reports. Nothing here talks to an exchange:
the replay's inputs are the stream and, read-only, the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from nats.aio.client import Client
from nats.aio.msg import Msg

from cryptopulse.replay.check import DbChecker, Finding, SeenKeys
from cryptopulse.replay.decode import BadMessage, Recorded, decoder
from cryptopulse.replay.rebuild import Rebuilder
from cryptopulse.replay.report import Sink
from cryptopulse.replay.source import Selection, Window, open_reading, position
from cryptopulse.replay.summary import KEPT_EXAMPLES, BadRecord, Summary
from cryptopulse.replay.timeline import Timeline

Progress = Callable[[int, int], None]
"""Told (messages read, messages in the window) after each batch."""


class Recheck(Protocol):
    """Re-runs today's checks: sees every message as it is replayed, judges closed timelines."""

    def observe(self, record: Recorded) -> None: ...
    async def prepare(self, timelines: Sequence[Timeline]) -> None: ...
    def verdict(self, timeline: Timeline) -> str | None:
        """Today's verdict where it differs from the recorded decision, else None."""


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    window: Window = field(default_factory=Window)
    batch: int = 1_000
    """Messages per fetch."""
    db_batch: int = 500
    """Closed timelines per database check."""
    settle: timedelta = timedelta(seconds=60)
    strict: bool = False
    """Validate every message with its shared model (slower; the fast path is exact for what
    the audit reads, see ``decode``)."""


def _at(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, UTC)


class Replayer:
    """One run over one window; ``run`` returns its summary."""

    def __init__(
        self,
        options: ReplayOptions,
        *,
        sinks: Sequence[Sink] = (),
        checker: DbChecker | None = None,
        recheck: Recheck | None = None,
        progress: Progress | None = None,
    ) -> None:
        self._options = options
        self._sinks = sinks
        self._checker = checker
        self._recheck = recheck
        self._progress = progress
        self._closed: list[Timeline] = []
        self._seen = SeenKeys() if checker is not None else None
        self.summary = Summary(database_checked=checker is not None)
        self.rebuilder = Rebuilder(options.settle, keep_steps=bool(sinks))  # the reports list steps
        self._decode = decoder(strict=options.strict)
        self._selected = Selection(options.window.user)
        until = options.window.until
        self._until_ns = None if until is None else int(until.timestamp() * 1e9)
        self._first: tuple[int, int] | None = None
        self._last: tuple[int, int] | None = None

    async def run(self, nc: Client) -> Summary:
        started = time.perf_counter()
        options, summary = self._options, self.summary
        async with open_reading(nc, options.window) as reading:
            async for messages in reading.batches(options.batch):
                stop = await self._consume(messages)
                if self._progress is not None:
                    self._progress(reading.delivered, reading.total)
                if stop:
                    break
        self._closed += self.rebuilder.finish()
        await self._flush()
        summary.peak_open = self.rebuilder.peak_open
        summary.messages = sum(summary.by_type.values()) + summary.skipped + summary.bad
        if self._first is not None and self._last is not None:
            summary.first_seq, summary.last_seq = self._first[0], self._last[0]
            summary.first_stored, summary.last_stored = _at(self._first[1]), _at(self._last[1])
        await self._extras()
        summary.seconds = time.perf_counter() - started
        for sink in self._sinks:
            sink.close(summary)
        return summary

    async def _consume(self, messages: list[Msg]) -> bool:
        """Decode and rebuild one batch (the hot loop); whether ``--until`` was passed."""
        summary, rebuilder, decode, selected = self.summary, self.rebuilder, self._decode, self._selected
        by_type, user, until_ns, recheck, db_batch = (
            summary.by_type,
            self._options.window.user,
            self._until_ns,
            self._recheck,
            self._options.db_batch,
        )
        seq = ns = 0
        for message in messages:
            here, stored = position(message.reply)
            if until_ns is not None and stored > until_ns:
                if seq:
                    self._mark(messages[0], seq, ns)
                return True
            seq, ns = here, stored
            subject = message.subject
            if not selected(subject):
                summary.skipped += 1
                continue
            try:
                record = decode(seq, ns, subject, message.data)
            except BadMessage as error:
                self._bad(BadRecord(seq, subject, str(error)))
                continue
            if user is not None and record.fields["user_id"] != user:
                summary.skipped += 1
                continue
            by_type[record.type] += 1
            if recheck is not None:
                recheck.observe(record)
            closed = rebuilder.add(record)
            if closed:
                self._closed += closed
                if len(self._closed) >= db_batch:
                    self._mark(messages[0], seq, ns)
                    await self._flush()
        if messages:
            self._mark(messages[0], seq, ns)
        return False

    def _mark(self, first: Msg, seq: int, ns: int) -> None:
        """Where the window began and how far it got (once per batch, not per message)."""
        if self._first is None:
            self._first = position(first.reply)
        self._last = (seq, ns)

    def _bad(self, record: BadRecord) -> None:
        self.summary.add_bad(record)
        for sink in self._sinks:
            sink.bad(record)

    async def _flush(self) -> None:
        batch, self._closed = self._closed, []
        if not batch:
            return
        summary = self.summary
        findings: list[list[Finding]] = [[] for _ in batch]
        if self._checker is not None:
            findings = await self._checker.check(batch)
        if self._recheck is not None:
            await self._recheck.prepare(batch)
        for timeline, found in zip(batch, findings, strict=True):
            (summary.complete if timeline.closed else summary.incomplete)[timeline.final] += 1
            summary.partial += timeline.partial
            summary.add_findings(found)
            verdict = None
            if self._recheck is not None and timeline.intent is not None:
                summary.rechecked += 1
                verdict = self._recheck.verdict(timeline)
                if verdict is not None:
                    summary.recheck_differs += 1
                    if len(summary.recheck_examples) < KEPT_EXAMPLES:
                        summary.recheck_examples.append(f"{timeline.key}: {verdict}")
            if self._seen is not None:
                for key in (timeline.intent_id, timeline.client_order_id):
                    if key is not None:
                        self._seen.add(key)
            for sink in self._sinks:
                sink.timeline(timeline, found, verdict)

    async def _extras(self) -> None:
        window, summary = self._options.window, self.summary
        if self._checker is None or self._seen is None:
            return
        start = window.since or summary.first_stored
        end = window.until or summary.last_stored or (datetime.now(UTC) if start is not None else None)
        if start is None or end is None:
            return
        extras = await self._checker.extras(self._seen, start, end, window.user)
        summary.add_findings(extras)
        for sink in self._sinks:
            sink.extras(extras)


__all__ = ["Progress", "Recheck", "ReplayOptions", "Replayer"]
