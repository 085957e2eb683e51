"""Service hours: open or closed in the organisation's own timezone, and the next opening."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.service_hours import InvalidServiceHours, is_open, next_opening, validate_hours

WEEKDAY_HOURS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def test_open_during_hours_in_local_time() -> None:
    """At 08:30 UTC in winter it is 09:30 in Berlin, so a 9-to-5 service is open."""
    now = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)  # a Friday
    assert is_open(WEEKDAY_HOURS, "Europe/Berlin", now)
    assert not is_open(WEEKDAY_HOURS, "America/New_York", now)


def test_closed_at_the_weekend_and_next_opening_is_monday_morning() -> None:
    """On Saturday the service is closed and the player is told Monday 09:00 local time."""
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert not is_open(WEEKDAY_HOURS, "Europe/Berlin", now)
    assert next_opening(WEEKDAY_HOURS, "Europe/Berlin", now) == datetime(
        2026, 11, 30, 8, 0, tzinfo=UTC
    )


def test_no_hours_means_never_open_and_no_next_opening() -> None:
    """An organisation without hours is honestly shown as closed with no opening time."""
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert not is_open({}, "UTC", now)
    assert next_opening({}, "UTC", now) is None


@pytest.mark.parametrize(
    "hours",
    [{"monday": [["09:00", "17:00"]]}, {"mon": [["17:00", "09:00"]]}, {"mon": [["9am", "5pm"]]}],
)
def test_invalid_hours_are_rejected_with_a_reason(hours: dict[str, list[list[str]]]) -> None:
    """An operator typo in the hours is reported, never silently accepted."""
    with pytest.raises(InvalidServiceHours):
        validate_hours(hours)


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)))
def test_next_opening_is_always_in_the_future_and_open(naive: datetime) -> None:
    """The announced next opening always lies ahead, and the service is open then."""
    now = naive.replace(tzinfo=UTC)
    opening = next_opening(WEEKDAY_HOURS, "Europe/Berlin", now)
    assert opening is not None and opening > now
    assert is_open(WEEKDAY_HOURS, "Europe/Berlin", opening)
