"""The supervisor board: who is on shift with what load, the queue, requests and debriefs.

``GET /supervisor`` is a page whose script polls ``GET /supervisor/api/state``. Supervisors
edit caseload caps, mark debriefs done and read conversations where a supervisor was asked for
(or that ended with a safeguarding concern). Every transcript read is written to the audit log.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlmodel import col, select

from server.chat import repo
from server.chat.models import Conversation
from server.content_api import get_organisation
from server.rota import rostered
from server.storage.models import StaffAccount
from server.web.access import (
    can_read_conversation,
    conversation_messages,
    open_supervisor_request,
    safeguarding_conversations,
    supervisor_requests,
)
from server.web.common import (
    JSONError,
    api_staff,
    audit_request,
    db_of,
    decrypt_note,
    page_staff,
    render,
    settings_of,
)
from server.web.live import apply_capacity, presence, queue_summary
from server.web.models import ConversationNote, Debrief, StaffShift, utcnow
from server.web.shifts import shift_advice

MAX_CAPACITY = 10


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def board_state(app: web.Application, now: datetime) -> dict[str, Any]:
    """Everything the board shows, as JSON-able data (no player data beyond preferences)."""
    from server.app import DB

    live = presence(app)
    async with app[DB].session() as session:
        staff_rows = (
            await session.exec(
                select(StaffAccount)
                .where(col(StaffAccount.active).is_(True))
                .order_by(StaffAccount.display_name)
            )
        ).all()
        shifts = {
            s.staff_id: s
            for s in (
                await session.exec(select(StaffShift).where(col(StaffShift.ended_at).is_(None)))
            ).all()
        }
        requests = await supervisor_requests(session, app=app)
        ended_safeguarding = await safeguarding_conversations(session, app=app)
        debriefs = {d.conversation_id: d for d in (await session.exec(select(Debrief))).all()}
        # A safeguarding outcome always owes a debrief; create the flag the first time we see it.
        created = False
        for conv in ended_safeguarding:
            if conv["conversation_id"] not in debriefs:
                row = Debrief(
                    conversation_id=conv["conversation_id"],
                    counsellor_id=conv.get("counsellor_id"),
                    flagged_at=now,
                )
                session.add(row)
                debriefs[row.conversation_id] = row
                created = True
        if created:
            await session.commit()
        from server.chat.rota_repo import load_rota

        rota = await load_rota(session)
        org = await get_organisation(session)
    on_rota = set(rostered(rota, org.timezone if org else "UTC", now)) if rota.defined else set()
    names = {s.id: s.display_name for s in staff_rows}
    counsellors = []
    for staff in staff_rows:
        if "counsellor" not in staff.roles:
            continue
        state = live.get(staff.id or 0, {})
        status = state.get("status", "offline")
        shift = shifts.get(staff.id or 0)
        advice = shift_advice(shift, now) if shift else None
        counsellors.append(
            {
                "id": staff.id,
                "display_name": staff.display_name,
                "kind": staff.kind,
                "languages": staff.languages,
                "status": status,
                "load": state.get("load", 0),
                "capacity": staff.capacity,
                "on_shift": shift is not None,
                "on_shift_minutes": advice.on_shift_minutes if advice else 0,
                "since_break_minutes": advice.since_break_minutes if advice else 0,
                "break_due": bool(advice and advice.break_due),
                "long_shift": bool(advice and advice.long_shift),
                "rostered": (staff.id or 0) in on_rota,
            }
        )
    counsellors.sort(key=lambda c: (c["status"] == "offline", c["display_name"]))
    open_debriefs = [
        {
            "conversation_id": d.conversation_id,
            "counsellor": names.get(d.counsellor_id, "—") if d.counsellor_id else "—",
            "flagged_at": _iso(d.flagged_at),
        }
        for d in sorted(debriefs.values(), key=lambda d: d.flagged_at or now)
        if d.done_at is None
    ]
    queue = queue_summary(app, now)
    upcoming = await repo.upcoming_bookings(app[DB], now=now, until=now + timedelta(hours=24))
    return {
        "now": now.isoformat(),
        "counsellors": counsellors,
        "queue": queue,
        "supervisor_requests": [
            {**r, "counsellor": names.get(r.get("counsellor_id"), "—")} for r in requests
        ],
        "debriefs": open_debriefs,
        "rota_defined": rota.defined,
        "bookings": [
            {"slot_at": slot.isoformat(), "organisation": org, "count": count}
            for slot, org, count in upcoming
        ],
        "rostered_now": [c["display_name"] for c in counsellors if c["rostered"]],
        "on_shift": sum(1 for c in counsellors if c["status"] != "offline"),
        "total_load": sum(c["load"] for c in counsellors),
        "total_capacity": sum(c["capacity"] for c in counsellors if c["status"] == "available"),
    }


async def board_page(request: web.Request) -> web.Response:
    """``GET /supervisor``: the board (filled and refreshed by supervisor.js)."""
    await page_staff(request, "supervisor")
    return await render(request, "supervisor.html", {"max_capacity": MAX_CAPACITY})


async def board_api(request: web.Request) -> web.Response:
    """``GET /supervisor/api/state``: the board's data."""
    await api_staff(request, "supervisor")
    return web.json_response(await board_state(request.app, utcnow()))


