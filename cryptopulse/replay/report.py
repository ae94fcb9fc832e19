"""Where a replay's results go: JSON and a standalone HTML page, written as the replay goes, and
the summary table for the terminal.

Both files are streamed, a timeline at a time, so a replay of millions of messages never holds
its report in memory. The JSON is one document, ``{"records": [...], "summary": {...}}``, each
record a timeline (with its findings and re-check), a bad message or an extra row. The HTML page
needs nothing beyond itself (no scripts, no external styles or fonts) and escapes every text it
shows: message contents are data from the bus, not markup.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import IO, Any, Protocol

import orjson
from rich.console import Console
from rich.table import Table

from cryptopulse.replay.check import Finding
from cryptopulse.replay.recheck import NOT_RECHECKED
from cryptopulse.replay.summary import BadRecord, Summary
from cryptopulse.replay.timeline import Timeline, detail


class Sink(Protocol):
    def timeline(self, timeline: Timeline, findings: list[Finding], recheck: str | None) -> None: ...
    def bad(self, record: BadRecord) -> None: ...
    def extras(self, findings: list[Finding]) -> None: ...
    def close(self, summary: Summary) -> None: ...


class JsonReport:
    """``{"records": [...], "summary": {...}}``, one record appended per call."""

    def __init__(self, path: Path) -> None:
        self._file: IO[str] = path.open("w", encoding="utf-8")
        self._file.write('{"records": [\n')
        self._first = True

    def _record(self, value: dict[str, Any]) -> None:
        if not self._first:
            self._file.write(",\n")
        self._first = False
        self._file.write(orjson.dumps(value, default=str).decode())  # a record per timeline: orjson

    def timeline(self, timeline: Timeline, findings: list[Finding], recheck: str | None) -> None:
        self._record(
            {
                "record": "timeline",
                **timeline.to_json(),
                "findings": [f.to_json() for f in findings],
                "recheck": recheck,
            }
        )

    def bad(self, record: BadRecord) -> None:
        self._record({"record": "bad_message", **record.to_json()})

    def extras(self, findings: list[Finding]) -> None:
        for finding in findings:
            self._record({"record": "extra", **finding.to_json()})

    def close(self, summary: Summary) -> None:
        self._file.write('\n],\n"summary": ')
        self._file.write(json.dumps(summary.to_json(), indent=1))
        self._file.write("}\n")
        self._file.close()


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1b1f24;display:flex;flex-direction:column}
#summary{order:-1}h1{font-size:1.3rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #d8dee4;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f7}.num{text-align:right;font-variant-numeric:tabular-nums}
tr.issue td{background:#fff1f0}tr.bad td{background:#fff8e1}ul{margin:.2rem 0;padding-left:1.1rem}
code{font-size:12px}details summary{cursor:pointer}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


class HtmlReport:
    """A standalone HTML page: a row per timeline, bad message and extra row; the summary on top."""

    def __init__(self, path: Path) -> None:
        self._file: IO[str] = path.open("w", encoding="utf-8")
        self._file.write(
            "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>CryptoPulse replay</title><style>{_STYLE}</style></head><body>\n"
            "<main><h2>Timelines</h2><table><thead><tr><th>state</th><th>user</th><th>intent / order</th>"
            "<th>order</th><th class=num>filled</th><th>findings</th><th>messages</th></tr></thead><tbody>\n"
        )

    def timeline(self, timeline: Timeline, findings: list[Finding], recheck: str | None) -> None:
        t = timeline
        terms = " ".join(
            _e(v)
            for v in (
                t.side,
                t.quantity if t.quantity is not None else t.quote_quantity,
                t.symbol,
                t.order_type,
            )
            if v is not None
        )
        if t.limit_price is not None:
            terms += f" @ {_e(t.limit_price)}"
        issues = "".join(f"<li>{_e(f)}</li>" for f in findings)
        if recheck:
            issues += f"<li>today's rules: {_e(recheck)}</li>"
        steps = "".join(
            f"<li><code>#{s.seq}</code> {_e(s.at.isoformat())} <b>{_e(s.type)}</b> {_e(detail(s))}</li>"
            for s in t.steps
        )
        state = _e(t.final) + ("" if t.closed else " (open)") + (" (partial)" if t.partial else "")
        self._file.write(
            f"<tr{' class=issue' if issues else ''}><td>{state}</td><td>{_e(t.user_id)}</td>"
            f"<td>{_e(t.intent_id)}<br><code>{_e(t.order_id)}</code></td><td>{terms}</td>"
            f"<td class=num>{_e(t.filled)}</td><td><ul>{issues}</ul></td>"
            f"<td><details><summary>{len(t.steps)}</summary><ul>{steps}</ul></details></td></tr>\n"
        )

    def bad(self, record: BadRecord) -> None:
        self._file.write(
            f"<tr class=bad><td>bad message</td><td></td>"
            f"<td><code>#{record.seq}</code> {_e(record.subject)}</td><td></td><td></td>"
            f"<td><ul><li>{_e(record.reason)}</li></ul></td><td></td></tr>\n"
        )

    def extras(self, findings: list[Finding]) -> None:
        for f in findings:
            self._file.write(
                f"<tr class=issue><td>extra row</td><td>{_e(f.user_id)}</td><td>{_e(f.key)}</td>"
                f"<td>{_e(f.table)}</td>"
                f"<td></td><td><ul><li>{_e(f)}</li></ul></td><td></td></tr>\n"
            )

    def close(self, summary: Summary) -> None:
        values = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in summary.to_json().items()}
        rows = "".join(f"<tr><th>{_e(name)}</th><td>{_e(value)}</td></tr>" for name, value in values.items())
        verdict = summary.verdict
        self._file.write(
            "</tbody></table></main>\n"
            f"<section id=summary><h1>CryptoPulse replay: {_e(verdict)}</h1><table>{rows}</table></section>\n"
            "</body></html>\n"
        )
        self._file.close()


def summary_table(summary: Summary, console: Console) -> None:
    """Print the summary (and the first discrepancies) as tables on ``console``."""
    s = summary
    window = f"seq {s.first_seq} to {s.last_seq}" if s.first_seq is not None else "no messages"
    if s.first_stored is not None and s.last_stored is not None:
        window += f", {s.first_stored:%Y-%m-%d %H:%M:%S} to {s.last_stored:%Y-%m-%d %H:%M:%S} UTC"
    table = Table(title=f"Replay of {window}", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("messages", f"{s.messages:,}")
    for kind, count in sorted(s.by_type.items()):
        table.add_row(f"  {kind}", f"{count:,}")
    if s.skipped:
        table.add_row("  skipped (other users, mode changes)", f"{s.skipped:,}")
    table.add_row("timelines", f"{s.timelines:,}")
    for state, count in sorted(s.complete.items()):
        table.add_row(f"  complete: {state}", f"{count:,}")
    for state, count in sorted(s.incomplete.items()):
        table.add_row(f"  open at the end: {state}", f"{count:,}")
    table.add_row("  began before the window (partial)", f"{s.partial:,}")
    table.add_row("bad messages", f"{s.bad:,}")
    if s.database_checked:
        table.add_row("findings (database)", f"{sum(s.findings.values()):,}")
        for kind, count in sorted(s.findings.items()):
            table.add_row(f"  {kind}", f"{count:,}")
    else:
        table.add_row("findings (database)", "not checked")
    if s.rechecked:
        table.add_row("re-checked intents", f"{s.rechecked:,}")
        table.add_row("  today's rules decide differently", f"{s.recheck_differs:,}")
        table.add_row("  checks not re-run (inputs not recorded)", ", ".join(NOT_RECHECKED))
    table.add_row("peak open timelines", f"{s.peak_open:,}")
    console.print(table)
    shown = [*(str(b.seq) + " " + b.subject + ": " + b.reason for b in s.bad_examples[:20])]
    shown += [str(f) for f in s.finding_examples[:20]]
    shown += s.recheck_examples[:20]
    if shown:
        details = Table(title="First discrepancies", show_header=False)
        details.add_column("discrepancy")
        for line in shown:
            details.add_row(line)
        console.print(details)
    console.print(f"{s.verdict} ({s.seconds:.1f} s)", markup=False, highlight=False)


__all__ = ["HtmlReport", "JsonReport", "Sink", "summary_table"]
