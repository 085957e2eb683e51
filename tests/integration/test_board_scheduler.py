"""The hourly checkpoint job: registered with the scheduler and signing when the log grew."""

from __future__ import annotations

import asyncio

from aiohttp import web

from server import scheduler
from server.app import DB, create_app
from server.board import CHECKPOINT_JOB, service, sign_checkpoint_job
from server.settings import Settings


async def test_checkpoint_job_is_scheduled_and_signs(seeded_settings: Settings) -> None:
    """With the scheduler on, the job exists; running it signs only when there is news."""
    app = create_app(seeded_settings.model_copy(update={"scheduler_enabled": True}))
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        jobs = await asyncio.to_thread(app[scheduler.SCHEDULER].get_jobs)
        assert CHECKPOINT_JOB in {job.id for job in jobs}
        assert scheduler.JOBS[CHECKPOINT_JOB] is sign_checkpoint_job
        await sign_checkpoint_job(app)
        async with app[DB].session() as session:
            first = await service.latest_checkpoint(session)
            size = await service.log_size(session)
        assert first is not None and first.size == size
        await sign_checkpoint_job(app)  # nothing new: no second checkpoint at the same size
        async with app[DB].session() as session:
            again = await service.latest_checkpoint(session)
        assert again is not None and again.id == first.id
    finally:
        await runner.cleanup()
