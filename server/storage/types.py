"""Column types shared by every table: timezone-aware UTC timestamps and JSON.

SQLite has no timezone-aware timestamp, so times are stored as naive UTC and handed back
aware; PostgreSQL gets ``timestamptz``. Code never sees a naive datetime from the database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp column that only accepts and returns aware UTC datetimes."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    """A ``sa_column`` for an aware UTC timestamp."""
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)


def json_column(*, nullable: bool = False) -> Any:
    """A ``sa_column`` holding JSON (``JSON`` on SQLite, ``JSON`` on PostgreSQL)."""
    return sa.Column(sa.JSON(), nullable=nullable)


def utcnow() -> datetime:
    """The current time, aware UTC. Only shells call this; cores take ``now`` as an argument."""
    return datetime.now(UTC)