async def set_capacity(request: web.Request) -> web.StreamResponse:
    """``POST /supervisor/caps/{staff_id}``: change a counsellor's caseload cap."""
    account = await api_staff(request, "supervisor")
    try:
        staff_id = int(request.match_info["staff_id"])
    except ValueError as exc:
        raise JSONError(404, "unknown_staff", "No such staff member.") from exc
    if request.content_type == "application/json":
        data = await request.json()
        raw = data.get("capacity") if isinstance(data, dict) else None
    else:
        raw = (await request.post()).get("capacity")
    try:
        capacity = int(str(raw))
    except ValueError as exc:
        raise JSONError(400, "invalid_field", "The cap must be a whole number.") from exc
    if not 0 <= capacity <= MAX_CAPACITY:
        raise JSONError(400, "invalid_field", f"The cap must be between 0 and {MAX_CAPACITY}.")
    async with db_of(request).session() as session:
        row = await session.get(StaffAccount, staff_id)
        if row is None or "counsellor" not in row.roles:
            raise JSONError(404, "unknown_staff", "No such counsellor.")
        before = row.capacity
        row.capacity = capacity
        session.add(row)
        await audit_request(
            session,
            request,
            staff_id=account.id,
            action="caseload_cap_changed",
            target=f"staff:{staff_id}",
            detail={"from": before, "to": capacity},
        )
        await session.commit()
    await apply_capacity(request.app, staff_id, capacity, utcnow())
    if request.content_type == "application/json":
        return web.json_response({"staff_id": staff_id, "capacity": capacity})
    raise web.HTTPSeeOther("/supervisor")


async def debrief_done(request: web.Request) -> web.StreamResponse:
    """``POST /supervisor/debriefs/{conversation_id}/done``: the debrief happened."""
    account = await api_staff(request, "supervisor")
    conversation_id = request.match_info["conversation_id"][:64]
    note = ""
    if request.content_type == "application/json":
        data = await request.json()
        if isinstance(data, dict) and isinstance(data.get("note"), str):
            note = data["note"][:2000]
    async with db_of(request).session() as session:
        row = await session.get(Debrief, conversation_id)
        if row is None:
            raise JSONError(404, "unknown_debrief", "No debrief is flagged for that conversation.")
        row.done_at = utcnow()
        row.done_by = account.id
        row.note = note
        session.add(row)
        await audit_request(
            session,
            request,
            staff_id=account.id,
            action="debrief_done",
            target=conversation_id,
        )
        await session.commit()
    if request.content_type == "application/json":
        return web.json_response({"conversation_id": conversation_id, "done": True})
    raise web.HTTPSeeOther("/supervisor")


