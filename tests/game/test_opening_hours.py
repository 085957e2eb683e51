"""Opening hours are shown in the player's local time, true for 24h, overnight and DST."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.content import LocalHours, Span, format_hours, opening_hours
from game.i18n import Translator

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
UTC = ZoneInfo("UTC")


def test_round_the_clock_is_said_as_such_in_any_zone() -> None:
    """A service open 00:00-24:00 every day is 'around the clock', not 'Mon 23:00-22:59'."""
    hours = {d: [["00:00", "24:00"]] for d in WEEK}
    for zone in ("UTC", "America/New_York", "Asia/Kolkata", "Europe/Berlin"):
        got = opening_hours(hours, "Europe/Berlin", ZoneInfo(zone), date(2026, 12, 7))
        assert got == LocalHours(always=True)
    text = format_hours(LocalHours(always=True), Translator("en"))
    assert text == "Open around the clock, every day."


def test_overnight_shift_split_at_midnight_is_one_span() -> None:
    """A night shift entered as 22:00-24:00 and 00:00-06:00 shows as one span to the next day."""
    hours = {"fri": [["22:00", "24:00"]], "sat": [["00:00", "06:00"]]}
    got = opening_hours(hours, "Europe/Berlin", ZoneInfo("Europe/Berlin"), date(2026, 12, 7))
    assert got.spans == (Span("fri", "22:00", "sat", "06:00"),)
    assert format_hours(got, Translator("en")) == "Opening hours in your time: Fri 22:00-Sat 06:00"


def test_overnight_range_written_as_one_pair_runs_past_midnight() -> None:
    """A range whose end is before its start ends on the next day."""
    hours = {"sat": [["22:00", "02:00"]]}
    got = opening_hours(hours, "Europe/Berlin", ZoneInfo("America/New_York"), date(2026, 11, 30))
    assert got.spans == (Span("sat", "16:00", "sat", "20:00"),)


def test_day_shift_moves_to_the_players_zone() -> None:
    """09:00-17:00 Berlin is 03:00-11:00 in New York in winter."""
    hours = {"mon": [["09:00", "17:00"]]}
    got = opening_hours(hours, "Europe/Berlin", ZoneInfo("America/New_York"), date(2026, 11, 30))
    assert got.spans == (Span("mon", "03:00", "mon", "11:00"),)


def test_daylight_saving_is_applied_on_the_date_it_happens() -> None:
    """In the week Berlin leaves summer time, days before and after differ by one hour in UTC."""
    hours = {d: [["09:00", "17:00"]] for d in WEEK}
    got = opening_hours(hours, "Europe/Berlin", UTC, date(2026, 10, 22))  # a Thursday
    by_day = {s.day: (s.start, s.end) for s in got.spans}
    assert by_day["sat"] == ("07:00", "15:00")  # still summer time (CEST, UTC+2)
    assert by_day["sun"] == ("08:00", "16:00")  # 25 October: back to CET, UTC+1


def test_evening_shift_ending_at_midnight_reads_24_00() -> None:
    """A shift to 24:00 local ends at '24:00' on the same day, not '00:00'."""
    hours = {"mon": [["18:00", "24:00"]]}
    got = opening_hours(hours, "UTC", UTC, date(2026, 12, 7))
    assert got.spans == (Span("mon", "18:00", "mon", "24:00"),)


def test_bad_ranges_are_skipped_not_fatal() -> None:
    """A malformed range from the server is ignored; the others are still shown."""
    hours: Any = {"mon": [["9", "x"], ["10:00", "12:00"], ["1"]], "tue": "nonsense"}
    got = opening_hours(hours, "UTC", UTC, date(2026, 12, 7))
    assert got.spans == (Span("mon", "10:00", "mon", "12:00"),)


ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")


@st.composite
def weekly_hours(draw: st.DrawFn) -> dict[str, list[list[str]]]:
    """Valid weekly hours as the server stores them, including 24:00 ends."""
    out: dict[str, list[list[str]]] = {}
    for day in WEEK:
        cuts = sorted(draw(st.sets(st.integers(0, 48), max_size=4)))
        pairs = [cuts[i : i + 2] for i in range(0, len(cuts) - 1, 2)]
        if pairs:
            out[day] = [
                [f"{a // 2:02d}:{a % 2 * 30:02d}", f"{b // 2:02d}:{b % 2 * 30:02d}"]
                for a, b in pairs
            ]
    return out


@settings(max_examples=300, deadline=None)
@given(
    hours=weekly_hours(),
    org_zone=st.sampled_from(ZONES),
    player_zone=st.sampled_from(ZONES),
    today=st.dates(date(2026, 1, 1), date(2027, 12, 31)),
    minute=st.integers(0, 7 * 24 * 60 - 1),
)
def test_shown_openings_agree_with_the_server(
    hours: dict[str, list[list[str]]],
    org_zone: str,
    player_zone: str,
    today: date,
    minute: int,
) -> None:
    """At any instant of the week shown, 'open' in the offer is what the server says, in any
    pair of zones and across daylight saving changes (the server decides who can chat)."""
    from server.rota import service_open

    local = ZoneInfo(player_zone)
    got = opening_hours(hours, org_zone, local, today)
    start = datetime.combine(today, time(0), local).astimezone(UTC)
    instant = start + timedelta(minutes=minute)
    shown_open = got.always or any(a <= instant < b for a, b in got.intervals)
    assert shown_open == service_open(hours, org_zone, None, instant)


def test_player_zone_has_daylight_saving_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """The game reads the player's zone with its DST rules, not just today's offset."""
    import tzlocal

    from game.content import player_zone

    monkeypatch.setattr(tzlocal, "get_localzone", lambda: ZoneInfo("Europe/Berlin"))
    zone = player_zone()
    winter = datetime(2026, 1, 5, 12, tzinfo=zone).utcoffset()
    summer = datetime(2026, 7, 6, 12, tzinfo=zone).utcoffset()
    assert winter != summer
