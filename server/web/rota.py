"""The rota page: counsellors' weekly shifts and one-off exceptions, for admins and supervisors.

``GET /admin/rota`` shows the rota, who is rostered now and when the chat opens next; the forms
add and remove shifts and exceptions (CSRF-checked by ``security.csrf_middleware``, audited).
Every change makes the live service re-read the rota at once.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiohttp import web

from server.chat import rota_repo
from server.chat.rota_models import EXCEPTION_KINDS
from server.content_api import get_organisation
from server.rota import next_open, rostered, service_open
from server.service_hours import InvalidServiceHours
from server.storage.models import WEEKDAYS
from server.web import staff_service
from server.web.common import audit_request, db_of, page_staff, render
from server.web.models import utcnow

ROLES = ("admin", "supervisor")

MESSAGES = {
    "shift_added": "The shift was added to the rota.",
    "shift_removed": "The shift was removed from the rota.",
    "exception_added": "The exception was added to the rota.",
    "exception_removed": "The exception was removed from the rota.",
}


async def rota_page(request: web.Request, *, error: str = "", status: int = 200) -> web.Response:
    """``GET /admin/rota``: the rota, who is rostered now and the next opening."""
    await page_staff(request, *ROLES)
    now = utcnow()
    async with db_of(request).session() as session:
        shifts, exceptions = await rota_repo.list_rota(session, since=now.date() - timedelta(1))
        rota = await rota_repo.load_rota(session)
        org = await get_organisation(session)
        staff = await staff_service.list_staff(session)
    tz = org.timezone if org else "UTC"
    hours = dict(org.service_hours) if org else {}
    names = {s.id: s.display_name for s in staff}
    opening = None
    is_open = bool(org) and service_open(hours, tz, rota, now)
    if org is not None and not is_open:
        opening = next_open(hours, tz, rota, now)
    context: dict[str, Any] = {
        "shifts": shifts,
        "exceptions": exceptions,
        "counsellors": [s for s in staff if "counsellor" in s.roles and s.active],
        "rostered_now": [names.get(i, "?") for i in rostered(rota, tz, now)],
        "rota_defined": rota.defined,
        "open_now": is_open,
        "next_opening": opening,
        "timezone": tz,
        "weekdays": WEEKDAYS,
        "today": now.date().isoformat(),
        "error": error,
        "message": MESSAGES.get(request.query.get("msg", ""), ""),
    }
    return await render(request, "rota.html", context, status=status)


def _changed(request: web.Request) -> None:
    from server.gateways.common import HUB

    if HUB in request.app:
        request.app[HUB].service.invalidate()


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise web.HTTPNotFound(text="No such rota entry.") from None


async def shift_add(request: web.Request) -> web.StreamResponse:
    """``POST /admin/rota/shifts``: add a weekly shift."""
    account = await page_staff(request, *ROLES)
    form = await request.post()
    try:
        async with db_of(request).session() as session:
            row = await rota_repo.add_shift(
                session,
                username=str(form.get("username", "")),
                weekday=str(form.get("weekday", "")),
                start=str(form.get("start", "")).strip(),
                end=str(form.get("end", "")).strip(),
                now=utcnow(),
            )
            await audit_request(
                session,
                request,
                staff_id=account.id,
                action="rota_shift_added",
                target=str(form.get("username", "")),
                detail={"weekday": row.weekday, "start": row.start, "end": row.end},
            )
            await session.commit()
    except InvalidServiceHours as exc:
        return await rota_page(request, error=str(exc), status=400)
    _changed(request)
    raise web.HTTPSeeOther("/admin/rota?msg=shift_added")


async def exception_add(request: web.Request) -> web.StreamResponse:
    """``POST /admin/rota/exceptions``: add a one-off extra shift or cancellation."""
    account = await page_staff(request, *ROLES)
    form = await request.post()
    try:
        kind = str(form.get("kind", ""))
        if kind not in EXCEPTION_KINDS:
            raise rota_repo.RotaInputError("Choose whether the exception adds or cancels a shift.")
        try:
            on = date.fromisoformat(str(form.get("on_date", "")))
        except ValueError:
            raise rota_repo.RotaInputError("Give the date like 2026-12-24.") from None
        async with db_of(request).session() as session:
            row = await rota_repo.add_exception(
                session,
                username=str(form.get("username", "")),
                on=on,
                kind=kind,
                start=str(form.get("start", "")).strip(),
                end=str(form.get("end", "")).strip(),
                note=str(form.get("note", "")).strip(),
                now=utcnow(),
            )
            await audit_request(
                session,
                request,
                staff_id=account.id,
                action="rota_exception_added",
                target=str(form.get("username", "")),
                detail={"on": on.isoformat(), "kind": kind, "start": row.start, "end": row.end},
            )
            await session.commit()
    except InvalidServiceHours as exc:
        return await rota_page(request, error=str(exc), status=400)
    _changed(request)
    raise web.HTTPSeeOther("/admin/rota?msg=exception_added")


async def shift_remove(request: web.Request) -> web.StreamResponse:
    """``POST /admin/rota/shifts/{id}/delete``."""
    account = await page_staff(request, *ROLES)
    async with db_of(request).session() as session:
        row = await rota_repo.remove_shift(session, shift_id=_int(request.match_info["id"]))
        if row is None:
            raise web.HTTPNotFound(text="No such shift.")
        await audit_request(
            session,
            request,
            staff_id=account.id,
            action="rota_shift_removed",
            target=str(row.staff_id),
            detail={"weekday": row.weekday, "start": row.start, "end": row.end},
        )
        await session.commit()
    _changed(request)
    raise web.HTTPSeeOther("/admin/rota?msg=shift_removed")


async def exception_remove(request: web.Request) -> web.StreamResponse:
    """``POST /admin/rota/exceptions/{id}/delete``."""
    account = await page_staff(request, *ROLES)
    async with db_of(request).session() as session:
        row = await rota_repo.remove_exception(session, exception_id=_int(request.match_info["id"]))
        if row is None:
            raise web.HTTPNotFound(text="No such exception.")
        await audit_request(
            session,
            request,
            staff_id=account.id,
            action="rota_exception_removed",
            target=str(row.staff_id),
            detail={"on": row.on_date.isoformat(), "kind": row.kind},
        )
        await session.commit()
    _changed(request)
    raise web.HTTPSeeOther("/admin/rota?msg=exception_removed")


def setup_routes(app: web.Application) -> None:
    """Register the rota routes."""
    app.router.add_get("/admin/rota", rota_page, name="web_rota")
    app.router.add_post("/admin/rota/shifts", shift_add)
    app.router.add_post("/admin/rota/shifts/{id}/delete", shift_remove)
    app.router.add_post("/admin/rota/exceptions", exception_add)
    app.router.add_post("/admin/rota/exceptions/{id}/delete", exception_remove)
