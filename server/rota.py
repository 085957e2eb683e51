"""The counsellors' rota and what it means for the service: open now, next opening, slots.

Pure functions, no I/O: ``now`` is passed in (aware UTC). Shifts are wall-clock ranges in the
organisation's timezone, like the service hours, so "09:00-17:00" means 09:00-17:00 local on
both sides of a DST change.

Theory of operation:
- A counsellor is *rostered* at an instant when the local wall time falls inside one of their
  ranges for that local date: their weekly shifts for the weekday, minus the date's
  ``cancel`` exceptions (a window, or the whole day when no window is given), plus the date's
  ``add`` exceptions.
- The service is *open* when the organisation's hours are open AND someone is rostered. An
  organisation that has defined no rota at all (``Rota.defined`` false) falls back to the hours.
- Open/closed changes only where the local wall time crosses a range boundary or the zone's
  offset jumps (DST), so :func:`next_open` checks exactly those instants.
- A bookable slot is 30 minutes fully inside the hours and fully inside at least one
  counsellor's range; its capacity is the summed capacity of counsellors covering all of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.service_hours import Hours, InvalidServiceHours
from server.storage.models import WEEKDAYS

SLOT = timedelta(minutes=30)
DAY_MINUTES = 24 * 60
#: How far ahead :func:`next_open` looks.
HORIZON_DAYS = 8

Range = tuple[int, int]  # [start, end) in minutes after local midnight; end may be 1440


def parse_minutes(value: str, *, end: bool = False) -> int:
    """``"09:30"`` -> 570; ``"24:00"`` is allowed only as an end. Raises on anything else."""
    try:
        hour_text, minute_text = value.split(":")
        hour, minute = int(hour_text), int(minute_text)
    except (ValueError, AttributeError) as exc:
        raise InvalidServiceHours(f"{value!r} is not a time of day like '09:30'") from exc
    if len(minute_text) != 2 or not 0 <= minute < 60:
        raise InvalidServiceHours(f"{value!r} is not a time of day like '09:30'")
    if hour == 24 and minute == 0 and end:
        return DAY_MINUTES
    if not 0 <= hour < 24:
        raise InvalidServiceHours(f"{value!r} is not a time of day like '09:30'")
    return hour * 60 + minute


def parse_range(start: str, end: str) -> Range:
    """A validated ``[start, end)`` in minutes; the operator's fault if it ends before it starts."""
    a, b = parse_minutes(start), parse_minutes(end, end=True)
    if not a < b:
        raise InvalidServiceHours(
            f"{start}-{end} ends before it starts (split a night shift at midnight)"
        )
    return a, b


def format_minutes(value: int) -> str:
    """570 -> ``"09:30"``; 1440 -> ``"24:00"``."""
    return f"{value // 60:02d}:{value % 60:02d}"


@dataclass(frozen=True, slots=True)
class WeeklyShift:
    """A counsellor's recurring shift on one weekday (``"mon"``..``"sun"``)."""

    staff_id: int
    weekday: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RotaException:
    """A one-off change on a local date: ``add`` a shift, or ``cancel`` a window (or the day)."""

    staff_id: int
    on: date
    kind: str  # "add" | "cancel"
    start: int = 0
    end: int = DAY_MINUTES


@dataclass(frozen=True, slots=True)
class Rota:
    """Everything the pure functions need; ``capacity`` holds only active counsellors."""

    shifts: tuple[WeeklyShift, ...] = ()
    exceptions: tuple[RotaException, ...] = ()
    capacity: dict[int, int] = field(default_factory=dict)
    #: True once the organisation has entered any rota row (else: hours alone decide).
    defined: bool = False

    @classmethod
    def build(
        cls,
        shifts: Iterable[WeeklyShift],
        exceptions: Iterable[RotaException],
        capacity: dict[int, int],
    ) -> Rota:
        """A rota from rows; rows of staff missing from ``capacity`` (inactive) are ignored."""
        all_shifts, all_exceptions = tuple(shifts), tuple(exceptions)
        return cls(
            shifts=tuple(s for s in all_shifts if s.staff_id in capacity),
            exceptions=tuple(e for e in all_exceptions if e.staff_id in capacity),
            capacity=dict(capacity),
            defined=bool(all_shifts or all_exceptions),
        )


def _merge(ranges: Iterable[Range]) -> list[Range]:
    merged: list[Range] = []
    for a, b in sorted(ranges):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _subtract(ranges: list[Range], cut: Range) -> list[Range]:
    out: list[Range] = []
    for a, b in ranges:
        if cut[1] <= a or b <= cut[0]:
            out.append((a, b))
            continue
        if a < cut[0]:
            out.append((a, cut[0]))
        if cut[1] < b:
            out.append((cut[1], b))
    return out


def staff_ranges(rota: Rota, staff_id: int, on: date) -> list[Range]:
    """The counsellor's merged rostered ranges on local date ``on``."""
    weekday = WEEKDAYS[on.weekday()]
    ranges = _merge(
        (s.start, s.end) for s in rota.shifts if s.staff_id == staff_id and s.weekday == weekday
    )
    for e in rota.exceptions:
        if e.staff_id == staff_id and e.on == on and e.kind == "cancel":
            ranges = _subtract(ranges, (e.start, e.end))
    added = [
        (e.start, e.end)
        for e in rota.exceptions
        if e.staff_id == staff_id and e.on == on and e.kind == "add"
    ]
    return _merge([*ranges, *added])


