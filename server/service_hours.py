"""Service hours: is the organisation open at a given moment, and when does it open next.

Hours are stored per weekday in the organisation's own timezone as ``[["09:00", "17:00"]]``;
``now`` is passed in (aware UTC), so the answer is testable for any instant and any zone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.storage.models import WEEKDAYS

Hours = dict[str, list[list[str]]]


class InvalidServiceHours(ValueError):
    """The operator entered hours that are not ``HH:MM`` ranges (the operator's fault)."""


def _parse(value: str) -> time:
    try:
        hour, minute = value.split(":")
        return time(int(hour), int(minute))
    except (ValueError, AttributeError) as exc:
        raise InvalidServiceHours(f"{value!r} is not a time of day like '09:30'") from exc


def validate_hours(hours: Hours) -> Hours:
    """Return ``hours`` unchanged if every range is a valid ``start < end``; else raise."""
    for day, ranges in hours.items():
        if day not in WEEKDAYS:
            raise InvalidServiceHours(f"{day!r} is not one of {', '.join(WEEKDAYS)}")
        for pair in ranges:
            if len(pair) != 2:
                raise InvalidServiceHours(f"{day}: each range needs a start and an end")
            start, end = _parse(pair[0]), _parse(pair[1])
            if not start < end:
                raise InvalidServiceHours(f"{day}: {pair[0]}-{pair[1]} ends before it starts")
    return hours


def is_open(hours: Hours, timezone: str, now: datetime) -> bool:
    """True when ``now`` falls inside one of the day's ranges, in the organisation's zone."""
    local = now.astimezone(ZoneInfo(timezone))
    day = WEEKDAYS[local.weekday()]
    current = local.time().replace(tzinfo=None)
    return any(_parse(a) <= current < _parse(b) for a, b in hours.get(day, []))


def next_opening(hours: Hours, timezone: str, now: datetime) -> datetime | None:
    """The next moment (aware UTC) the service opens after ``now``, within a week."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    for offset in range(8):
        date = (local + timedelta(days=offset)).date()
        for start, _end in sorted(hours.get(WEEKDAYS[date.weekday()], [])):
            candidate = datetime.combine(date, _parse(start), tzinfo=zone)
            if candidate > local:
                return candidate.astimezone(now.tzinfo)
    return None
