"""Aggregate report rows in the database and hand the cells to the sans-IO core.

The store does the summing (one ``GROUP BY`` per population and ISO week), so a report over a
long range moves a few hundred small rows, not every conversation; the sums are exactly
those :func:`handoff.reports.measures.aggregate` defines (a contract test holds the two
together). Weeks are read one at a time, so a long range can report its progress.
``counsellor_id`` limits everything to one counsellor's own offers and conversations.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from handoff.reports.measures import (
    NO_KIND,
    WAIT_BIN_SECONDS,
    ConversationCell,
    OfferCell,
    Report,
    ReportCells,
    RequestCell,
    build_report,
    iso_week,
)
from server.reports.models import ReportOffer, ReportRequest
from server.storage.db import Database

OFFER = ReportOffer.__table__  # type: ignore[attr-defined]
REPORT = ReportRequest.__table__  # type: ignore[attr-defined]

Progress = Callable[[int, int], None]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _count(cond: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def _weeks(start: date, end: date) -> list[tuple[date, date]]:
    """The range cut at ISO week boundaries (Monday to Sunday)."""
    chunks = []
    day = start
    while day <= end:
        chunk_end = min(end, day + timedelta(days=6 - day.weekday()))
        chunks.append((day, chunk_end))
        day = chunk_end + timedelta(days=1)
    return chunks


async def _week_cells(
    conn: AsyncConnection, cells: ReportCells, lo: date, hi: date, counsellor_id: int | None
) -> None:
    a, b = _midnight(lo), _midnight(hi + timedelta(days=1))
    week = iso_week(lo)
    o, r = OFFER.c, REPORT.c
    offer_q = (
        sa.select(
            o.kind, sa.func.count(), _count(o.result == "accepted"), _count(o.result == "declined")
        )
        .where(o.at >= a, o.at < b)
        .group_by(o.kind)
    )
    request_q = (
        sa.select(r.wanted_kind, sa.func.count(), _count(r.left_waiting))
        .where(r.created_at >= a, r.created_at < b)
        .group_by(r.wanted_kind)
    )
    delivered = sa.and_(r.created_at >= a, r.created_at < b, r.matched, r.kind.is_not(None))
    conv_q = (
        sa.select(
            r.kind,
            sa.func.count(),
            _count(r.completed),
            _count(r.objective_agreed),
            _count(sa.and_(r.objective_agreed, r.objective_met)),
            _count(r.helped.is_not(None)),
            _count(r.helped.is_(True)),
            sa.func.coalesce(sa.func.sum(r.messages), 0),
            sa.func.coalesce(sa.func.sum(r.minutes), 0.0),
            sa.func.count(r.minutes),
            sa.func.coalesce(sa.func.sum(r.counsellor_messages), 0),
            sa.func.coalesce(sa.func.sum(r.answered), 0),
        )
        .where(delivered)
        .group_by(r.kind)
    )
    halves_up = r.first_reply_seconds / WAIT_BIN_SECONDS + 0.5
    if conn.dialect.name == "sqlite":
        bin_expr: Any = sa.cast(halves_up, sa.Integer)  # truncation = floor for waits >= 0
    else:
        bin_expr = sa.func.floor(halves_up)
    wait_q = (
        sa.select(r.kind, bin_expr.label("bin"), sa.func.count())
        .where(delivered, r.first_reply_seconds.is_not(None))
        .group_by(r.kind, bin_expr)
    )
    if counsellor_id is not None:
        offer_q = offer_q.where(o.counsellor_id == counsellor_id)
        request_q = request_q.where(r.counsellor_id == counsellor_id)
        conv_q = conv_q.where(r.counsellor_id == counsellor_id)
        wait_q = wait_q.where(r.counsellor_id == counsellor_id)
    for kind, n, accepted, declined in await conn.execute(offer_q):
        cells.offers[(kind, week)] = OfferCell(int(n), int(accepted), int(declined))
    for wanted, n, left in await conn.execute(request_q):
        cells.requests[(wanted or NO_KIND, week)] = RequestCell(int(n), int(left))
    for row in await conn.execute(conv_q):
        cells.conversations[(row[0], week)] = ConversationCell(
            n=int(row[1]),
            completed=int(row[2]),
            agreed=int(row[3]),
            met=int(row[4]),
            helped_answered=int(row[5]),
            helped_yes=int(row[6]),
            messages=int(row[7]),
            minutes_sum=float(row[8]),
            minutes_n=int(row[9]),
            counsellor_messages=int(row[10]),
            answered=int(row[11]),
        )
    for kind, bin_, n in await conn.execute(wait_q):
        cell = cells.conversations.setdefault((kind, week), ConversationCell())
        value = float(int(bin_) * WAIT_BIN_SECONDS)
        cell.waits[value] = cell.waits.get(value, 0) + int(n)


async def load_report(
    db: Database,
    *,
    start: date,
    end: date,
    counsellor_id: int | None = None,
    progress: Progress | None = None,
) -> Report:
    """The suppressed report for the days ``start`` to ``end`` (inclusive)."""
    if end < start:
        raise ValueError("--to is before --from")
    cells = ReportCells()
    chunks = _weeks(start, end)
    async with db.engine.connect() as conn:
        for done, (lo, hi) in enumerate(chunks, start=1):
            await _week_cells(conn, cells, lo, hi, counsellor_id)
            if progress is not None:
                progress(done, len(chunks))
    scope = "all" if counsellor_id is None else "own"
    return build_report(start=start, end=end, scope=scope, cells=cells)