def _hours_ranges(hours: Hours, on: date) -> list[Range]:
    return _merge(
        parse_range(pair[0], pair[1])
        for pair in hours.get(WEEKDAYS[on.weekday()], [])
        if len(pair) == 2
    )


def _local(now: datetime, timezone: str) -> tuple[date, int]:
    local = now.astimezone(ZoneInfo(timezone))
    return local.date(), local.hour * 60 + local.minute


def _inside(ranges: list[Range], minute: int) -> bool:
    return any(a <= minute < b for a, b in ranges)


def rostered(rota: Rota, timezone: str, now: datetime) -> list[int]:
    """Ids of the counsellors rostered at ``now`` (sorted)."""
    on, minute = _local(now, timezone)
    return sorted(sid for sid in rota.capacity if _inside(staff_ranges(rota, sid, on), minute))


def service_open(hours: Hours, timezone: str, rota: Rota | None, now: datetime) -> bool:
    """Open for chat: the hours are open and (when a rota is defined) someone is rostered."""
    on, minute = _local(now, timezone)
    if not _inside(_hours_ranges(hours, on), minute):
        return False
    if rota is None or not rota.defined:
        return True
    return bool(rostered(rota, timezone, now))


def _offset_jumps(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """UTC instants in ``[start, end)`` where the zone's offset changes (to the minute)."""
    jumps: list[datetime] = []
    t = start.replace(minute=0, second=0, microsecond=0)
    offset = t.astimezone(zone).utcoffset()
    while t < end:
        nxt = t + timedelta(hours=1)
        nxt_offset = nxt.astimezone(zone).utcoffset()
        if nxt_offset != offset:
            lo, hi = t, nxt  # offset(lo) == offset, offset(hi) != offset
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(second=0, microsecond=0)
                if mid <= lo:
                    break
                if mid.astimezone(zone).utcoffset() == offset:
                    lo = mid
                else:
                    hi = mid
            jumps.append(hi)
        t, offset = nxt, nxt_offset
    return jumps


def _boundaries(hours: Hours, rota: Rota | None, on: date) -> set[int]:
    points: set[int] = set()
    for a, b in _hours_ranges(hours, on):
        points.update((a, b))
    if rota is not None:
        for sid in rota.capacity:
            for a, b in staff_ranges(rota, sid, on):
                points.update((a, b))
    return points


def next_open(hours: Hours, timezone: str, rota: Rota | None, now: datetime) -> datetime | None:
    """The next instant after ``now`` at which the service opens (aware UTC), within 8 days."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    end = now + timedelta(days=HORIZON_DAYS)
    candidates: set[datetime] = set(_offset_jumps(zone, now, end))
    for offset in range(-1, HORIZON_DAYS + 1):
        on = today + timedelta(days=offset)
        for minute in _boundaries(hours, rota, on):
            naive = datetime.combine(on, time()) + timedelta(minutes=minute)
            for fold in (0, 1):
                candidates.add(naive.replace(tzinfo=zone, fold=fold).astimezone(UTC))
    step = timedelta(seconds=1)
    for candidate in sorted(c for c in candidates if now < c <= end):
        if service_open(hours, timezone, rota, candidate) and not service_open(
            hours, timezone, rota, candidate - step
        ):
            return candidate
    return None


def _covers(ranges: list[Range], start: int, end: int) -> bool:
    return any(a <= start and end <= b for a, b in ranges)


def _slot_parts(t: datetime, timezone: str) -> list[tuple[date, int, int]]:
    """The slot ``[t, t+30min)`` as local (date, start, end) pieces, split at midnight."""
    first_day, first = _local(t, timezone)
    last_day, last = _local(t + SLOT - timedelta(minutes=1), timezone)
    if last_day == first_day and last >= first:
        return [(first_day, first, last + 1)]
    return [(first_day, first, DAY_MINUTES), (last_day, 0, last + 1)]


def slot_capacity(hours: Hours, timezone: str, rota: Rota | None, t: datetime) -> int | None:
    """Bookings the slot starting at ``t`` may take: 0 if not bookable; None = no rota."""
    parts = _slot_parts(t, timezone)
    if not all(_covers(_hours_ranges(hours, on), a, b) for on, a, b in parts):
        return 0
    if rota is None or not rota.defined:
        return None
    return sum(
        cap
        for sid, cap in rota.capacity.items()
        if cap > 0 and all(_covers(staff_ranges(rota, sid, on), a, b) for on, a, b in parts)
    )


def bookable_slots(
    hours: Hours,
    timezone: str,
    rota: Rota | None,
    now: datetime,
    *,
    days: int = 7,
    limit: int = 48,
) -> list[tuple[datetime, int | None]]:
    """Starts (aware UTC) of bookable 30-minute slots after ``now``, with their capacity.

    A slot starts on a half hour at least 5 minutes away; capacity is None without a rota
    (the caller then uses every counsellor's capacity).
    """
    start = (now + timedelta(minutes=5)).astimezone(UTC).replace(second=0, microsecond=0)
    start += timedelta(minutes=(30 - start.minute % 30) % 30)
    out: list[tuple[datetime, int | None]] = []
    t, end = start, now + timedelta(days=days)
    while t < end and len(out) < limit:
        capacity = slot_capacity(hours, timezone, rota, t)
        if capacity is None or capacity > 0:
            out.append((t, capacity))
        t += SLOT
    return out
