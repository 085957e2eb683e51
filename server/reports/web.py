"""``GET /reports``: the evaluation report for supervisors, board members and counsellors.

Supervisors, board members (reviewers) and administrators see every counsellor's figures;
a counsellor sees only their own (the query itself is limited, not just the page). Each
measure is an SVG chart drawn here with a table beside it for screen readers.
``GET /reports/api`` returns the same figures as the export document (JSON).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp import web

from handoff.reports.exchange import to_document
from handoff.reports.measures import Report
from server.reports.charts import chart_svg, data_uri
from server.reports.present import MEASURES, WITHHELD_MEANING, fmt, kind_label, label
from server.reports.queries import load_report
from server.web.common import JSONError, api_staff, db_of, page_staff, render

#: Who may read reports at all, and who sees everyone's figures.
READERS = ("supervisor", "reviewer", "admin", "counsellor")
ALL_FIGURES = ("supervisor", "reviewer", "admin")
DEFAULT_DAYS = 28
MAX_DAYS = 366 * 2
#: The days a report may name: the ends of the calendar would overflow the day arithmetic of
#: the queries (a 500), and no figures exist there anyway.
EARLIEST, LATEST = date(1970, 1, 1), date(9998, 12, 31)


class RangeError(ValueError):
    """The reader asked for a date range that cannot be reported (their input's fault)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _range(request: web.Request) -> tuple[date, date]:
    """``from``/``to`` query parameters (YYYY-MM-DD), or the last four weeks."""
    try:
        end = date.fromisoformat(request.query["to"]) if request.query.get("to") else None
        start = date.fromisoformat(request.query["from"]) if request.query.get("from") else None
    except ValueError:
        raise RangeError("invalid_date", "From and to must be dates (YYYY-MM-DD).") from None
    if any(d is not None and not EARLIEST <= d <= LATEST for d in (start, end)):
        raise RangeError("invalid_date", f"From and to must lie between {EARLIEST} and {LATEST}.")
    end = end or datetime.now(UTC).date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise RangeError("invalid_range", "The end of the range is before its start.")
    if (end - start).days > MAX_DAYS:
        raise RangeError("range_too_long", f"A report covers at most {MAX_DAYS} days.")
    return start, end


async def _report(request: web.Request, account: Any) -> Report:
    start, end = _range(request)
    own = None if account.has_role(*ALL_FIGURES) else int(account.id)
    return await load_report(db_of(request), start=start, end=end, counsellor_id=own)


def _tables(report: Report) -> list[dict[str, Any]]:
    out = []
    for key, fig in report.figures.items():
        rows = [
            {
                "label": kind_label(name),
                "cells": [fmt(fig.unit, v) for v in fig.values[r]],
            }
            for r, name in enumerate([*fig.rows, "all"])
        ]
        out.append(
            {
                "key": key,
                "label": label(key),
                "definition": MEASURES.get(key, ("", ""))[1],
                "rows": rows,
                "chart": data_uri(chart_svg(fig, report.weeks)),
            }
        )
    return out


async def reports_page(request: web.Request) -> web.Response:
    """The report page."""
    account = await page_staff(request, *READERS)
    try:
        report = await _report(request, account)
    except RangeError as exc:
        return await render(
            request, "reports.html", {"error": exc.message, "query": request.query}, status=400
        )
    return await render(
        request,
        "reports.html",
        {
            "report": report,
            "measures": _tables(report),
            "own_only": report.scope == "own",
            "withheld": WITHHELD_MEANING,
            "query": request.query,
        },
    )


async def reports_api(request: web.Request) -> web.Response:
    """The figures as the versioned export document (the reader's scope)."""
    account = await api_staff(request, *READERS)
    try:
        report = await _report(request, account)
    except RangeError as exc:
        raise JSONError(400, exc.code, exc.message) from None
    doc = to_document(report, "own figures" if report.scope == "own" else "all figures")
    return web.json_response(doc)


def setup_routes(app: web.Application) -> None:
    """Register the report routes."""
    app.router.add_get("/reports", reports_page, name="web_reports")
    app.router.add_get("/reports/api", reports_api)
