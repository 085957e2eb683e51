"""The player and staff WebSocket gateways: ``setup(app)`` wires routes, the hub and jobs.

``setup`` adds ``WS /ws/player`` (msgpack), ``WS /ws/staff`` (JSON), ``DELETE
/api/v1/sessions/me`` (erasure), a cleanup context that starts the hub (group-commit writer,
restore from the database, the ~200 ms tick) and an ``on_shutdown`` hook closing every socket
with 1001. Scheduler jobs (bookings due, retention purge) register through
``server.scheduler``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from handoff.protocol import CloseCode
from server import content_api
from server.app import DB, HEALTH_CHECKS, SETTINGS
from server.chat.jobs import schedule_jobs
from server.gateways import authority
from server.gateways.common import HUB
from server.gateways.hub import Hub
from server.gateways.player import delete_session_handler, player_ws
from server.gateways.staff import staff_ws

__all__ = ["HUB", "Hub", "schedule_jobs", "setup"]


async def _hub_ctx(app: web.Application) -> AsyncIterator[None]:
    hub = Hub(app[SETTINGS], app[DB])
    app[HUB] = hub
    await hub.start()
    yield
    await hub.stop()


async def _on_shutdown(app: web.Application) -> None:
    if HUB in app:
        await app[HUB].close_all(CloseCode.GOING_AWAY, "server shutting down")


def _chat_writer_health(app: web.Application) -> tuple[str, str | None]:
    """``chat_writer`` on ``/healthz``: the last chat write failed for a reason of ours."""
    problem = app[HUB].store.problem if HUB in app else None
    return "chat_writer", problem and f"the last chat write failed: {problem}"


def _kinds_available(app: web.Application) -> list[str]:
    return app[HUB].kinds_available() if HUB in app else []


def setup(app: web.Application) -> None:
    """Plug the handoff gateways into the app."""
    from server.scheduler import on_start

    app.router.add_get("/ws/player", player_ws, name="ws_player")
    app.router.add_get("/ws/staff", staff_ws, name="ws_staff")
    app.router.add_delete("/api/v1/sessions/me", delete_session_handler, name="erase_session")
    app.cleanup_ctx.append(_hub_ctx)
    app.cleanup_ctx.append(authority.watcher(HUB))
    app.on_shutdown.append(_on_shutdown)
    app[content_api.KINDS_AVAILABLE] = lambda: _kinds_available(app)
    app[HEALTH_CHECKS].append(lambda: _chat_writer_health(app))
    on_start(schedule_jobs)
