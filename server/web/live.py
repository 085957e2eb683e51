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
    """``{"length": n, "away": m, "longest_wait_seconds": s | None}`` for the supervisor board.

    ``length`` and the longest wait count only waiting players who are there: one whose game
    is closed is never offered (the core's ``player_gone`` rule) and would make the queue look
    longer than anyone can work. ``away`` says how many such players are still held, so the
    figure stays truthful about both.
    """
    hub = hub_of(app)
    if hub is None:
        return {"length": 0, "away": 0, "longest_wait_seconds": None}
    waiting = hub.core.waiting()
    there = [r for r in waiting if r.offline_since is None]
    longest = max((int((now - r.created_at).total_seconds()) for r in there), default=None)
    return {
        "length": len(there),
        "away": len(waiting) - len(there),
        "longest_wait_seconds": longest,
    }


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


class _SystemOrigin:
    """Stands in for a socket when the server itself posts into a conversation."""

    def mark(self, conversation_id: str, seq: int) -> None:
        """Nothing to remember: the server has no screen."""

    async def send(self, frame: dict[str, Any]) -> None:
        """The ``ack`` to the server itself goes nowhere."""


SUPERVISOR_NOTICE = (
    "Your counsellor has asked a supervisor for support. A supervisor may now read this "
    "conversation; it stays confidential within the service."
)


async def post_system_message(
    app: web.Application, *, conversation_id: str, client_id: str, text: str
) -> bool:
    """Commit a ``system`` message into a live conversation and relay it to both sides.

    ``client_id`` makes it idempotent (a repeat is not shown twice). False when the gateway
    is not running or the conversation is not live.
    """
    hub = hub_of(app)
    if hub is None:
        return False
    try:
        await hub.post_message(
            conversation_id=conversation_id,
            sender="system",
            client_id=client_id,
            text=text,
            origin=_SystemOrigin(),
        )
    except Exception as exc:  # noqa: BLE001 - a closed conversation is not an error here
        log.info("system message to %s not posted: %s", conversation_id, exc)
        return False
    return True


async def account_changed(app: web.Application, staff_id: int) -> int:
    """An account's authority changed (roles, password, disabled, sessions ended): close
    its staff sockets whose grant no longer holds, now (see ``server.gateways.authority``).

    Returns how many sockets were closed.
    """
    hub = hub_of(app)
    if hub is None:
        return 0
    from server.gateways.authority import recheck

    closed: int = await recheck(hub, [staff_id])
    return closed
