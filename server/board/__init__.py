"""The ethics board in the server: pages under ``/board``, the governance service, its tables.

``setup(app)`` (called by ``server.app.create_app``) adds the Jinja2 templates under the
board's own app key, the static files under ``/static/board/``, every route, and the scheduled
checkpoint-signing job (``ethics.sign_checkpoint``, hourly) through ``server.scheduler``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from aiohttp import web

log = logging.getLogger("crossroads.board")

HERE = Path(__file__).resolve().parent
CHECKPOINT_JOB = "ethics.sign_checkpoint"
CHECKPOINT_INTERVAL_MINUTES = 60


async def sign_checkpoint_job(app: web.Application, **_: Any) -> None:
    """Scheduled: sign a checkpoint if the log grew, then collect witness cosignatures."""
    from server.app import DB, SETTINGS
    from server.board.service import sign_checkpoint_now
    from server.board.witnesses import collect
    from server.storage.types import utcnow

    now = utcnow()
    row = await sign_checkpoint_now(app[DB], app[SETTINGS], now)
    if row is not None:
        log.info("signed ethics log checkpoint at size %s", row.size)
    await collect(app[DB], app[SETTINGS], now)


def _schedule(scheduler: Any, app: web.Application) -> None:
    from server.scheduler import add_job

    add_job(
        scheduler,
        CHECKPOINT_JOB,
        "interval",
        job_id=CHECKPOINT_JOB,
        minutes=CHECKPOINT_INTERVAL_MINUTES,
    )


def register_job() -> None:
    """Make the checkpoint job known to the scheduler (idempotent)."""
    from server import scheduler

    scheduler.job(CHECKPOINT_JOB)(sign_checkpoint_job)
    scheduler.on_start(_schedule)


def setup(app: web.Application) -> None:
    """Wire the ethics board into ``app``."""
    import aiohttp_jinja2
    import jinja2

    from server.board import models, offer_preview  # noqa: F401  (models registers tables)
    from server.board.routes import BOARD_JINJA, setup_routes

    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        app_key=BOARD_JINJA,
    )
    app.router.add_static("/static/board", HERE / "static", name="board_static")
    setup_routes(app)
    offer_preview.setup(app)
    register_job()
