"""``GET /admin/audit``: the whole audit log, filtered and paged (admin only).

Filters: action, who (an account), target (contains), a date range (UTC days). Paging is by
row id (``before``: the next older page), so a page never shifts while new rows arrive. Bad
filter values get a clear message on the page, never a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from sqlmodel import col, select

from server.storage.models import StaffAccount
from server.web.common import db_of, page_staff, render
from server.web.models import AuditLog

PAGE_SIZE = 50


class FilterError(ValueError):
    """A filter value the admin typed cannot be used (their fault; shown on the page)."""


def _day(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise FilterError(f"{name} must be a date like 2026-12-04.") from None


def _int(value: str, name: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise FilterError(f"{name} must be a whole number.")
    return int(value)


async def audit_page(request: web.Request) -> web.Response:
    """The filtered, paged audit log."""
    await page_staff(request, "admin")
    q = request.query
    filters = {k: q.get(k, "").strip()[:200] for k in ("action", "who", "target", "since", "until")}
    error = ""
    rows: list[tuple[AuditLog, str]] = []
    older: str | None = None
    async with db_of(request).session() as session:
        accounts = (await session.exec(select(StaffAccount).order_by(StaffAccount.username))).all()
        names = {a.id: a.username for a in accounts}
        actions = sorted(set((await session.exec(select(AuditLog.action).distinct())).all()))
        try:
            before = _int(q.get("before", ""), "The page")
            since = _day(filters["since"], "From")
            until = _day(filters["until"], "Until")
            who = _int(filters["who"], "Who")
            statement = select(AuditLog).order_by(col(AuditLog.id).desc()).limit(PAGE_SIZE + 1)
            if filters["action"]:
                statement = statement.where(AuditLog.action == filters["action"])
            if who is not None:
                statement = statement.where(AuditLog.staff_id == who)
            if filters["target"]:
                statement = statement.where(col(AuditLog.target).contains(filters["target"]))
            if since is not None:
                statement = statement.where(col(AuditLog.at) >= since)
            if until is not None:
                statement = statement.where(col(AuditLog.at) < until + timedelta(days=1))
            if before is not None:
                statement = statement.where(col(AuditLog.id) < before)
            found = list((await session.exec(statement)).all())
        except FilterError as exc:
            error, found = str(exc), []
    if len(found) > PAGE_SIZE:
        found = found[:PAGE_SIZE]
        last = found[-1].id
        older = "?" + urlencode({**{k: v for k, v in filters.items() if v}, "before": last})
    rows = [(a, names.get(a.staff_id, "—") if a.staff_id is not None else "—") for a in found]
    context: dict[str, Any] = {
        "rows": rows,
        "filters": filters,
        "actions": actions,
        "accounts": accounts,
        "older": older,
        "first_page": "?" + urlencode({k: v for k, v in filters.items() if v}),
        "paged": bool(q.get("before")),
        "error": error,
    }
    return await render(request, "admin_audit.html", context, status=400 if error else 200)


def setup_routes(app: web.Application) -> None:
    """Register the audit log page."""
    app.router.add_get("/admin/audit", audit_page, name="web_admin_audit")
