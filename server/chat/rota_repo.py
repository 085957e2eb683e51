"""Rota repository: keyword-only functions on a session; validation errors are the operator's.

``load_rota`` turns the rows into the pure ``server.rota.Rota`` (active counsellors only);
the add functions validate days and ``HH:MM`` ranges and raise ``RotaInputError``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.chat.rota_models import EXCEPTION_KINDS, RotaExceptionRow, RotaShift
from server.rota import DAY_MINUTES, Rota, RotaException, WeeklyShift, parse_range
from server.service_hours import InvalidServiceHours
from server.storage.models import WEEKDAYS, StaffAccount


class RotaInputError(InvalidServiceHours):
    """A day, time or counsellor that cannot go on the rota (the operator's fault)."""


def _counsellor_capacity(accounts: list[StaffAccount]) -> dict[int, int]:
    return {
        a.id: a.capacity
        for a in accounts
        if a.id is not None and a.active and "counsellor" in a.roles
    }


def _window(start: str, end: str) -> tuple[int, int]:
    return parse_range(start, end) if start else (0, DAY_MINUTES)


async def load_rota(session: AsyncSession) -> Rota:
    """The whole rota, ready for the pure functions."""
    shifts = (await session.exec(select(RotaShift))).all()
    exceptions = (await session.exec(select(RotaExceptionRow))).all()
    accounts = list((await session.exec(select(StaffAccount))).all())
    weekly = [
        WeeklyShift(s.staff_id, s.weekday, *parse_range(s.start, s.end))
        for s in shifts
        if s.weekday in WEEKDAYS
    ]
    one_off = [
        RotaException(e.staff_id, e.on_date, e.kind, *_window(e.start, e.end))
        for e in exceptions
        if e.kind in EXCEPTION_KINDS
    ]
    return Rota.build(weekly, one_off, _counsellor_capacity(accounts))


async def _counsellor(session: AsyncSession, username: str) -> StaffAccount:
    account = (
        await session.exec(select(StaffAccount).where(StaffAccount.username == username))
    ).first()
    if account is None or account.id is None:
        raise RotaInputError(f"there is no staff account {username!r}")
    if "counsellor" not in account.roles:
        raise RotaInputError(f"{username!r} is not a counsellor")
    return account


async def add_shift(
    session: AsyncSession, *, username: str, weekday: str, start: str, end: str, now: datetime
) -> RotaShift:
    """Add a weekly shift for the counsellor ``username`` (not committed)."""
    weekday = weekday.strip().lower()[:3]
    if weekday not in WEEKDAYS:
        raise RotaInputError(f"{weekday!r} is not one of {', '.join(WEEKDAYS)}")
    parse_range(start, end)
    account = await _counsellor(session, username)
    assert account.id is not None
    row = RotaShift(staff_id=account.id, weekday=weekday, start=start, end=end, created_at=now)
    session.add(row)
    await session.flush()
    return row


async def add_exception(
    session: AsyncSession,
    *,
    username: str,
    on: date,
    kind: str,
    start: str = "",
    end: str = "",
    note: str = "",
    now: datetime,
) -> RotaExceptionRow:
    """Add a one-off ``add`` (needs a window) or ``cancel`` (blank window = whole day)."""
    if kind not in EXCEPTION_KINDS:
        raise RotaInputError("an exception either adds a shift or cancels one")
    if start or end or kind == "add":
        parse_range(start, end)
    account = await _counsellor(session, username)
    assert account.id is not None
    row = RotaExceptionRow(
        staff_id=account.id,
        on_date=on,
        kind=kind,
        start=start,
        end=end,
        note=note[:200],
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def remove_shift(session: AsyncSession, *, shift_id: int) -> RotaShift | None:
    """Delete a weekly shift; returns it, or None if there was none (not committed)."""
    row = await session.get(RotaShift, shift_id)
    if row is not None:
        await session.delete(row)
    return row


async def remove_exception(session: AsyncSession, *, exception_id: int) -> RotaExceptionRow | None:
    """Delete an exception; returns it, or None if there was none (not committed)."""
    row = await session.get(RotaExceptionRow, exception_id)
    if row is not None:
        await session.delete(row)
    return row


async def list_rota(
    session: AsyncSession, *, since: date | None = None
) -> tuple[list[tuple[RotaShift, str]], list[tuple[RotaExceptionRow, str]]]:
    """Shifts and exceptions (from ``since``) with each counsellor's username, for pages/CLI."""
    names = {a.id: a.username for a in (await session.exec(select(StaffAccount))).all()}
    order = {day: i for i, day in enumerate(WEEKDAYS)}
    shifts = sorted(
        (await session.exec(select(RotaShift))).all(),
        key=lambda s: (names.get(s.staff_id, ""), order.get(s.weekday, 9), s.start),
    )
    query = select(RotaExceptionRow).order_by(col(RotaExceptionRow.on_date))
    if since is not None:
        query = query.where(col(RotaExceptionRow.on_date) >= since)
    exceptions = (await session.exec(query)).all()
    return (
        [(s, names.get(s.staff_id, "?")) for s in shifts],
        [(e, names.get(e.staff_id, "?")) for e in exceptions],
    )
