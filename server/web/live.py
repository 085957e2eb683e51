"""Read-only view of the live handoff state (presence, load, queue) for the staff pages.

The handoff gateway's ``Hub`` owns the live state; this adapter is the only place the web
area touches it. An app without the gateway (a bare test app) simply has nobody online.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from typing import Any

from aiohttp import web

log = logging.getLogger("crossroads.web.live")


def hub_of(app: web.Application) -> Any | None:
    """The handoff hub stored in ``app``, if the gateway is installed and running."""
    try:
        from server.gateways.hub import Hub
    except ImportError:
        return None
    for value in app.values():
        if isinstance(value, Hub):
            return value
    return None


def presence(app: web.Application) -> dict[int, dict[str, Any]]:
    """``{staff_id: {"status": ..., "load": n, ...}}`` for counsellors the gateway knows."""
    hub = hub_of(app)
    if hub is None:
        return {}
    return dict(hub.presence())


def queue_summary(app: web.Application, now: datetime) -> dict[str, Any]:
    """``{"length": n, "longest_wait_seconds": s | None}`` over every waiting request."""
    hub = hub_of(app)
    if hub is None:
        return {"length": 0, "longest_wait_seconds": None}
    waiting = hub.core.waiting()
    longest = max((int((now - r.created_at).total_seconds()) for r in waiting), default=None)
    return {"length": len(waiting), "longest_wait_seconds": longest}


async def apply_capacity(app: web.Application, staff_id: int, capacity: int, now: datetime) -> None:
    """Give a connected counsellor's live profile the new caseload cap at once.

    The dispatcher re-reads a profile when a counsellor connects; re-announcing the connected
    counsellor with the changed profile re-indexes them (and may offer the next request when
    the cap went up). Conversations already held are never taken away when it goes down.
    """
    hub = hub_of(app)
    if hub is None:
        return
    counsellor = hub.core.counsellors.get(staff_id)
    if counsellor is None or not counsellor.connected:
        return
    profile = dataclasses.replace(counsellor.profile, capacity=capacity)
    events = hub.core.counsellor_connected(profile, now, status=counsellor.status)
    await hub.execute(events)
