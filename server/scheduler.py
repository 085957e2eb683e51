"""Calendar work (service hours, bookings, reminders, retention purges, checkpoint signing).

APScheduler 3 runs in its own thread (``BackgroundScheduler``) with a persistent SQLAlchemy
job store in the same database, so scheduled jobs survive restarts and the job store's
synchronous SQL never blocks the event loop. A job is a registered coroutine; the scheduler
thread only hands it to the app's loop. Sub-second timers are not here: the handoff core
drives those from a tick with ``now``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from aiohttp import web
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import make_url

log = logging.getLogger("crossroads.scheduler")

JobFunction = Callable[..., Coroutine[Any, Any, Any]]

#: Registered job coroutines by name; a job names one of these and carries JSON-able kwargs.
JOBS: dict[str, JobFunction] = {}
#: Running apps by id, so a persisted job can find the app it belongs to after a restart.
_APPS: dict[str, tuple[web.Application, asyncio.AbstractEventLoop]] = {}

SCHEDULER: web.AppKey[BackgroundScheduler] = web.AppKey("crossroads_scheduler", BackgroundScheduler)
_APP_ID: web.AppKey[str] = web.AppKey("crossroads_scheduler_app_id", str)
#: Told of every run of a job on this app: (job name, succeeded) (the metrics count them).
JOB_DONE: web.AppKey[Callable[[str, bool], None]] = web.AppKey("crossroads_job_done")

#: Functions other areas register to add their recurring jobs: ``hook(scheduler, app)``.
SETUP_HOOKS: list[Callable[[BackgroundScheduler, web.Application], None]] = []


def on_start(hook: Callable[[BackgroundScheduler, web.Application], None]) -> None:
    """Run ``hook(scheduler, app)`` whenever an app's scheduler starts.

    Registering the same hook again (every ``create_app`` does) changes nothing.
    """
    key = (hook.__module__, hook.__qualname__)
    if all((h.__module__, h.__qualname__) != key for h in SETUP_HOOKS):
        SETUP_HOOKS.append(hook)


def job(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register ``async def fn(app, **kwargs)`` as the job called ``name``."""

    def register(fn: JobFunction) -> JobFunction:
        JOBS[name] = fn
        return fn

    return register


def sync_url(database_url: str) -> str:
    """The synchronous driver URL of the same database, for APScheduler's job store."""
    url = make_url(database_url)
    driver = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}[url.get_backend_name()]
    return url.set(drivername=driver).render_as_string(hide_password=False)


def dispatch(name: str, **kwargs: Any) -> None:
    """The persisted job target: run job ``name`` on every live app's event loop."""
    fn = JOBS.get(name)
    if fn is None:
        log.error("scheduled job %r is not registered; skipped", name)
        return
    for app, loop in list(_APPS.values()):
        future: concurrent.futures.Future[Any] = asyncio.run_coroutine_threadsafe(
            fn(app, **kwargs), loop
        )
        ok = False
        try:
            future.result(timeout=300)
            ok = True
        except Exception:
            log.exception("scheduled job %r failed", name)
        if JOB_DONE in app:
            app[JOB_DONE](name, ok)


def add_job(
    scheduler: BackgroundScheduler, name: str, trigger: str, *, job_id: str, **trigger_args: Any
) -> None:
    """Add or replace a persisted job that runs the registered coroutine ``name``."""
    kwargs = trigger_args.pop("kwargs", {})
    scheduler.add_job(
        dispatch,
        trigger,
        args=[name],
        kwargs=kwargs,
        id=job_id,
        name=name,
        replace_existing=True,
        coalesce=True,
        misfire_grace_time=300,
        **trigger_args,
    )


async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    """Start the scheduler with the app and stop it (without waiting for jobs) on cleanup."""
    from server.app import SETTINGS

    settings = app[SETTINGS]
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=sync_url(settings.database_url))},
        executors={"default": ThreadPoolExecutor(4)},
        timezone="UTC",
    )
    app_id = uuid.uuid4().hex
    app[SCHEDULER] = scheduler
    app[_APP_ID] = app_id
    _APPS[app_id] = (app, asyncio.get_running_loop())
    await asyncio.to_thread(scheduler.start)
    for hook in SETUP_HOOKS:
        await asyncio.to_thread(hook, scheduler, app)
    try:
        yield
    finally:
        _APPS.pop(app_id, None)
        await asyncio.to_thread(scheduler.shutdown, False)
