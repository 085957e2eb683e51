"""Shift length and break reminders for counsellors (welfare on long, hard shifts).

A shift runs from the first time a counsellor is seen available or away until they go offline.
Being away counts as a break. The scheduled job :func:`shift_job` (every minute, APScheduler)
follows presence, opens and closes shifts and marks reminders due; the console polls
``/console/api/shift`` and shows a calm banner, the supervisor board shows who is due a break.
The rules are the pure function :func:`shift_advice`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlmodel import col, select

from server.web.models import StaffShift, utcnow

log = logging.getLogger("crossroads.web.shifts")

#: Suggest a break after this long without one.
BREAK_AFTER = timedelta(minutes=90)
#: Do not repeat a reminder more often than this.
REMIND_EVERY = timedelta(minutes=30)
#: Suggest ending the shift after this long in total.
LONG_SHIFT = timedelta(hours=6)


@dataclass(frozen=True)
class ShiftAdvice:
    """What the console and the board say about one shift."""

    on_shift_minutes: int
    since_break_minutes: int
    break_due: bool
    long_shift: bool
    remind_now: bool

    def message(self) -> str:
        """A calm sentence for the counsellor (empty when nothing is due)."""
        if self.long_shift:
            return (
                f"You have been on shift for {self.on_shift_minutes // 60} h "
                f"{self.on_shift_minutes % 60} min. Please plan to hand over and end your shift."
            )
        if self.break_due:
            return (
                f"It has been {self.since_break_minutes} minutes since your last break. "
                "Set yourself to Away for a few minutes when your current chats allow."
            )
        return ""


def shift_advice(shift: StaffShift, now: datetime) -> ShiftAdvice:
    """How long the shift has run, whether a break is due and whether to remind now."""
    started = shift.started_at or now
    since = max(started, shift.last_break_at or started)
    on_shift = now - started
    since_break = now - since
    break_due = since_break >= BREAK_AFTER
    long_shift = on_shift >= LONG_SHIFT
    last = shift.last_reminder_at
    remind = (break_due or long_shift) and (last is None or now - last >= REMIND_EVERY)
    return ShiftAdvice(
        on_shift_minutes=int(on_shift.total_seconds() // 60),
        since_break_minutes=int(since_break.total_seconds() // 60),
        break_due=break_due,
        long_shift=long_shift,
        remind_now=remind,
    )


async def follow_presence(app: web.Application, now: datetime) -> int:
    """Open, close and mark shifts from live presence; return how many shifts are open."""
    from server.app import DB
    from server.web.live import presence

    live = presence(app)
    async with app[DB].session() as session:
        open_rows = (
            await session.exec(select(StaffShift).where(col(StaffShift.ended_at).is_(None)))
        ).all()
        by_staff = {row.staff_id: row for row in open_rows}
        for staff_id, state in live.items():
            status = state.get("status", "offline")
            row = by_staff.get(staff_id)
            if status in ("available", "away") and row is None:
                row = StaffShift(staff_id=staff_id, started_at=now)
                session.add(row)
                by_staff[staff_id] = row
            if row is not None and status == "away":
                row.last_break_at = now
                session.add(row)
        for staff_id, row in list(by_staff.items()):
            if live.get(staff_id, {}).get("status", "offline") == "offline" and row.id:
                row.ended_at = now
                session.add(row)
                by_staff.pop(staff_id)
        await session.commit()
        return len(by_staff)


async def open_shift(app: web.Application, staff_id: int) -> StaffShift | None:
    """The counsellor's open shift, if any."""
    from server.app import DB

    async with app[DB].session() as session:
        return (
            await session.exec(
                select(StaffShift)
                .where(StaffShift.staff_id == staff_id, col(StaffShift.ended_at).is_(None))
                .order_by(col(StaffShift.started_at).desc())
            )
        ).first()


async def advice_for(app: web.Application, staff_id: int, now: datetime) -> dict[str, Any]:
    """The console's view of its own shift; records that a due reminder was shown."""
    from server.app import DB

    async with app[DB].session() as session:
        row = (
            await session.exec(
                select(StaffShift)
                .where(StaffShift.staff_id == staff_id, col(StaffShift.ended_at).is_(None))
                .order_by(col(StaffShift.started_at).desc())
            )
        ).first()
        if row is None:
            return {"on_shift": False, "message": "", "remind": False}
        advice = shift_advice(row, now)
        if advice.remind_now:
            row.last_reminder_at = now
            session.add(row)
            await session.commit()
        return {
            "on_shift": True,
            "on_shift_minutes": advice.on_shift_minutes,
            "since_break_minutes": advice.since_break_minutes,
            "break_due": advice.break_due,
            "long_shift": advice.long_shift,
            "remind": advice.remind_now,
            "message": advice.message(),
        }


async def shift_job(app: web.Application) -> None:
    """Scheduled every minute: keep shifts in step with presence."""
    count = await follow_presence(app, utcnow())
    log.debug("shift check: %d open shifts", count)


async def shift_handler(request: web.Request) -> web.Response:
    """``GET /console/api/shift``: my shift length and any break reminder."""
    from server.web.common import api_staff

    account = await api_staff(request, "counsellor")
    assert account.id is not None
    # Presence is followed here too, so the console is right even without the scheduler.
    await follow_presence(request.app, utcnow())
    return web.json_response(await advice_for(request.app, account.id, utcnow()))


def register_job() -> None:
    """Register the job with the app scheduler (runs every minute, persisted)."""
    from server import scheduler

    scheduler.job("web.shift_check")(shift_job)
    scheduler.on_start(_schedule_shift_check)


def _schedule_shift_check(sched: Any, app: web.Application) -> None:
    from server import scheduler

    scheduler.add_job(sched, "web.shift_check", "interval", job_id="web.shift_check", minutes=1)
