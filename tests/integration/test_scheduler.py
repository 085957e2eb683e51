"""Calendar jobs: registered coroutines run on the app's loop and survive a restart."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiohttp import web

from server import scheduler
from server.app import create_app
from server.settings import Settings
from server.storage.types import utcnow

RAN: list[tuple[str, str]] = []


@scheduler.job("test.record")
async def _record(app: web.Application, *, label: str) -> None:
    """A job that notes which app's loop ran it."""
    RAN.append((label, type(asyncio.get_running_loop()).__name__))


async def _start(settings: Settings) -> tuple[web.AppRunner, web.Application]:
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    return runner, app


async def test_a_scheduled_job_runs_on_the_event_loop(settings: Settings) -> None:
    """A booking reminder scheduled for a moment from now runs as a coroutine of the server."""
    RAN.clear()
    runner, app = await _start(settings.model_copy(update={"scheduler_enabled": True}))
    try:
        scheduler.add_job(
            app[scheduler.SCHEDULER],
            "test.record",
            "date",
            job_id="reminder-1",
            run_date=utcnow() + timedelta(milliseconds=300),
            kwargs={"label": "reminder"},
        )
        for _ in range(50):
            if RAN:
                break
            await asyncio.sleep(0.1)
        assert RAN and RAN[0][0] == "reminder"
    finally:
        await runner.cleanup()


async def test_jobs_are_persisted_across_a_restart(settings: Settings) -> None:
    """A job scheduled before a restart is still there afterwards (persistent job store)."""
    enabled = settings.model_copy(update={"scheduler_enabled": True})
    runner, app = await _start(enabled)
    try:
        scheduler.add_job(
            app[scheduler.SCHEDULER],
            "test.record",
            "date",
            job_id="later-1",
            run_date=utcnow() + timedelta(days=3),
            kwargs={"label": "later"},
        )
    finally:
        await runner.cleanup()
    runner, app = await _start(enabled)
    try:
        job = app[scheduler.SCHEDULER].get_job("later-1")
        assert job is not None and job.kwargs == {"label": "later"}
    finally:
        await runner.cleanup()


def test_the_job_store_uses_a_synchronous_driver_for_the_same_database() -> None:
    """The job store talks to the same database as the app, through a blocking-safe driver."""
    assert scheduler.sync_url("sqlite+aiosqlite:///var/x.db") == "sqlite:///var/x.db"
    assert scheduler.sync_url("postgresql+asyncpg://u:p@h/db") == "postgresql+psycopg://u:p@h/db"


def test_each_area_registers_its_jobs_once_however_many_apps_start(settings: Settings) -> None:
    """Building the app repeatedly (tests, restarts) never schedules an area's jobs twice."""
    create_app(settings)
    before = list(scheduler.SETUP_HOOKS)
    create_app(settings)
    create_app(settings)
    assert scheduler.SETUP_HOOKS == before
    names = [(h.__module__, h.__qualname__) for h in scheduler.SETUP_HOOKS]
    assert len(names) == len(set(names))
