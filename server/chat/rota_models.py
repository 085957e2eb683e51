"""Rota tables: counsellors' weekly recurring shifts and one-off exceptions (migration 0005).

Times are wall-clock ``HH:MM`` in the organisation's timezone (like the service hours), so a
shift keeps its local time across DST changes; ``server.rota`` turns rows into answers.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.storage.types import utc_column

EXCEPTION_KINDS = ("add", "cancel")


class RotaShiftBase(SQLModel):
    """A weekly shift as entered on the rota page or the CLI."""

    staff_id: int = Field(foreign_key="staff_account.id", index=True)
    weekday: str = Field(max_length=3)
    start: str = Field(max_length=5)
    end: str = Field(max_length=5)


class RotaShift(RotaShiftBase, table=True):
    """One counsellor's recurring shift on one weekday."""

    __tablename__ = "rota_shift"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_column=utc_column())


class RotaExceptionBase(SQLModel):
    """A one-off change: ``add`` a shift on a date, or ``cancel`` a window (blank = whole day)."""

    staff_id: int = Field(foreign_key="staff_account.id", index=True)
    on_date: date = Field(sa_column=sa.Column(sa.Date(), nullable=False, index=True))
    kind: str = Field(max_length=8)
    start: str = Field(default="", max_length=5)
    end: str = Field(default="", max_length=5)
    note: str = Field(default="", max_length=200)


class RotaExceptionRow(RotaExceptionBase, table=True):
    """One counsellor's exception on one local date."""

    __tablename__ = "rota_exception"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_column=utc_column())
