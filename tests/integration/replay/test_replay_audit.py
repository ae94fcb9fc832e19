"""The audit replay on real NATS and PostgreSQL: timelines rebuilt from what the services
published, checked against what they stored; every discrepancy named."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from nats.aio.client import Client

from cryptopulse.replay.check import DbChecker
from cryptopulse.replay.engine import Replayer, ReplayOptions
from cryptopulse.replay.recheck import Rechecker
from cryptopulse.replay.report import HtmlReport, JsonReport, Sink
from cryptopulse.replay.source import Window
from cryptopulse.replay.summary import Summary
from cryptopulse.servers.nats import NatsServer
from shared.domain.enums import DecisionOutcome
from shared.messages import subjects
from tests.integration.replay.history import History

pytestmark = [pytest.mark.asyncio, pytest.mark.nats, pytest.mark.postgres]


async def replay(
    nc: Client,
    pool: asyncpg.Pool | None,
    window: Window,
    *,
    sinks: list[Sink] | None = None,
    recheck: bool = False,
) -> Summary:
    replayer = Replayer(
        ReplayOptions(window=window, batch=50, db_batch=3),
        sinks=sinks or [],
        checker=None if pool is None else DbChecker(pool),
        recheck=Rechecker(pool) if recheck else None,
    )
    return await replayer.run(nc)


async def last_seq(nc: Client) -> int:
    info = await nc.jetstream().stream_info(subjects.TRADING.name)
    return int(info.state.last_seq)


async def stored_time(nc: Client, seq: int) -> datetime:
    """When JetStream stored the message at ``seq`` (the first one after it, when it is not yet)."""
    message = await nc.jetstream().get_msg(subjects.TRADING.name, seq, next=True)
    assert message.time is not None
    return message.time


async def test_every_order_is_rebuilt_complete_and_matches_the_database(
    nc: Client, history: History, reader_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    user = await history.user()
    await history.order(user, quantity="0.5", fills=("0.2", "0.3"))
    await history.order(user, quantity="1", fills=("0.25",), cancel=True)
    await history.intent(user, outcome=DecisionOutcome.DENIED, check="max_order_value", reason="too big")
    await history.intent(user, outcome=DecisionOutcome.PENDING)

    summary = await replay(nc, reader_pool, Window(user=user), sinks=[JsonReport(tmp_path / "r.json")])

    assert summary.discrepancies == 0, summary.finding_examples
    assert summary.complete == {"filled": 1, "canceled": 1, "denied": 1}
    assert summary.incomplete == {"pending": 1}
    assert summary.by_type["order.filled"] == 3 and summary.by_type["exec.submit_order"] == 2
    report = json.loads((tmp_path / "r.json").read_text())
    filled = next(r for r in report["records"] if r.get("final") == "filled")
    assert [s["type"] for s in filled["steps"]] == [
        "intent.created", "risk.decision", "exec.submit_order", "order.submitted", "order.accepted",
        "order.filled", "order.filled",
    ]  # fmt: skip
    assert filled["filled"] == "0.5" and filled["complete"] and not filled["findings"]
    assert filled["steps"][-1]["detail"].startswith("trade ") and filled["steps"][-1]["detail"].endswith(
        ": 0.3 @ 30000 (cumulative 0.5)"
    )
    denied = next(r for r in report["records"] if r.get("final") == "denied")
    assert (
        denied["client_order_id"] is None
        and denied["steps"][1]["detail"] == "denied [max_order_value]: too big"
    )
    assert report["summary"]["discrepancies"] == 0


async def test_a_deleted_row_is_missing_an_unpublished_row_is_extra_a_changed_price_a_mismatch(
    nc: Client, history: History, reader_pool: asyncpg.Pool, writer_pool: asyncpg.Pool
) -> None:
    user = await history.user()
    start = await last_seq(nc) + 1
    deleted = await history.order(user, fills=("0.5",))
    extra, _ = await history.intent(user, published=False)  # stored, its messages lost
    changed = await history.order(user, fills=("0.5",))
    async with writer_pool.acquire() as connection:
        await connection.execute("DELETE FROM orders WHERE id = $1", deleted.order_id)
        await connection.execute(
            "UPDATE fills SET price = price + 0.01 WHERE order_id = $1", changed.order_id
        )

    summary = await replay(nc, reader_pool, Window(since=await stored_time(nc, start), user=user))

    found = {(f.kind, f.table, f.key, f.field) for f in summary.finding_examples}
    assert ("missing", "orders", deleted.client_order_id, None) in found
    trade = next(k for (kind, table, k, field) in found if field == "price")
    assert trade.startswith(changed.client_order_id)
    price = next(f for f in summary.finding_examples if f.field == "price")
    assert (price.stream, price.database) == ("30000", "30000.01")
    assert ("extra", "intents", extra.intent_id, "created_at") in found
    assert summary.findings == {"missing orders": 1, "mismatch fills": 1, "extra intents": 1}
    assert summary.discrepancies == 3


async def test_a_replay_starts_at_a_sequence_or_a_time_and_reads_one_user(
    nc: Client, history: History, reader_pool: asyncpg.Pool
) -> None:
    user, other = await history.user(), await history.user()
    before = await history.order(user, fills=("0.5",))
    boundary_seq = await last_seq(nc) + 1
    await asyncio.sleep(0.05)
    boundary_time = datetime.now(UTC)
    await asyncio.sleep(0.05)
    after = await history.order(user, fills=("0.5",))
    await history.order(other, fills=("0.5",))

    for window in (Window(since_seq=boundary_seq, user=user), Window(since=boundary_time, user=user)):
        summary = await replay(nc, reader_pool, window)
        assert summary.complete == {"filled": 1}, window
        assert summary.discrepancies == 0, summary.finding_examples
        assert summary.skipped == 6  # the other user's intent, decision, command, 2 events and fill
    everything = await replay(nc, None, Window(user=user))
    assert sum(everything.complete.values()) >= 2
    assert before.intent_id != after.intent_id


async def test_a_bad_message_is_reported_and_the_run_goes_on(
    nc: Client, history: History, reader_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    user = await history.user()
    js = nc.jetstream()
    start = await last_seq(nc) + 1
    await js.publish(subjects.intents(user), b"{not json")
    negative = {
        "type": "intent.created", "intent_id": "x1", "user_id": user, "source": "parser", "venue": "paper",
        "symbol": "BTC/USDT", "side": "buy", "order_type": "market", "quantity": "-1",
        "ts_event": "2026-12-01T00:00:00Z",
    }  # fmt: skip
    await js.publish(subjects.intents(user), json.dumps(negative).encode())
    await history.order(user, fills=("0.5",))

    summary = await replay(
        nc, reader_pool, Window(since_seq=start, user=user), sinks=[HtmlReport(tmp_path / "r.html")]
    )

    assert summary.bad == 2 and summary.complete == {"filled": 1}
    reasons = [b.reason for b in summary.bad_examples]
    assert reasons[0] == "not a JSON object with a 'type'"
    assert reasons[1].startswith("intent.created: quantity: Input should be greater than 0")
    assert summary.discrepancies == 2


async def test_the_html_report_is_standalone_and_escapes_what_messages_say(
    nc: Client, history: History, reader_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    user = await history.user()
    start = await last_seq(nc) + 1
    await history.intent(
        user, outcome=DecisionOutcome.DENIED, check="max_order_value", reason="<script>alert(1)</script>"
    )

    await replay(nc, reader_pool, Window(since_seq=start, user=user), sinks=[HtmlReport(tmp_path / "r.html")])

    page = (tmp_path / "r.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")


async def test_recheck_shows_where_todays_limits_decide_otherwise(
    nc: Client, history: History, reader_pool: asyncpg.Pool, writer_pool: asyncpg.Pool
) -> None:
    user = await history.user()
    start = await last_seq(nc) + 1
    await history.order(user, quantity="0.5", price="30000", fills=("0.5",))  # 15,000 USDT
    await history.intent(user, quantity="0.1", price="30000")  # 3,000 USDT
    async with writer_pool.acquire() as connection:  # today's limit: 10,000 USDT an order
        await connection.execute(
            """INSERT INTO risk_limits (user_id, max_order_notional, max_position_notional,
                 max_total_exposure,
                 max_open_orders, max_intents_per_minute, max_orders_per_minute, price_collar_pct,
                 cumulative_collar_pct, collar_window_s, reference_max_age_s, rule_max_executions,
                 rule_window_s, daily_loss_limit, duplicate_window_s, approval_ttl_s, approval_max_move_pct)
               VALUES ($1, 10000, 50000, 100000, 50, 60, 30, 5, 10, 300, 30, 3, 3600, 2500, 60, 300, 2)""",
            uuid.UUID(user),
        )

    summary = await replay(nc, reader_pool, Window(since_seq=start, user=user), recheck=True)

    assert summary.rechecked == 2 and summary.recheck_differs == 1
    (verdict,) = summary.recheck_examples
    assert "would be denied today by max_order_value" in verdict and "approved then" in verdict
    assert "15,000" in verdict or "15000" in verdict


async def test_the_command_never_reaches_an_exchange_and_exits_1_on_discrepancies(
    replay_nats: NatsServer, replay_db: str, history: History, writer_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """Run in a process of its own, with every exchange setting pointing at an unroutable
    address: the replay must not even import the exchange client library."""
    clean, broken = await history.user(), await history.user()
    await history.order(clean, fills=("0.5",))
    lost = await history.order(broken, fills=("0.5",))
    async with writer_pool.acquire() as connection:
        await connection.execute("DELETE FROM fills WHERE order_id = $1", lost.order_id)
    probe = (
        "import sys\n"
        "from cryptopulse.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "assert 'ccxt' not in sys.modules, 'an exchange client was loaded'\n"
        "sys.exit(code)\n"
    )
    env = {
        **os.environ,
        "CRYPTOPULSE_NATS_URL": replay_nats.url,
        "CRYPTOPULSE_DATABASE_URL": replay_db,
        "CRYPTOPULSE_PAPER_URL": "http://192.0.2.1:9",
        "CRYPTOPULSE_VENUE": "live",
    }

    async def run(*args: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", probe, "replay", "--quiet", *args, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    html = tmp_path / "audit.html"
    code, out, err = await run("--recheck", "--user", broken, "--html", str(html))
    assert code == 1, err
    assert "missing fills" in out and "1 discrepancy" in out
    assert "checks not re-run (inputs not recorded)" in out and "balance" in out
    assert html.read_text().count("<tr") >= 2
    code, out, err = await run("--recheck", "--user", clean)
    assert code == 0, out + err
    assert "no discrepancies" in out
    code, out, err = await run("--since", "2026-12-01T00:00")
    assert code == 2 and "has no zone" in err
    code, out, err = await run("--user", "alice")
    assert code == 2 and "expected a user id (UUID), was 'alice'" in err
