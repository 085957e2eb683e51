"""Read-only view of the live handoff state (presence, load, queue) for the staff pages.

The handoff gateway owns the live state; this adapter is the only place the web area reads it,
so the board and the console stay correct whichever way the gateway stores it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web


def presence(app: web.Application) -> dict[int, dict[str, Any]]:
    """``{staff_id: {"status": ..., "load": n}}`` for counsellors the gateway knows."""
    return {}


def queue_summary(app: web.Application, now: datetime) -> dict[str, Any]:
    """``{"length": n, "longest_wait_seconds": s | None}`` of the home queue."""
    return {"length": 0, "longest_wait_seconds": None}


def apply_capacity(app: web.Application, staff_id: int, capacity: int) -> None:
    """Tell the live dispatcher about a changed caseload cap."""