async def transcript_page(request: web.Request) -> web.Response:
    """``GET /supervisor/conversations/{id}``: read a conversation (audited)."""
    account = await page_staff(request, "supervisor", "counsellor")
    conversation_id = request.match_info["conversation_id"][:64]
    async with db_of(request).session() as session:
        allowed = await can_read_conversation(
            session, app=request.app, staff=account, conversation_id=conversation_id
        )
        if allowed is None:
            raise web.HTTPNotFound(text="No such conversation.")
        if not allowed:
            return await render(
                request,
                "error.html",
                {
                    "title": "Not your conversation",
                    "message": "This conversation belongs to a colleague. Supervisors may read "
                    "it once a supervisor is requested or after a safeguarding outcome.",
                },
                status=403,
            )
        messages = await conversation_messages(
            session, app=request.app, conversation_id=conversation_id
        )
        notes_rows = (
            await session.exec(
                select(ConversationNote, StaffAccount.display_name)
                .join(StaffAccount, col(StaffAccount.id) == col(ConversationNote.staff_id))
                .where(ConversationNote.conversation_id == conversation_id)
                .order_by(col(ConversationNote.created_at))
            )
        ).all()
        pending = await open_supervisor_request(session, conversation_id=conversation_id)
        if pending is not None and pending.seen_at is None and account.has_role("supervisor"):
            pending.seen_at = utcnow()
            pending.seen_by = account.id
            session.add(pending)
        await audit_request(
            session,
            request,
            staff_id=account.id,
            action="transcript_read",
            target=conversation_id,
        )
        await session.commit()
    settings = settings_of(request)
    notes = [
        {"author": name, "at": n.created_at, "body": decrypt_note(settings, n.body_encrypted)}
        for n, name in notes_rows
    ]
    async with db_of(request).session() as session:
        conversation = await session.get(Conversation, conversation_id)
    return await render(
        request,
        "transcript.html",
        {
            "conversation_id": conversation_id,
            "messages": messages,
            "notes": notes,
            "last_seq": messages[-1]["seq"] if messages else 0,
            "live": bool(conversation and conversation.state in ("active", "grace")),
        },
    )


async def transcript_api(request: web.Request) -> web.Response:
    """``GET /supervisor/api/conversations/{id}/messages?after=N``: follow a conversation live.

    Every read that returns messages is audited like opening the page (with ``after``), so
    following a chat from any point leaves a trace; an empty poll reads nothing.
    """
    account = await api_staff(request, "supervisor", "counsellor")
    conversation_id = request.match_info["conversation_id"][:64]
    try:
        after = max(0, int(request.query.get("after", "0")))
    except ValueError as exc:
        raise JSONError(400, "invalid_field", "'after' must be a whole number.") from exc
    async with db_of(request).session() as session:
        allowed = await can_read_conversation(
            session, app=request.app, staff=account, conversation_id=conversation_id
        )
        if allowed is None:
            raise JSONError(404, "unknown_conversation", "No such conversation.")
        if not allowed:
            raise JSONError(403, "not_your_conversation", "This conversation is not yours to read.")
        messages = await conversation_messages(
            session, app=request.app, conversation_id=conversation_id, after=after
        )
        conversation = await session.get(Conversation, conversation_id)
        if after == 0 or messages:
            await audit_request(
                session,
                request,
                staff_id=account.id,
                action="transcript_read",
                target=conversation_id,
                detail={"via": "transcript_api", "after": after, "messages": len(messages)},
            )
            await session.commit()
    return web.json_response(
        {
            "messages": messages,
            "state": conversation.state if conversation else "unknown",
            "outcome": conversation.outcome if conversation else None,
        }
    )


async def request_handled(request: web.Request) -> web.StreamResponse:
    """``POST /supervisor/requests/{conversation_id}/handled``: take it off the board."""
    account = await api_staff(request, "supervisor")
    conversation_id = request.match_info["conversation_id"][:64]
    async with db_of(request).session() as session:
        pending = await open_supervisor_request(session, conversation_id=conversation_id)
        if pending is None:
            raise JSONError(404, "unknown_request", "No open supervisor request for that chat.")
        pending.handled_at = utcnow()
        pending.handled_by = account.id
        session.add(pending)
        await audit_request(
            session,
            request,
            staff_id=account.id,
            action="supervisor_request_handled",
            target=conversation_id,
        )
        await session.commit()
    return web.json_response({"conversation_id": conversation_id, "handled": True})


def setup_routes(app: web.Application) -> None:
    """Register the supervisor board routes."""
    app.router.add_get("/supervisor", board_page, name="web_supervisor")
    app.router.add_get("/supervisor/api/state", board_api)
    app.router.add_post("/supervisor/caps/{staff_id}", set_capacity)
    app.router.add_post("/supervisor/debriefs/{conversation_id}/done", debrief_done)
    app.router.add_get("/supervisor/conversations/{conversation_id}", transcript_page)
    app.router.add_post("/supervisor/requests/{conversation_id}/handled", request_handled)
    app.router.add_get("/supervisor/api/conversations/{conversation_id}/messages", transcript_api)
