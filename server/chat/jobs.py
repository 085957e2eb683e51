"""Scheduled jobs of the handoff (APScheduler via ``server.scheduler``).

``handoff.bookings_due`` (every minute) puts bookings whose slot has started into the queue
at the front; ``handoff.booking_reminders`` (every minute) reminds connected players of a
slot about ten minutes away and tells the counsellors how many bookings it has;
``handoff.retention_purge`` (daily) deletes ended conversations older than
``retention_days``; ``service.announce`` (every minute) tells connected players when the
service opens or closes (hours and rota). ``schedule_jobs(scheduler, app)`` adds the handoff's
three, ``register_announce()`` hooks in the announcement (idempotent, persistent ids).
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from server.scheduler import add_job, job

log = logging.getLogger("crossroads.chat.jobs")


def _hub(app: web.Application) -> Any:
    from server.gateways.common import HUB

    return app[HUB] if HUB in app else None


@job("handoff.bookings_due")
async def bookings_due_job(app: web.Application) -> int:
    """Enter due bookings into the queue; returns how many entered."""
    from server.gateways.hub import utcnow

    hub = _hub(app)
    if hub is None:
        return 0
    entered: int = await hub.enqueue_due_bookings(utcnow())
    if entered:
        log.info("%d booked conversations entered the queue", entered)
    return entered


@job("handoff.booking_reminders")
async def booking_reminders_job(app: web.Application) -> int:
    """Remind players of booked slots about to start; returns how many were reminded."""
    from server.gateways.hub import utcnow

    hub = _hub(app)
    if hub is None:
        return 0
    reminded: int = await hub.remind_bookings(utcnow())
    if reminded:
        log.info("%d players reminded of their booked conversation", reminded)
    return reminded


@job("handoff.retention_purge")
async def retention_purge_job(app: web.Application) -> dict[str, int]:
    """Delete ended conversations and their messages past the retention period."""
    from server.gateways.hub import utcnow

    hub = _hub(app)
    if hub is None:
        return {}
    counts: dict[str, int] = await hub.purge(utcnow())
    log.info("retention purge: %s", counts)
    return counts


@job("service.announce")
async def announce_service_job(app: web.Application) -> bool:
    """Send a ``service`` frame to every connected player when open/closed changed.

    Returns whether frames were sent. The first run after a start only records the state.
    """
    from server.gateways.hub import utcnow

    hub = _hub(app)
    if hub is None:
        return False
    service = hub.service
    info = await service.info(utcnow())
    previous, service.announced_open = service.announced_open, info.open
    if previous is None or previous == info.open:
        return False
    frame = info.frame()
    for session_id in list(hub.players):
        await hub.to_player(session_id, frame)
    log.info("service %s; told %d players", "opened" if info.open else "closed", len(hub.players))
    return True


def schedule_jobs(scheduler: Any, app: web.Application) -> None:
    """Add the handoff's recurring jobs to the (persistent) scheduler."""
    add_job(
        scheduler, "handoff.bookings_due", "interval", job_id="handoff.bookings_due", seconds=60
    )
    add_job(
        scheduler,
        "handoff.booking_reminders",
        "interval",
        job_id="handoff.booking_reminders",
        seconds=60,
    )
    add_job(
        scheduler,
        "handoff.retention_purge",
        "cron",
        job_id="handoff.retention_purge",
        hour=3,
        minute=17,
    )


def schedule_announce(scheduler: Any, app: web.Application) -> None:
    """Add the every-minute ``service.announce`` job (rota and hours boundaries are minutes)."""
    add_job(scheduler, "service.announce", "interval", job_id="service.announce", seconds=60)


def register_announce() -> None:
    """Hook ``schedule_announce`` into the app scheduler's start (once)."""
    from server.scheduler import on_start

    on_start(schedule_announce)
