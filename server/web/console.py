"""The counsellor console page and its small JSON API.

The live chat itself runs over ``/ws/staff`` (handoff's gateway); this module serves the page
and what the socket does not carry: canned responses, private notes (Fernet-encrypted at rest),
colleagues for transfers, partner organisations and the referral text sent to a player.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from sqlmodel import col, or_, select

from server.storage.models import StaffAccount
from server.web.access import can_read_conversation, open_supervisor_request
from server.web.common import (
    JSONError,
    api_staff,
    audit,
    audit_request,
    client_ip,
    db_of,
    decrypt_note,
    encrypt_note,
    page_staff,
    render,
    settings_of,
)
from server.web.models import (
    CannedResponse,
    ConversationNote,
    PartnerOrganisation,
    SupervisorRequest,
    utcnow,
)

SHORTCUT_RE = re.compile(r"^[a-z0-9_-]{1,40}$")
MAX_NOTE_CHARS = 4000


async def console_page(request: web.Request) -> web.Response:
    """``GET /console``: the counsellor's workspace."""
    await page_staff(request, "counsellor")
    return await render(request, "console.html", {})


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError as exc:
        raise JSONError(400, "invalid_json", "The body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise JSONError(400, "invalid_body", "Send a JSON object.")
    return data


def _text(data: dict[str, Any], name: str, *, max_len: int, required: bool = True) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise JSONError(400, "invalid_field", f"'{name}' must be text.")
    value = value.strip()
    if required and not value:
        raise JSONError(400, "missing_field", f"'{name}' is required.")
    if len(value) > max_len:
        raise JSONError(400, "too_long", f"'{name}' is longer than {max_len} characters.")
    return value


def canned_public(row: CannedResponse, staff_id: int | None) -> dict[str, Any]:
    """A canned response as the console shows it."""
    return {
        "id": row.id,
        "shortcut": row.shortcut,
        "title": row.title,
        "body": row.body,
        "language": row.language,
        "personal": row.owner_staff_id is not None,
        "mine": row.owner_staff_id is not None and row.owner_staff_id == staff_id,
    }


async def canned_list(request: web.Request) -> web.Response:
    """``GET /console/api/canned``: organisation-wide responses and my personal ones."""
    account = await api_staff(request, "counsellor", "supervisor")
    async with db_of(request).session() as session:
        rows = await session.exec(
            select(CannedResponse)
            .where(
                or_(
                    col(CannedResponse.owner_staff_id).is_(None),
                    col(CannedResponse.owner_staff_id) == account.id,
                )
            )
            .order_by(col(CannedResponse.owner_staff_id).is_not(None), CannedResponse.title)
        )
        items = [canned_public(r, account.id) for r in rows]
    return web.json_response({"responses": items})


async def canned_create(request: web.Request) -> web.Response:
    """``POST /console/api/canned``: add a personal canned response."""
    account = await api_staff(request, "counsellor", "supervisor")
    data = await _json_body(request)
    shortcut = _text(data, "shortcut", max_len=40).lower()
    if not SHORTCUT_RE.match(shortcut):
        raise JSONError(
            400, "invalid_field", "A shortcut uses only a-z, 0-9, '-' and '_' (no spaces)."
        )
    title = _text(data, "title", max_len=120)
    body = _text(data, "body", max_len=4000)
    now = utcnow()
    row = CannedResponse(
        owner_staff_id=account.id,
        shortcut=shortcut,
        title=title,
        body=body,
        language=_text(data, "language", max_len=8, required=False) or "en",
        created_at=now,
        updated_at=now,
    )
    async with db_of(request).session() as session:
        session.add(row)
        await session.commit()
        await session.refresh(row)
    return web.json_response({"response": canned_public(row, account.id)}, status=201)


async def canned_delete(request: web.Request) -> web.Response:
    """``DELETE /console/api/canned/{id}``: remove one of my personal responses."""
    account = await api_staff(request, "counsellor", "supervisor")
    try:
        item_id = int(request.match_info["id"])
    except ValueError as exc:
        raise JSONError(404, "not_found", "No such canned response.") from exc
    async with db_of(request).session() as session:
        row = await session.get(CannedResponse, item_id)
        if row is None or row.owner_staff_id != account.id:
            raise JSONError(
                404,
                "not_found",
                "No such personal response (organisation-wide ones are managed in Administration).",
            )
        await session.delete(row)
        await session.commit()
    return web.json_response({"deleted": item_id})


async def _conversation_or_403(request: web.Request, account: StaffAccount) -> str:
    conversation_id = request.match_info["conversation_id"]
    if len(conversation_id) > 64:
        raise JSONError(404, "unknown_conversation", "No such conversation.")
    async with db_of(request).session() as session:
        allowed = await can_read_conversation(
            session, app=request.app, staff=account, conversation_id=conversation_id
        )
    if allowed is None:
        raise JSONError(404, "unknown_conversation", "No such conversation.")
    if not allowed:
        raise JSONError(
            403,
            "not_your_conversation",
            "This conversation belongs to a colleague. Supervisors can read it once a "
            "supervisor is requested.",
        )
    return conversation_id


async def notes_list(request: web.Request) -> web.Response:
    """``GET /console/api/conversations/{id}/notes``: private notes, decrypted for display."""
    account = await api_staff(request, "counsellor", "supervisor")
    conversation_id = await _conversation_or_403(request, account)
    settings = settings_of(request)
    async with db_of(request).session() as session:
        rows = (
            await session.exec(
                select(ConversationNote, StaffAccount.display_name)
                .join(StaffAccount, col(StaffAccount.id) == col(ConversationNote.staff_id))
                .where(ConversationNote.conversation_id == conversation_id)
                .order_by(col(ConversationNote.created_at), col(ConversationNote.id))
            )
        ).all()
        notes = [
            {
                "id": note.id,
                "author": name,
                "mine": note.staff_id == account.id,
                "created_at": note.created_at.isoformat() if note.created_at else None,
                "body": decrypt_note(settings, note.body_encrypted),
            }
            for note, name in rows
        ]
        if any(not n["mine"] for n in notes):
            await audit_request(
                session,
                request,
                staff_id=account.id,
                action="notes_read",
                target=conversation_id,
            )
            await session.commit()
    return web.json_response({"notes": notes})


async def notes_create(request: web.Request) -> web.Response:
    """``POST /console/api/conversations/{id}/notes``: add a private note."""
    account = await api_staff(request, "counsellor", "supervisor")
    conversation_id = await _conversation_or_403(request, account)
    body = _text(await _json_body(request), "body", max_len=MAX_NOTE_CHARS)
    now = utcnow()
    assert account.id is not None
    row = ConversationNote(
        conversation_id=conversation_id,
        staff_id=account.id,
        body_encrypted=encrypt_note(settings_of(request), body),
        created_at=now,
    )
    async with db_of(request).session() as session:
        session.add(row)
        await session.commit()
        await session.refresh(row)
    return web.json_response(
        {
            "note": {
                "id": row.id,
                "author": account.display_name,
                "mine": True,
                "created_at": now.isoformat(),
                "body": body,
            }
        },
        status=201,
    )


async def colleagues(request: web.Request) -> web.Response:
    """``GET /console/api/colleagues``: counsellors I could transfer a conversation to."""
    account = await api_staff(request, "counsellor")
    from server.web.live import presence

    live = presence(request.app)
    async with db_of(request).session() as session:
        rows = (
            await session.exec(
                select(StaffAccount)
                .where(col(StaffAccount.active).is_(True), StaffAccount.id != account.id)
                .order_by(StaffAccount.display_name)
            )
        ).all()
    items = []
    for row in rows:
        if "counsellor" not in row.roles:
            continue
        state = live.get(row.id or 0, {})
        items.append(
            {
                "id": row.id,
                "display_name": row.display_name,
                "kind": row.kind,
                "languages": row.languages,
                "status": state.get("status", "offline"),
                "load": state.get("load", 0),
                "capacity": row.capacity,
            }
        )
    # Colleagues who can take a chat now come first.
    items.sort(key=lambda c: (c["status"] != "available", c["display_name"]))
    return web.json_response({"colleagues": items})


def partner_public(row: PartnerOrganisation) -> dict[str, Any]:
    """A partner organisation as staff see it."""
    return {
        "id": row.id,
        "key": row.key,
        "name": row.name,
        "description": row.description,
        "contact": row.contact,
        "url": row.url,
        "languages": row.languages,
        "active": row.active,
    }


async def partners(request: web.Request) -> web.Response:
    """``GET /console/api/partners``: active partner organisations for referrals."""
    await api_staff(request, "counsellor", "supervisor")
    async with db_of(request).session() as session:
        rows = await session.exec(
            select(PartnerOrganisation)
            .where(col(PartnerOrganisation.active).is_(True))
            .order_by(PartnerOrganisation.name)
        )
        items = [partner_public(r) for r in rows]
    return web.json_response({"partners": items})


def referral_message(partner: PartnerOrganisation) -> str:
    """The plain-text message a player receives when referred."""
    lines = [
        f"I'd like to put you in touch with {partner.name}, who can help with this better "
        "than we can.",
    ]
    if partner.description:
        lines.append(partner.description)
    if partner.contact:
        lines.append(f"Contact: {partner.contact}")
    if partner.url:
        lines.append(f"Website: {partner.url}")
    lines.append("You decide whether and when to contact them. You can always come back here.")
    return "\n".join(lines)


async def referral(request: web.Request) -> web.Response:
    """``POST /console/api/conversations/{id}/referral``: record a referral, give its text."""
    account = await api_staff(request, "counsellor")
    conversation_id = await _conversation_or_403(request, account)
    data = await _json_body(request)
    partner_id = data.get("partner_id")
    if not isinstance(partner_id, int) or isinstance(partner_id, bool):
        raise JSONError(400, "invalid_field", "'partner_id' must be a number.")
    async with db_of(request).session() as session:
        partner = await session.get(PartnerOrganisation, partner_id)
        if partner is None or not partner.active:
            raise JSONError(404, "unknown_partner", "No such active partner organisation.")
        await audit_request(
            session,
            request,
            staff_id=account.id,
            action="referral",
            target=conversation_id,
            detail={"partner_id": partner.id, "partner": partner.name},
        )
        await session.commit()
    return web.json_response(
        {"message": referral_message(partner), "partner": partner_public(partner)}
    )


async def request_supervisor(request: web.Request) -> web.Response:
    """``POST /console/api/conversations/{id}/supervisor``: record a supervisor request.

    The console also sends ``request_supervisor`` on the socket (which tells the player and
    the connected supervisors); this record is what lets a supervisor read the conversation
    and keeps it on the board until a supervisor marks it handled.
    """
    account = await api_staff(request, "counsellor")
    conversation_id = await _conversation_or_403(request, account)
    assert account.id is not None
    now = utcnow()
    async with db_of(request).session() as session:
        existing = await open_supervisor_request(session, conversation_id=conversation_id)
        if existing is None:
            session.add(
                SupervisorRequest(
                    conversation_id=conversation_id, requested_by=account.id, requested_at=now
                )
            )
            await audit(
                session,
                now=now,
                staff_id=account.id,
                action="supervisor_requested",
                target=conversation_id,
                ip=client_ip(request),
            )
            await session.commit()
    # The player is told, in the conversation itself (stored, so it survives reconnects).
    from server.web.live import SUPERVISOR_NOTICE, post_system_message

    told = await post_system_message(
        request.app,
        conversation_id=conversation_id,
        client_id=f"supervisor-request-{conversation_id}"[:64],
        text=SUPERVISOR_NOTICE,
    )
    return web.json_response(
        {"conversation_id": conversation_id, "requested": True, "player_told": told},
        status=201,
    )


def setup_routes(app: web.Application) -> None:
    """Register the console page and its API."""
    app.router.add_get("/console", console_page, name="web_console")
    app.router.add_get("/console/api/canned", canned_list)
    app.router.add_post("/console/api/canned", canned_create)
    app.router.add_delete("/console/api/canned/{id}", canned_delete)
    app.router.add_get("/console/api/conversations/{conversation_id}/notes", notes_list)
    app.router.add_post("/console/api/conversations/{conversation_id}/notes", notes_create)
    app.router.add_post("/console/api/conversations/{conversation_id}/referral", referral)
    app.router.add_post(
        "/console/api/conversations/{conversation_id}/supervisor", request_supervisor
    )
    app.router.add_get("/console/api/colleagues", colleagues)
    app.router.add_get("/console/api/partners", partners)
