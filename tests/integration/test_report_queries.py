"""The store's report aggregation agrees with the core's definition, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from handoff.model import KINDS
from handoff.reports.measures import OfferRow, RequestRow, build_report
from server.reports.models import ReportOffer, ReportRequest
from server.reports.queries import load_report
from server.storage.db import Database

START = date(2026, 11, 2)


def _rows(rng: random.Random) -> tuple[list[dict], list[dict]]:
    requests, offers = [], []
    base = datetime(2026, 11, 2, tzinfo=UTC)
    for i in range(600):
        at = base + timedelta(seconds=rng.randrange(21 * 86400))
        matched = rng.random() < 0.85
        agreed = rng.random() < 0.5
        requests.append(
            {
                "request_id": f"r{i}",
                "organisation": "home",
                "created_at": at,
                "wanted_kind": rng.choice((*KINDS, None)),
                "counsellor_id": rng.randint(1, 3) if matched else None,
                "kind": rng.choice(KINDS) if matched else None,
                "conversation_id": f"c{i}" if matched else None,
                "matched": matched,
                "left_waiting": not matched,
                "first_reply_seconds": rng.choice((None, rng.uniform(0, 400), 15.0, 25.0)),
                "messages": rng.randint(0, 30),
                "counsellor_messages": rng.randint(0, 15),
                "answered": rng.randint(0, 8),
                "minutes": rng.choice((None, rng.uniform(1, 60))),
                "completed": rng.random() < 0.7,
                "objective": None,
                "objective_agreed": agreed,
                "objective_met": rng.random() < 0.5,
                "helped": rng.choice((True, False, None)),
            }
        )
        offers.append(
            {
                "offer_id": f"o{i}",
                "request_id": f"r{i}",
                "counsellor_id": rng.randint(1, 3),
                "kind": rng.choice(KINDS),
                "at": at,
                "result": rng.choice(("accepted", "declined", "expired", None)),
            }
        )
    return requests, offers


def _as_rows(requests: list[dict], offers: list[dict], who: int | None):
    keep = [r for r in requests if who is None or r["counsellor_id"] == who]
    fields = RequestRow.__dataclass_fields__
    rows = [RequestRow(**{k: v for k, v in r.items() if k in fields}) for r in keep]
    offer_rows = [
        OfferRow(o["at"], o["counsellor_id"], o["kind"], o["result"] or "open")
        for o in offers
        if who is None or o["counsellor_id"] == who
    ]
    return offer_rows, rows


async def test_store_aggregation_matches_the_core(any_database_url: str) -> None:
    """Every figure the store's GROUP BY gives equals the core's own aggregation of the same rows,
    for everyone and for one counsellor's own view."""
    db = Database(any_database_url)
    try:
        requests, offers = _rows(random.Random(7))
        async with db.engine.begin() as conn:
            await conn.execute(ReportRequest.__table__.insert(), requests)  # type: ignore[attr-defined]
            await conn.execute(ReportOffer.__table__.insert(), offers)  # type: ignore[attr-defined]
        end = START + timedelta(days=20)
        for who in (None, 2):
            got = await load_report(db, start=START, end=end, counsellor_id=who)
            o, r = _as_rows(requests, offers, who)
            want = build_report(o, r, start=START, end=end)
            for key, fig in want.figures.items():
                mine = got.figures[key].values
                for a_row, b_row in zip(mine, fig.values, strict=True):
                    for a, b in zip(a_row, b_row, strict=True):
                        assert (a is None) == (b is None), key
                        assert a is None or abs(a - b) < 1e-6, key
            assert any(v is not None for v in got.figures["wait_p90_seconds"].values[-1])
    finally:
        await db.dispose()
