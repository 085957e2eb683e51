"""Unit tests of the honest wait estimate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handoff import WaitEstimator

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_unknown_without_history() -> None:
    """With no finished conversations the player is told the wait is unknown, not a guess."""
    est = WaitEstimator()
    assert est.estimate(now=T0, position=3, capacity_on_shift=4, free_slots=0) is None


def test_unknown_without_counsellors_on_shift() -> None:
    """With nobody on shift the wait is unknown, whatever the history says."""
    est = WaitEstimator()
    for _ in range(5):
        est.record(T0, 600)
    assert est.estimate(now=T0, position=1, capacity_on_shift=0, free_slots=0) is None


def test_estimate_grows_with_position_and_falls_with_capacity() -> None:
    """Further back in the queue waits longer; more counsellors on shift wait shorter."""
    est = WaitEstimator()
    for _ in range(5):
        est.record(T0, 600)
    a = est.estimate(now=T0, position=2, capacity_on_shift=2, free_slots=0)
    b = est.estimate(now=T0, position=4, capacity_on_shift=2, free_slots=0)
    c = est.estimate(now=T0, position=4, capacity_on_shift=8, free_slots=0)
    assert a == 600 and b == 1200 and c == 300
    assert est.estimate(now=T0, position=1, capacity_on_shift=2, free_slots=1) == 0


def test_old_samples_are_forgotten() -> None:
    """Handling times from long ago no longer count as a basis."""
    est = WaitEstimator(horizon=timedelta(hours=1))
    for _ in range(5):
        est.record(T0, 600)
    assert (
        est.estimate(now=T0 + timedelta(hours=2), position=3, capacity_on_shift=1, free_slots=0)
        is None
    )
