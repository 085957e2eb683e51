"""The rota: who is rostered, when the service is open, when it opens next, which slots exist."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from server.rota import (
    Rota,
    RotaException,
    WeeklyShift,
    bookable_slots,
    next_open,
    parse_range,
    rostered,
    service_open,
    slot_capacity,
)
from server.service_hours import InvalidServiceHours
from server.storage.models import WEEKDAYS

BERLIN = "Europe/Berlin"
WEEKDAY_HOURS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
ALWAYS = {day: [["00:00", "24:00"]] for day in WEEKDAYS}


def shift(staff_id: int, day: str, start: str, end: str) -> WeeklyShift:
    """A weekly shift from text."""
    return WeeklyShift(staff_id, day, *parse_range(start, end))


def rota(*shifts: WeeklyShift, exceptions: tuple[RotaException, ...] = (), cap: int = 2) -> Rota:
    """A rota of counsellors 1..3, each with capacity ``cap``."""
    return Rota.build(shifts, exceptions, {1: cap, 2: cap, 3: cap})


def test_open_only_while_someone_is_rostered_inside_the_hours() -> None:
    """With hours 9-17 but Anna rostered only 10-12, a player can chat only from 10 to 12."""
    r = rota(shift(1, "fri", "10:00", "12:00"))
    friday = datetime(2026, 11, 27, tzinfo=UTC)  # 1 hour behind Berlin in winter
    assert not service_open(WEEKDAY_HOURS, BERLIN, r, friday.replace(hour=8, minute=30))
    assert service_open(WEEKDAY_HOURS, BERLIN, r, friday.replace(hour=9, minute=0))
    assert service_open(WEEKDAY_HOURS, BERLIN, r, friday.replace(hour=10, minute=59))
    assert not service_open(WEEKDAY_HOURS, BERLIN, r, friday.replace(hour=11, minute=0))
    assert next_open(WEEKDAY_HOURS, BERLIN, r, friday.replace(hour=7)) == friday.replace(hour=9)


def test_without_a_rota_the_hours_alone_decide() -> None:
    """A deployment that never entered a rota opens and closes with its hours, as before."""
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    empty = Rota.build((), (), {1: 2})
    assert service_open(WEEKDAY_HOURS, BERLIN, empty, now)
    assert service_open(WEEKDAY_HOURS, BERLIN, None, now)


def test_a_rota_of_only_inactive_staff_keeps_the_service_closed() -> None:
    """Deactivating the only rostered counsellor closes the chat instead of reopening it."""
    r = Rota.build([shift(9, "fri", "00:00", "24:00")], (), {1: 2})
    assert r.defined
    assert not service_open(ALWAYS, BERLIN, r, datetime(2026, 11, 27, 12, tzinfo=UTC))


def test_a_cancelled_day_and_an_added_shift_change_one_date_only() -> None:
    """Anna's Friday off closes this Friday; an extra Saturday shift opens that Saturday."""
    exceptions = (
        RotaException(1, date(2026, 11, 27), "cancel"),
        RotaException(1, date(2026, 11, 28), "add", *parse_range("14:00", "15:00")),
    )
    r = rota(shift(1, "fri", "09:00", "17:00"), exceptions=exceptions)
    assert not service_open(ALWAYS, BERLIN, r, datetime(2026, 11, 27, 10, tzinfo=UTC))
    assert service_open(ALWAYS, BERLIN, r, datetime(2026, 12, 4, 10, tzinfo=UTC))
    assert rostered(r, BERLIN, datetime(2026, 11, 28, 13, 30, tzinfo=UTC)) == [1]
    assert next_open(ALWAYS, BERLIN, r, datetime(2026, 11, 27, 10, tzinfo=UTC)) == datetime(
        2026, 11, 28, 13, 0, tzinfo=UTC
    )


def test_a_cancelled_window_leaves_the_rest_of_the_shift() -> None:
    """Cancelling 12-13 of a 9-17 shift keeps the morning and afternoon."""
    exceptions = (RotaException(1, date(2026, 11, 27), "cancel", *parse_range("12:00", "13:00")),)
    r = rota(shift(1, "fri", "09:00", "17:00"), exceptions=exceptions)
    assert service_open(ALWAYS, BERLIN, r, datetime(2026, 11, 27, 10, 59, tzinfo=UTC))
    assert not service_open(ALWAYS, BERLIN, r, datetime(2026, 11, 27, 11, 0, tzinfo=UTC))
    assert service_open(ALWAYS, BERLIN, r, datetime(2026, 11, 27, 12, 0, tzinfo=UTC))


def test_slot_capacity_sums_the_counsellors_rostered_for_the_whole_slot() -> None:
    """Two counsellors overlapping 10-11 give that slot room for both their caseloads."""
    r = rota(shift(1, "fri", "09:00", "11:00"), shift(2, "fri", "10:00", "12:00"), cap=3)
    at = datetime(2026, 11, 27, tzinfo=UTC)
    assert slot_capacity(ALWAYS, BERLIN, r, at.replace(hour=8)) == 3  # 09:00 local
    assert slot_capacity(ALWAYS, BERLIN, r, at.replace(hour=9)) == 6  # 10:00 local
    assert slot_capacity(ALWAYS, BERLIN, r, at.replace(hour=11)) == 0  # 12:00 local
    assert slot_capacity(ALWAYS, BERLIN, None, at.replace(hour=11)) is None


def test_invalid_rota_times_are_refused_with_a_reason() -> None:
    """A shift that ends before it starts, or 25:00, is the operator's typo and is refused."""
    for start, end in (("17:00", "09:00"), ("25:00", "26:00"), ("24:00", "24:00"), ("9", "10")):
        with pytest.raises(InvalidServiceHours):
            parse_range(start, end)


