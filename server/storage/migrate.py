"""Apply Alembic migrations programmatically (``crossroads db upgrade``).

Alembic's async ``env.py`` runs its own event loop, so callers already inside a loop use
:func:`upgrade_async`, which runs the migration in a worker thread.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (blocking; for the CLI and thread pools)."""
    from server.storage.db import ensure_sqlite_directory

    ensure_sqlite_directory(database_url)
    command.upgrade(alembic_config(database_url), revision)


def current_heads(database_url: str) -> list[str]:
    """The revision ids the migration scripts end in."""
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    """:func:`upgrade` without blocking the running event loop."""
    await asyncio.to_thread(upgrade, database_url, revision)


def schema_is_current(database_url: str) -> bool:
    """True when the database's Alembic revision is the scripts' head."""
    import sqlalchemy as sa

    from server.scheduler import sync_url

    heads = set(current_heads(database_url))
    engine = sa.create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return False
            rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
            return set(rows) == heads
    finally:
        engine.dispose()
