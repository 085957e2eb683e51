"""The pure rules behind sign-in lockout and break reminders, driven with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.web.login import safe_next
from server.web.models import LoginThrottle, StaffShift
from server.web.shifts import BREAK_AFTER, LONG_SHIFT, REMIND_EVERY, shift_advice
from server.web.throttle import USER_POLICY, register_failure, retry_after

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_lockout_after_five_failures_then_released() -> None:
    """The fifth failure within the window locks for 15 minutes; afterwards a fresh count."""
    row = LoginThrottle(key="user:x", failures=0)
    for i in range(4):
        register_failure(row, T0 + timedelta(minutes=i), USER_POLICY)
        assert retry_after(row, T0 + timedelta(minutes=i)) == 0
    register_failure(row, T0 + timedelta(minutes=4), USER_POLICY)
    assert retry_after(row, T0 + timedelta(minutes=4)) == 15 * 60
    assert retry_after(row, T0 + timedelta(minutes=19, seconds=1)) == 0
    register_failure(row, T0 + timedelta(minutes=20), USER_POLICY)
    assert row.failures == 1


def test_failures_spread_over_time_never_lock() -> None:
    """Failures further apart than the window do not add up to a lockout."""
    row = LoginThrottle(key="user:x", failures=0)
    for i in range(10):
        now = T0 + timedelta(minutes=16 * i)
        register_failure(row, now, USER_POLICY)
        assert retry_after(row, now) == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=3600), min_size=1, max_size=30))
def test_lockout_never_exceeds_policy(gaps: list[int]) -> None:
    """Whatever the timing of failures, a lockout never lasts longer than the policy says."""
    row = LoginThrottle(key="user:x", failures=0)
    now = T0
    for gap in gaps:
        now += timedelta(seconds=gap)
        register_failure(row, now, USER_POLICY)
        assert 0 <= retry_after(row, now) <= USER_POLICY.lockout.total_seconds()


def test_break_reminder_due_after_ninety_minutes_and_not_repeated_at_once() -> None:
    """A break is suggested after 90 minutes; the reminder repeats only every 30 minutes."""
    shift = StaffShift(staff_id=1, started_at=T0)
    assert not shift_advice(shift, T0 + BREAK_AFTER - timedelta(minutes=1)).break_due
    advice = shift_advice(shift, T0 + BREAK_AFTER)
    assert advice.break_due and advice.remind_now and "break" in advice.message()
    shift.last_reminder_at = T0 + BREAK_AFTER
    assert not shift_advice(shift, T0 + BREAK_AFTER + timedelta(minutes=5)).remind_now
    assert shift_advice(shift, T0 + BREAK_AFTER + REMIND_EVERY).remind_now


def test_a_break_resets_the_clock_but_not_the_shift_length() -> None:
    """Going away resets the break clock; a six-hour shift is flagged regardless."""
    shift = StaffShift(staff_id=1, started_at=T0, last_break_at=T0 + timedelta(hours=5))
    advice = shift_advice(shift, T0 + timedelta(hours=5, minutes=30))
    assert not advice.break_due
    assert not advice.long_shift
    advice = shift_advice(shift, T0 + LONG_SHIFT)
    assert advice.long_shift and "end your shift" in advice.message()


def test_only_same_site_paths_are_followed_after_sign_in() -> None:
    """The ``next`` parameter can never send a signed-in user to another site."""
    assert safe_next("/console") == "/console"
    for bad in ("//evil.example", "https://evil.example", "/\\evil", "", None, "console"):
        assert safe_next(bad) is None


def test_pages_carry_no_inline_code_and_scripts_never_write_html() -> None:
    """Templates of the staff pages and of the ethics board have no inline script, style or
    event handler, and no script (the console's modules included) writes HTML."""
    import re
    from pathlib import Path

    import server.board
    import server.web

    roots = [Path(server.web.__file__).parent, Path(server.board.__file__).parent]
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", re.IGNORECASE)
    templates = [t for root in roots for t in (root / "templates").rglob("*.html")]
    scripts = [s for root in roots for s in (root / "static").rglob("*.js")]
    assert any("board" in t.parts for t in templates), "the board's templates were not read"
    assert len(scripts) >= 3, scripts
    for template in templates:
        assert not inline.search(template.read_text()), template.name
    for script in scripts:
        code = "\n".join(
            line for line in script.read_text().splitlines() if not line.lstrip().startswith("//")
        )
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in code, f"{script.name} uses {sink}"