@pytest.mark.parametrize(
    ("utc", "local_open"),
    [
        # Spring forward (29 March 2026): 08:00 local is 06:00 UTC after the change.
        (datetime(2026, 3, 28, 7, 0, tzinfo=UTC), True),
        (datetime(2026, 3, 29, 6, 0, tzinfo=UTC), True),
        (datetime(2026, 3, 29, 7, 0, tzinfo=UTC), True),
        (datetime(2026, 3, 29, 5, 59, tzinfo=UTC), False),
        # Fall back (25 October 2026): 08:00 local is 07:00 UTC after the change.
        (datetime(2026, 10, 25, 6, 59, tzinfo=UTC), False),
        (datetime(2026, 10, 25, 7, 0, tzinfo=UTC), True),
    ],
)
def test_shifts_keep_their_local_time_across_dst_in_berlin(utc: datetime, local_open: bool) -> None:
    """An 08:00-10:00 shift starts at 08:00 Berlin time on both sides of a clock change."""
    r = rota(*(shift(1, day, "08:00", "10:00") for day in WEEKDAYS))
    assert service_open(ALWAYS, BERLIN, r, utc) is local_open


def test_next_open_over_the_spring_gap_is_when_the_clock_jumps() -> None:
    """A shift starting at 02:30 on the night the clocks skip 02:00-03:00 opens at 03:00 local."""
    r = rota(shift(1, "sun", "02:30", "05:00"))
    now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    opening = next_open(ALWAYS, BERLIN, r, now)
    assert opening == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert service_open(ALWAYS, BERLIN, r, opening)


TIMES = st.integers(min_value=0, max_value=47).map(lambda i: f"{i // 2:02d}:{30 * (i % 2):02d}")


@st.composite
def rotas(draw: st.DrawFn) -> Rota:
    """Random rotas of up to three counsellors with a few weekly shifts and exceptions."""
    shifts = []
    for _ in range(draw(st.integers(0, 6))):
        a, b = sorted(draw(st.lists(TIMES, min_size=2, max_size=2, unique=True)))
        shifts.append(shift(draw(st.integers(1, 3)), draw(st.sampled_from(WEEKDAYS)), a, b))
    exceptions = []
    for _ in range(draw(st.integers(0, 3))):
        a, b = sorted(draw(st.lists(TIMES, min_size=2, max_size=2, unique=True)))
        on = date(2026, 3, 23) + timedelta(days=draw(st.integers(0, 14)))
        exceptions.append(
            RotaException(
                draw(st.integers(1, 3)),
                on,
                draw(st.sampled_from(["add", "cancel"])),
                *parse_range(a, b),
            )
        )
    return Rota.build(shifts, exceptions, {1: 1, 2: 2, 3: draw(st.integers(0, 3))})


HOURS = st.sampled_from([WEEKDAY_HOURS, ALWAYS, {"sat": [["10:00", "14:00"]]}])
# Around both DST changes in Berlin, so the skipped and the repeated hour are exercised.
NOWS = st.one_of(
    st.datetimes(min_value=datetime(2026, 3, 22), max_value=datetime(2026, 4, 5)),
    st.datetimes(min_value=datetime(2026, 10, 18), max_value=datetime(2026, 11, 1)),
).map(lambda d: d.replace(tzinfo=UTC))


@settings(max_examples=150, deadline=None)
@given(rotas(), HOURS, NOWS)
def test_open_implies_hours_open_and_someone_rostered(r: Rota, hours: dict, now: datetime) -> None:  # type: ignore[type-arg]
    """Whenever a player may chat, the organisation is open and a counsellor is on the rota."""
    # Checked at ``now`` when open, else at the next opening: random instants are mostly
    # closed, and a property guarded by ``if`` would pass without checking anything.
    when = now if service_open(hours, BERLIN, r, now) else next_open(hours, BERLIN, r, now)
    assume(when is not None)
    assert when is not None and service_open(hours, BERLIN, r, when)
    now = when
    local = now.astimezone(ZoneInfo(BERLIN))
    clock = local.strftime("%H:%M")  # "HH:MM" strings order like times; "24:00" is last
    day = WEEKDAYS[local.weekday()]
    assert any(a <= clock < b for a, b in hours.get(day, []))
    assert rostered(r, BERLIN, now) or not r.defined


@settings(max_examples=150, deadline=None)
@given(rotas(), HOURS, NOWS)
def test_next_open_is_in_the_future_and_open(r: Rota, hours: dict, now: datetime) -> None:  # type: ignore[type-arg]
    """The announced next opening lies ahead, the service is open then and closed just before."""
    opening = next_open(hours, BERLIN, r, now)
    assume(opening is not None)
    assert opening is not None
    assert opening > now
    assert service_open(hours, BERLIN, r, opening)
    assert not service_open(hours, BERLIN, r, opening - timedelta(seconds=1))


@settings(max_examples=60, deadline=None)
@given(rotas(), HOURS, NOWS)
def test_slots_never_lie_outside_rostered_time(r: Rota, hours: dict, now: datetime) -> None:  # type: ignore[type-arg]
    """Every offered slot is open and staffed from its first to its last minute."""
    for start, capacity in bookable_slots(hours, BERLIN, r, now, limit=20):
        assert start > now
        assert (capacity is None) is not r.defined
        assert capacity is None or capacity > 0
        for minute in range(0, 30, 1):
            assert service_open(hours, BERLIN, r, start + timedelta(minutes=minute))
