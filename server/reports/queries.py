"""Read report rows from the store and hand them to the sans-IO core.

Rows are read one ISO week at a time, so a long range reports its progress and never holds
more than the rows themselves; ``counsellor_id`` limits the rows to one counsellor's own
conversations and offers (the counsellor's view).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from handoff.reports.measures import OfferRow, Report, RequestRow, build_report
from server.reports.models import ReportOffer, ReportRequest
from server.storage.db import Database

OFFER = ReportOffer.__table__  # type: ignore[attr-defined]
REPORT = ReportRequest.__table__  # type: ignore[attr-defined]

Progress = Callable[[int, int], None]

_REQUEST_COLUMNS = (
    "created_at",
    "wanted_kind",
    "counsellor_id",
    "kind",
    "matched",
    "left_waiting",
    "first_reply_seconds",
    "messages",
    "counsellor_messages",
    "answered",
    "minutes",
    "completed",
    "objective_agreed",
    "objective_met",
    "helped",
)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


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
    offers: list[OfferRow] = []
    requests: list[RequestRow] = []
    cols = [REPORT.c[name] for name in _REQUEST_COLUMNS]
    chunks = []
    day = start
    while day <= end:
        chunk_end = min(end, day + timedelta(days=6 - day.weekday()))
        chunks.append((day, chunk_end))
        day = chunk_end + timedelta(days=1)
    async with db.engine.connect() as conn:
        for done, (lo, hi) in enumerate(chunks, start=1):
            a, b = _midnight(lo), _midnight(hi + timedelta(days=1))
            q = sa.select(*cols).where(REPORT.c.created_at >= a).where(REPORT.c.created_at < b)
            o = (
                sa.select(OFFER.c.at, OFFER.c.counsellor_id, OFFER.c.kind, OFFER.c.result)
                .where(OFFER.c.at >= a)
                .where(OFFER.c.at < b)
            )
            if counsellor_id is not None:
                q = q.where(REPORT.c.counsellor_id == counsellor_id)
                o = o.where(OFFER.c.counsellor_id == counsellor_id)
            for r in await conn.execute(q):
                requests.append(RequestRow(*r))
            for r in await conn.execute(o):
                offers.append(OfferRow(r.at, r.counsellor_id, r.kind, r.result or "open"))
            if progress is not None:
                progress(done, len(chunks))
    scope = "all" if counsellor_id is None else "own"
    return build_report(offers, requests, start=start, end=end, scope=scope)
