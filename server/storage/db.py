"""The database handle: one async engine per process and a session factory.

SQLite (the default) is put in WAL mode with foreign keys on and a busy timeout, so readers
never block the chat writer; PostgreSQL is used as configured. No call here blocks the loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


def sqlite_pragmas(synchronous: str) -> list[str]:
    """The pragmas every SQLite connection of ours runs (WAL, durability, foreign keys)."""
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
    return [
        "PRAGMA journal_mode=WAL",
        f"PRAGMA synchronous={synchronous}",
        "PRAGMA foreign_keys=ON",
        "PRAGMA busy_timeout=5000",
    ]


def ensure_sqlite_directory(url: str) -> None:
    """Create the folder that will hold a SQLite file, so a fresh checkout just works."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


class Database:
    """Owns the engine; ``async with db.session() as s`` gives a unit of work."""

    def __init__(self, url: str, *, echo: bool = False, sqlite_synchronous: str = "FULL") -> None:
        ensure_sqlite_directory(url)
        self.url = url
        self.sqlite_synchronous = sqlite_synchronous
        self.dialect = make_url(url).get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "postgresql":
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.dialect == "sqlite":
            pragmas = sqlite_pragmas(sqlite_synchronous)

            def on_connect(dbapi_connection: Any, _record: Any) -> None:
                cursor = dbapi_connection.cursor()
                for pragma in pragmas:
                    cursor.execute(pragma)
                cursor.close()

            event.listen(self.engine.sync_engine, "connect", on_connect)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session that rolls back on error and is always closed."""
        async with self._sessions() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - health checks report, they never raise
            return False
        return True

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
