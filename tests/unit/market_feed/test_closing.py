"""A streamed candle closes when a later one starts; skipped candles are reported as a gap."""

from services.market_feed.closing import ClosingTracker

M = 60_000


def row(open_ms: int, close: float = 1.0) -> list[float | int]:
    return [open_ms, 1.0, 2.0, 0.5, close, 10.0]


def test_updates_of_the_forming_candle_close_nothing() -> None:
    tracker = ClosingTracker(M)
    assert tracker.update([row(0, 1.0)]).closed == ()
    assert tracker.update([row(0, 1.5)]).closed == ()


def test_a_later_candle_closes_the_forming_one_with_its_last_values() -> None:
    tracker = ClosingTracker(M)
    tracker.update([row(0, 1.0)])
    tracker.update([row(0, 1.7)])
    advance = tracker.update([row(M, 1.8)])
    assert advance.closed == (row(0, 1.7),)
    assert advance.gap_from_ms is None
    assert tracker.last_closed_ms == 0


def test_skipping_a_candle_reports_the_gap_from_the_first_missing_one() -> None:
    tracker = ClosingTracker(M)
    tracker.update([row(0)])
    advance = tracker.update([row(3 * M)])
    assert [r[0] for r in advance.closed] == [0]
    assert (advance.gap_from_ms, advance.gap_until_ms) == (M, 3 * M)


def test_a_first_row_after_the_last_backfilled_one_detects_a_gap_too() -> None:
    tracker = ClosingTracker(M, last_closed_ms=0)
    advance = tracker.update([row(2 * M)])
    assert (advance.gap_from_ms, advance.gap_until_ms) == (M, 2 * M)
    assert ClosingTracker(M, last_closed_ms=0).update([row(M)]).gap_from_ms is None


def test_rows_already_closed_by_a_backfill_are_not_closed_again() -> None:
    tracker = ClosingTracker(M)
    tracker.update([row(0)])
    tracker.mark_closed(0)  # a REST catch-up published it meanwhile
    assert tracker.update([row(M)]).closed == ()
    assert tracker.update([row(0)]).closed == ()  # a stale replay is ignored


def test_reset_forgets_the_forming_candle() -> None:
    tracker = ClosingTracker(M, last_closed_ms=0)
    tracker.update([row(M)])
    tracker.reset()
    assert tracker.update([row(2 * M)]).closed == ()
