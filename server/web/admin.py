"""Administration pages: staff accounts and roles, sign-in policy, the organisation's public
profile (what the game's disclosure shows), partner organisations and organisation-wide canned
responses. Admin only; every change is audited.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from sqlmodel import col, select

from server.storage.models import (
    AGE_BANDS,
    COUNSELLOR_KINDS,
    GENDERS,
    STAFF_ROLES,
    WEEKDAYS,
    Organisation,
    StaffAccount,
)
from server.web import staff_service
from server.web.common import audit, audit_request, client_ip, db_of, page_staff, render
from server.web.live import account_changed
from server.web.models import AuditLog, CannedResponse, PartnerOrganisation, utcnow
from server.web.staff_service import StaffInputError

HOURS_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")

MESSAGES = {
    "staff_created": "The account was created.",
    "staff_saved": "The account was saved.",
    "password_set": "The password was set and the account's sessions were ended.",
    "totp_reset": "Two-step sign-in was reset; the person sets it up again at next sign-in.",
    "org_saved": "The organisation's public profile was saved.",
    "partner_saved": "The partner organisation was saved.",
    "canned_saved": "The canned response was saved.",
    "canned_deleted": "The canned response was deleted.",
    "policy_saved": "The sign-in policy was saved.",
}


def hours_to_text(hours: dict[str, list[list[str]]]) -> dict[str, str]:
    """``{"mon": [["09:00","17:00"]]}`` -> ``{"mon": "09:00-17:00"}`` for the form."""
    return {day: ", ".join(f"{a}-{b}" for a, b in hours.get(day, [])) for day in WEEKDAYS}


def parse_hours(form: MultiDictProxy[Any]) -> dict[str, list[list[str]]]:
    """Read ``hours_<day>`` fields like ``09:00-12:00, 13:00-17:00``."""
    hours: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        text = str(form.get(f"hours_{day}", "")).strip()
        if not text:
            continue
        spans = []
        for part in text.split(","):
            part = part.strip().replace(" ", "")
            if not HOURS_RE.match(part):
                raise StaffInputError(
                    f"Service hours for {day}: write spans like 09:00-17:00, separated by commas."
                )
            start, end = part.split("-")
            if end <= start:
                raise StaffInputError(f"Service hours for {day}: {part} ends before it starts.")
            spans.append([start, end])
        hours[day] = spans
    return hours


async def _context(request: web.Request) -> dict[str, Any]:
    async with db_of(request).session() as session:
        staff = await staff_service.list_staff(session)
        org = (await session.exec(select(Organisation).order_by(col(Organisation.id)))).first()
        partners = (
            await session.exec(select(PartnerOrganisation).order_by(PartnerOrganisation.name))
        ).all()
        canned = (
            await session.exec(
                select(CannedResponse)
                .where(col(CannedResponse.owner_staff_id).is_(None))
                .order_by(CannedResponse.title)
            )
        ).all()
        policies = await staff_service.role_policies(session)
        audit_rows = (
            await session.exec(select(AuditLog).order_by(col(AuditLog.id).desc()).limit(40))
        ).all()
    names = {s.id: s.username for s in staff}
    return {
        "staff_list": staff,
        "org": org,
        "org_hours": hours_to_text(org.service_hours if org else {}),
        "weekdays": WEEKDAYS,
        "partners": partners,
        "canned": canned,
        "policies": policies,
        "audit_rows": [(a, names.get(a.staff_id, "—")) for a in audit_rows],
        "all_roles": STAFF_ROLES,
        "kinds": COUNSELLOR_KINDS,
        "genders": GENDERS,
        "age_bands": AGE_BANDS,
    }


async def admin_page(request: web.Request, *, error: str = "", status: int = 200) -> web.Response:
    """``GET /admin``: the administration overview."""
    await page_staff(request, "admin")
    context = await _context(request)
    context["error"] = error
    context["message"] = MESSAGES.get(request.query.get("msg", ""), "")
    return await render(request, "admin.html", context, status=status)


async def _fail(request: web.Request, exc: StaffInputError) -> web.Response:
    return await admin_page(request, error=str(exc), status=400)


def _done(message: str, anchor: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/admin?msg={message}#{anchor}")


async def staff_create(request: web.Request) -> web.StreamResponse:
    """``POST /admin/staff``: create an account."""
    admin = await page_staff(request, "admin")
    form = await request.post()
    try:
        async with db_of(request).session() as session:
            account = await staff_service.create_staff(
                session,
                username=str(form.get("username", "")),
                display_name=str(form.get("display_name", "")),
                password=str(form.get("password", "")),
                roles=[str(v) for v in form.getall("roles", [])],
                kind=str(form.get("kind", "")) or None,
                languages=str(form.get("languages", "")).split(","),
                gender=str(form.get("gender", "")) or None,
                age_band=str(form.get("age_band", "")) or None,
                capacity=str(form.get("capacity", "2")),
                now=utcnow(),
            )
            await audit_request(
                session,
                request,
                staff_id=admin.id,
                action="staff_created",
                target=account.username,
                detail={"roles": account.roles},
            )
            await session.commit()
    except StaffInputError as exc:
        return await _fail(request, exc)
    raise _done("staff_created", "staff")


async def staff_edit_page(request: web.Request) -> web.Response:
    """``GET /admin/staff/{id}``: edit one account."""
    await page_staff(request, "admin")
    async with db_of(request).session() as session:
        account = await session.get(StaffAccount, _int(request.match_info["id"]))
    if account is None:
        raise web.HTTPNotFound(text="No such account.")
    return await render(
        request,
        "admin_staff.html",
        {
            "account": account,
            "all_roles": STAFF_ROLES,
            "kinds": COUNSELLOR_KINDS,
            "genders": GENDERS,
            "age_bands": AGE_BANDS,
            "error": request.query.get("error", ""),
        },
    )


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise web.HTTPNotFound(text="No such item.") from None


async def staff_update(request: web.Request) -> web.StreamResponse:
    """``POST /admin/staff/{id}``: roles, profile, cap, active; or password / TOTP reset."""
    admin = await page_staff(request, "admin")
    staff_id = _int(request.match_info["id"])
    form = await request.post()
    action = str(form.get("action", "save"))
    try:
        async with db_of(request).session() as session:
            account = await session.get(StaffAccount, staff_id)
            if account is None:
                raise web.HTTPNotFound(text="No such account.")
            detail: dict[str, Any] = {}
            if action == "password":
                await staff_service.set_password(
                    session, account=account, password=str(form.get("password", ""))
                )
                message = "password_set"
            elif action == "reset_totp":
                account.totp_secret = None
                session.add(account)
                await staff_service.end_sessions(session, staff_id=staff_id)
                message = "totp_reset"
            else:
                roles = staff_service.clean_roles([str(v) for v in form.getall("roles", [])])
                if admin.id == staff_id and "admin" not in roles:
                    raise StaffInputError("You cannot remove your own admin role.")
                active = form.get("active") == "1"
                if admin.id == staff_id and not active:
                    raise StaffInputError("You cannot deactivate your own account.")
                display_name = str(form.get("display_name", "")).strip()
                if not display_name or len(display_name) > 120:
                    raise StaffInputError("A display name of 1-120 characters is required.")
                kind = staff_service.clean_choice(
                    str(form.get("kind", "")), COUNSELLOR_KINDS, "Counsellor kind"
                )
                languages = staff_service.clean_languages(str(form.get("languages", "")).split(","))
                if "counsellor" in roles and (kind is None or not languages):
                    raise StaffInputError("A counsellor needs a kind and at least one language.")
                detail = {"roles": roles, "active": active}
                account.roles = roles
                account.display_name = display_name
                account.kind = kind
                account.languages = languages
                account.gender = staff_service.clean_choice(
                    str(form.get("gender", "")), GENDERS, "Gender"
                )
                account.age_band = staff_service.clean_choice(
                    str(form.get("age_band", "")), AGE_BANDS, "Age band"
                )
                account.capacity = staff_service.clean_capacity(str(form.get("capacity", "2")))
                account.active = active
                session.add(account)
                if not active:
                    await staff_service.end_sessions(session, staff_id=staff_id)
                message = "staff_saved"
            await audit_request(
                session,
                request,
                staff_id=admin.id,
                action=f"staff_{action}",
                target=account.username,
                detail=detail,
            )
            await session.commit()
        await account_changed(request.app, staff_id)
    except StaffInputError as exc:
        from urllib.parse import quote

        raise web.HTTPSeeOther(f"/admin/staff/{staff_id}?error={quote(str(exc))}") from exc
    raise _done(message, "staff")


async def organisation_save(request: web.Request) -> web.StreamResponse:
    """``POST /admin/organisation``: the public profile players see before anything else."""
    admin = await page_staff(request, "admin")
    form = await request.post()
    try:
        name = str(form.get("name", "")).strip()
        funder = str(form.get("funder", "")).strip()
        if not name or not funder:
            raise StaffInputError(
                "Name and funder are required: players must always see who runs and funds this."
            )
        contact = str(form.get("contact_url", "")).strip()
        if contact and not contact.startswith(("https://", "http://", "mailto:", "tel:")):
            raise StaffInputError("Contact must be a web address, mailto: or tel: link.")
        tz = str(form.get("timezone", "Europe/Berlin")).strip()
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise StaffInputError(f"'{tz}' is not a known time zone (e.g. Europe/Berlin).") from exc
        hours = parse_hours(form)
        async with db_of(request).session() as session:
            org = (await session.exec(select(Organisation).order_by(col(Organisation.id)))).first()
            if org is None:
                org = Organisation(name=name, funder=funder, updated_at=utcnow())
            org.name = name[:200]
            org.funder = funder[:300]
            org.contact_url = contact[:500]
            org.description = str(form.get("description", "")).strip()[:2000]
            org.timezone = tz
            org.service_hours = hours
            org.emergency_contact = str(form.get("emergency_contact", "")).strip()[:300]
            org.shares_identifying_details = form.get("shares_identifying_details") == "yes"
            org.tells_player_first = form.get("tells_player_first") == "yes"
            org.updated_at = utcnow()
            session.add(org)
            await audit_request(
                session,
                request,
                staff_id=admin.id,
                action="organisation_saved",
                target=name,
                detail={"service_hours": json.loads(json.dumps(hours))},
            )
            await session.commit()
    except StaffInputError as exc:
        return await _fail(request, exc)
    raise _done("org_saved", "organisation")


async def partner_save(request: web.Request) -> web.StreamResponse:
    """``POST /admin/partners`` (new) or ``/admin/partners/{id}`` (edit)."""
    admin = await page_staff(request, "admin")
    form = await request.post()
    partner_id = request.match_info.get("id")
    try:
        name = str(form.get("name", "")).strip()
        if not name or len(name) > 200:
            raise StaffInputError("A partner needs a name (up to 200 characters).")
        key = str(form.get("key", "")).strip().lower()
        if not KEY_RE.match(key):
            raise StaffInputError(
                "The partner key is 2-40 lower-case letters, digits or '-' (e.g. exit-north)."
            )
        url = str(form.get("url", "")).strip()
        if url and not url.startswith(("https://", "http://")):
            raise StaffInputError("The partner's website must start with https:// or http://.")
        async with db_of(request).session() as session:
            clash = (
                await session.exec(
                    select(PartnerOrganisation).where(PartnerOrganisation.key == key)
                )
            ).first()
            if partner_id is None:
                if clash is not None:
                    raise StaffInputError(f"The key '{key}' is used by another partner.")
                row = PartnerOrganisation(key=key, name=name, created_at=utcnow())
            else:
                found = await session.get(PartnerOrganisation, _int(partner_id))
                if found is None:
                    raise web.HTTPNotFound(text="No such partner.")
                if clash is not None and clash.id != found.id:
                    raise StaffInputError(f"The key '{key}' is used by another partner.")
                row = found
            row.key = key
            row.name = name
            row.description = str(form.get("description", "")).strip()[:2000]
            row.contact = str(form.get("contact", "")).strip()[:300]
            row.url = url[:300]
            row.languages = staff_service.clean_languages(str(form.get("languages", "")).split(","))
            row.active = form.get("active", "1") == "1"
            session.add(row)
            await audit_request(
                session,
                request,
                staff_id=admin.id,
                action="partner_saved",
                target=key,
            )
            await session.commit()
    except StaffInputError as exc:
        return await _fail(request, exc)
    raise _done("partner_saved", "partners")


async def canned_save(request: web.Request) -> web.StreamResponse:
    """``POST /admin/canned``: add an organisation-wide canned response."""
    admin = await page_staff(request, "admin")
    form = await request.post()
    try:
        shortcut = str(form.get("shortcut", "")).strip().lower()
        if not re.match(r"^[a-z0-9_-]{1,40}$", shortcut):
            raise StaffInputError("A shortcut uses only a-z, 0-9, '-' and '_' (no spaces).")
        title = str(form.get("title", "")).strip()
        body = str(form.get("body", "")).strip()
        if not title or not body:
            raise StaffInputError("A canned response needs a title and a text.")
        if len(title) > 120 or len(body) > 4000:
            raise StaffInputError("Title up to 120 characters, text up to 4000.")
        now = utcnow()
        async with db_of(request).session() as session:
            session.add(
                CannedResponse(
                    owner_staff_id=None,
                    shortcut=shortcut,
                    title=title,
                    body=body,
                    language=str(form.get("language", "en"))[:8] or "en",
                    created_at=now,
                    updated_at=now,
                )
            )
            await audit(
                session,
                now=now,
                staff_id=admin.id,
                action="canned_saved",
                target=shortcut,
                ip=client_ip(request),
            )
            await session.commit()
    except StaffInputError as exc:
        return await _fail(request, exc)
    raise _done("canned_saved", "canned")


async def canned_delete(request: web.Request) -> web.StreamResponse:
    """``POST /admin/canned/{id}/delete``."""
    admin = await page_staff(request, "admin")
    async with db_of(request).session() as session:
        row = await session.get(CannedResponse, _int(request.match_info["id"]))
        if row is None or row.owner_staff_id is not None:
            raise web.HTTPNotFound(text="No such organisation-wide response.")
        await session.delete(row)
        await audit_request(
            session,
            request,
            staff_id=admin.id,
            action="canned_deleted",
            target=row.shortcut,
        )
        await session.commit()
    raise _done("canned_deleted", "canned")


async def policy_save(request: web.Request) -> web.StreamResponse:
    """``POST /admin/policy``: which roles must use two-step sign-in."""
    admin = await page_staff(request, "admin")
    form = await request.post()
    required = {str(v) for v in form.getall("require_totp", [])}
    async with db_of(request).session() as session:
        for role in STAFF_ROLES:
            await staff_service.set_role_totp(
                session, role=role, required=role in required, now=utcnow()
            )
        await audit_request(
            session,
            request,
            staff_id=admin.id,
            action="policy_saved",
            detail={"require_totp": sorted(required)},
        )
        await session.commit()
    raise _done("policy_saved", "policy")


def setup_routes(app: web.Application) -> None:
    """Register the administration routes."""
    app.router.add_get("/admin", admin_page, name="web_admin")
    app.router.add_post("/admin/staff", staff_create)
    app.router.add_get("/admin/staff/{id}", staff_edit_page)
    app.router.add_post("/admin/staff/{id}", staff_update)
    app.router.add_post("/admin/organisation", organisation_save)
    app.router.add_post("/admin/partners", partner_save)
    app.router.add_post("/admin/partners/{id}", partner_save)
    app.router.add_post("/admin/canned", canned_save)
    app.router.add_post("/admin/canned/{id}/delete", canned_delete)
    app.router.add_post("/admin/policy", policy_save)
