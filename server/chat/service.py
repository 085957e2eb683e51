"""Service hours and bookable slots, from the operating organisation's profile.

When the organisation is closed the queue does not take chat requests; the player sees the
hours and the next bookable 30-minute slots. Without an organisation row (a bare development
database) the service counts as open, so a fresh checkout works without seeding.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from server.content_api import get_organisation
from server.service_hours import is_open, next_opening
from server.storage.db import Database

SLOT = timedelta(minutes=30)
MAX_SLOTS = 48
_REFRESH_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    """Open or closed now, with what a player needs to know about the hours."""

    open: bool
    hours: dict[str, list[list[str]]]
    timezone: str
    next_open: datetime | None
    slots: list[datetime]

    def frame(self) -> dict[str, object]:
        """The ``service`` frame."""
        return {
            "type": "service",
            "open": self.open,
            "hours": self.hours,
            "timezone": self.timezone,
            "next_open": self.next_open.isoformat() if self.next_open else None,
            "slots": [s.isoformat() for s in self.slots],
        }


def bookable_slots(
    hours: dict[str, list[list[str]]], timezone: str, now: datetime, *, days: int = 7
) -> list[datetime]:
    """Starts (aware UTC) of 30-minute slots fully inside the hours, after ``now``."""
    # Next half-hour boundary, at least 5 minutes away.
    start = (now + timedelta(minutes=5)).astimezone(UTC)
    start = start.replace(second=0, microsecond=0)
    start += timedelta(minutes=(30 - start.minute % 30) % 30)
    slots: list[datetime] = []
    t = start
    end = now + timedelta(days=days)
    while t < end and len(slots) < MAX_SLOTS:
        if is_open(hours, timezone, t) and is_open(
            hours, timezone, t + SLOT - timedelta(minutes=1)
        ):
            slots.append(t)
        t += SLOT
    return slots


class Service:
    """Caches the organisation profile briefly; answers open/closed and slots."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._loaded_at = -1e9
        self._hours: dict[str, list[list[str]]] | None = None
        self._timezone = "UTC"
        self._slots: list[datetime] = []
        self._slots_at: datetime | None = None

    async def _refresh(self) -> None:
        if time.monotonic() - self._loaded_at < _REFRESH_SECONDS:
            return
        async with self._db.session() as session:
            org = await get_organisation(session)
        hours = dict(org.service_hours) if org is not None else None
        if hours != self._hours:
            self._slots_at = None
        self._hours = hours
        self._timezone = org.timezone if org is not None else "UTC"
        self._loaded_at = time.monotonic()

    def invalidate(self) -> None:
        """Forget the cached profile (after an admin changes the hours)."""
        self._loaded_at = -1e9
        self._slots_at = None

    async def info(self, now: datetime, *, with_slots: bool = True) -> ServiceInfo:
        """Whether the service is open at ``now`` and, if asked, the bookable slots."""
        await self._refresh()
        if self._hours is None:
            return ServiceInfo(True, {}, "UTC", None, [])
        hours, tz = self._hours, self._timezone
        slots: list[datetime] = []
        if with_slots:
            # Slots change every 30 minutes; recomputing them on every hello is wasteful.
            if self._slots_at is None or now - self._slots_at >= timedelta(minutes=1):
                self._slots = bookable_slots(hours, tz, now)
                self._slots_at = now
            slots = [s for s in self._slots if s > now + timedelta(minutes=5)]
        return ServiceInfo(
            open=is_open(hours, tz, now),
            hours=hours,
            timezone=tz,
            next_open=next_opening(hours, tz, now),
            slots=slots,
        )
