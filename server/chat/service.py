"""Service hours, the counsellors' rota and bookable slots, from the organisation's profile.

The queue takes chat requests when the organisation's hours are open AND a counsellor is
rostered (``server.rota``; with no rota defined the hours alone decide). When closed, the player
sees the hours and the next bookable 30-minute slots inside rostered time; a slot whose
bookings reach the capacity of the counsellors rostered then is not offered. Without an
organisation row (a bare development database) the service counts as open.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.chat.models import Booking
from server.chat.rota_repo import load_rota
from server.content_api import get_organisation
from server.rota import Rota, service_open
from server.rota import bookable_slots as rota_slots
from server.rota import next_open as rota_next_open
from server.rota import slot_capacity as rota_slot_capacity
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
    hours: dict[str, list[list[str]]],
    timezone: str,
    now: datetime,
    *,
    days: int = 7,
    rota: Rota | None = None,
) -> list[datetime]:
    """Starts (aware UTC) of 30-minute slots inside the hours (and rostered time), after ``now``."""
    return [t for t, _cap in rota_slots(hours, timezone, rota, now, days=days, limit=MAX_SLOTS)]


class Service:
    """Caches the organisation profile and rota briefly; answers open/closed and slots."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._loaded_at = -1e9
        self._hours: dict[str, list[list[str]]] | None = None
        self._timezone = "UTC"
        self._rota: Rota | None = None
        self._slots: list[datetime] = []
        self._slots_at: datetime | None = None
        self._next_open: tuple[datetime, datetime | None] | None = None
        #: The ``open`` last announced to connected players (by the ``service.announce`` job).
        self.announced_open: bool | None = None

    async def _refresh(self) -> None:
        if time.monotonic() - self._loaded_at < _REFRESH_SECONDS:
            return
        async with self._db.session() as session:
            org = await get_organisation(session)
            rota = await load_rota(session)
        hours = dict(org.service_hours) if org is not None else None
        if hours != self._hours or rota != self._rota:
            self._slots_at = None
            self._next_open = None
        self._hours = hours
        self._rota = rota
        self._timezone = org.timezone if org is not None else "UTC"
        self._loaded_at = time.monotonic()

    def invalidate(self) -> None:
        """Forget the cached profile and rota (after an admin changes hours or the rota)."""
        self._loaded_at = -1e9
        self._slots_at = None
        self._next_open = None

    def _opening(self, now: datetime) -> datetime | None:
        # Scanning a week of rota boundaries costs too much to repeat on every hello.
        cached = self._next_open
        if cached is not None and timedelta(0) <= now - cached[0] < timedelta(minutes=1):
            if cached[1] is None or cached[1] > now:
                return cached[1]
        assert self._hours is not None
        value = rota_next_open(self._hours, self._timezone, self._rota, now)
        self._next_open = (now, value)
        return value

    async def rota(self) -> Rota | None:
        """The cached rota (None before the first load)."""
        await self._refresh()
        return self._rota

    async def capacity_at(self, slot: datetime) -> int | None:
        """Bookings the slot may take from the rota (0: not bookable); None without a rota."""
        await self._refresh()
        if self._hours is None:
            return None
        return rota_slot_capacity(self._hours, self._timezone, self._rota, slot)

    async def _free_slots(self, now: datetime) -> list[datetime]:
        assert self._hours is not None
        offered = rota_slots(self._hours, self._timezone, self._rota, now, limit=MAX_SLOTS)
        limited = {t: cap for t, cap in offered if cap is not None}
        if not limited:
            return [t for t, _cap in offered]
        # A slot is full when its live bookings reach the capacity rostered then.
        table: sa.Table = Booking.__table__  # type: ignore[attr-defined]
        async with self._db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(table.c.slot_at, sa.func.count())
                    .where(table.c.state.in_(("booked", "due")))
                    .where(table.c.slot_at >= min(limited))
                    .group_by(table.c.slot_at)
                )
            ).all()
        taken = {slot: int(count) for slot, count in rows}
        return [t for t, cap in offered if cap is None or taken.get(t, 0) < cap]

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
                self._slots = await self._free_slots(now)
                self._slots_at = now
            slots = [s for s in self._slots if s > now + timedelta(minutes=5)]
        return ServiceInfo(
            open=service_open(hours, tz, self._rota, now),
            hours=hours,
            timezone=tz,
            next_open=self._opening(now),
            slots=slots,
        )
