"""Report benchmark: the evaluation report over 100,000 conversations; prints figures.

A fresh SQLite database (migrated by ``crossroads db upgrade``'s code) gets 100,000 finished
requests spread over 26 weeks and one to two offers each, written straight into the report
tables (this measures the report, not the handoff). Then, in the same run:

- ``COUNT(*)`` over ``report_request`` (the floor: one pass over the table),
- ``load_report`` for the whole range (read every row week by week, build every figure,
  suppress every table), as ``/reports`` and ``crossroads report`` do.

Goal: the report under 2 s. The ratio to ``COUNT(*)`` is printed so runs on different
machines compare. Run: ``.venv/bin/python bench/bench_reports.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handoff.model import KINDS  # noqa: E402
from server.reports.models import ReportOffer, ReportRequest  # noqa: E402
from server.reports.queries import load_report  # noqa: E402
from server.storage.db import Database  # noqa: E402
from server.storage.migrate import upgrade  # noqa: E402

WEEKS = 26
START = date(2026, 6, 1)
GOAL_SECONDS = 2.0


def _rows(n: int, rng: random.Random) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    requests, offers = [], []
    span = WEEKS * 7 * 86400
    base = datetime.combine(START, datetime.min.time(), tzinfo=UTC)
    for i in range(n):
        at = base + timedelta(seconds=rng.randrange(span))
        kind = rng.choice(KINDS)
        matched = rng.random() < 0.9
        agreed = rng.random() < 0.5
        requests.append(
            {
                "request_id": f"r{i:031d}",
                "organisation": "home",
                "created_at": at,
                "wanted_kind": rng.choice((*KINDS, None)),
                "counsellor_id": rng.randint(1, 40) if matched else None,
                "kind": kind if matched else None,
                "conversation_id": f"c{i:031d}" if matched else None,
                "matched": matched,
                "left_waiting": not matched,
                "first_reply_seconds": rng.uniform(10, 900) if matched else None,
                "messages": rng.randint(1, 40),
                "counsellor_messages": rng.randint(1, 20),
                "answered": rng.randint(0, 10),
                "minutes": rng.uniform(1, 90) if matched else None,
                "completed": matched and rng.random() < 0.7,
                "objective": None,
                "objective_agreed": agreed,
                "objective_met": agreed and rng.random() < 0.6,
                "helped": rng.choice((True, False, None)),
            }
        )
        for j in range(rng.randint(1, 2)):
            offers.append(
                {
                    "offer_id": f"o{i:030d}{j}",
                    "request_id": f"r{i:031d}",
                    "counsellor_id": rng.randint(1, 40),
                    "kind": rng.choice(KINDS),
                    "at": at,
                    "result": rng.choice(("accepted", "declined", "expired")),
                }
            )
    return requests, offers


async def _bench(url: str, n: int) -> None:
    db = Database(url)
    try:
        requests, offers = _rows(n, random.Random(15))
        async with db.engine.begin() as conn:
            for i in range(0, len(requests), 5000):
                await conn.execute(ReportRequest.__table__.insert(), requests[i : i + 5000])  # type: ignore[attr-defined]
            for i in range(0, len(offers), 5000):
                await conn.execute(ReportOffer.__table__.insert(), offers[i : i + 5000])  # type: ignore[attr-defined]
        end = START + timedelta(days=WEEKS * 7 - 1)
        count_times, report_times = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            async with db.engine.connect() as conn:
                total = (
                    await conn.execute(sa.text("SELECT COUNT(*) FROM report_request"))
                ).scalar()
            count_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            report = await load_report(db, start=START, end=end)
            report_times.append(time.perf_counter() - t0)
        count_s, report_s = min(count_times), min(report_times)
        shown = report.figures["conversations"].at(None, None)
        print(f"rows: {total} requests, {len(offers)} offers, {WEEKS} weeks x {len(KINDS)} kinds")
        print(f"COUNT(*) over report_request:   {count_s * 1000:8.1f} ms (best of 3)")
        print(f"report over the whole range:    {report_s * 1000:8.1f} ms (best of 3)")
        print(f"ratio report / COUNT(*):        {report_s / count_s:8.1f}x")
        verdict = "met" if report_s < GOAL_SECONDS else "NOT met"
        print(f"goal < {GOAL_SECONDS:.0f} s: {verdict}  (conversations shown: {shown:.0f})")
    finally:
        await db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="requests (default 100,000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url, "head")
        asyncio.run(_bench(url, args.rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
