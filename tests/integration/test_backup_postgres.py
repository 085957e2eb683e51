"""The PostgreSQL backup documented in docs/OPERATIONS.md: ``pg_dump --format=custom`` of a
live database, ``pg_restore`` into a new one, and the server's data is all there."""

from __future__ import annotations

import subprocess
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from server.auth import create_player_session
from server.demo import seed
from server.settings import Settings
from server.storage.db import Database
from server.storage.migrate import schema_is_current, upgrade_async
from server.storage.types import utcnow
from tests.postgres import _pg_bin, create_database

TABLES = ("organisation", "staff_account", "player_session", "ethics_log_entry")


async def _counts(url: str) -> dict[str, int]:
    db = Database(url)
    try:
        async with db.engine.connect() as con:
            return {
                t: int((await con.execute(sa.text(f"SELECT count(*) FROM {t}"))).scalar_one())
                for t in TABLES
            }
    finally:
        await db.dispose()


def _libpq(url: str) -> list[str]:
    parsed = make_url(url)
    return ["-h", str(parsed.host), "-p", str(parsed.port), "-U", str(parsed.username)]


async def test_pg_dump_and_pg_restore_keep_every_row(
    postgres_base_url: str, tmp_path: Path
) -> None:
    """A dump of a seeded PostgreSQL database restores into a new one with the same rows."""
    url = create_database(postgres_base_url, "backup_source")
    await upgrade_async(url)
    settings = Settings(dev_mode=True, database_url=url, ethics_key_dir=tmp_path / "keys")
    db = Database(url)
    try:
        await seed(settings, db, utcnow())
        await create_player_session(db, utcnow())
    finally:
        await db.dispose()
    before = await _counts(url)
    assert all(before.values()), before

    dump = tmp_path / "crossroads.dump"
    pg_dump, pg_restore = _pg_bin("pg_dump"), _pg_bin("pg_restore")
    assert pg_dump and pg_restore
    subprocess.run(
        [pg_dump, *_libpq(url), "--format=custom", f"--file={dump}", "backup_source"],
        check=True,
        capture_output=True,
    )
    target = create_database(postgres_base_url, "backup_target")
    subprocess.run(
        [pg_restore, *_libpq(url), "--no-owner", "--dbname=backup_target", str(dump)],
        check=True,
        capture_output=True,
    )
    assert await _counts(target) == before
    assert schema_is_current(target)
