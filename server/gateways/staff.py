"""``WS /ws/staff``: the counsellor/supervisor JSON socket (offers, chat, transfer, end).

Authenticated by the staff session cookie before the upgrade (401/403 as JSON). A
counsellor's first connection registers them with the core; when the last one closes their
conversations get the grace period.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import WSMsgType, web

from handoff import HOME_ORG, State
from handoff.exceptions import RemoteProtocolError, StateError
from handoff.protocol import (
    PROTOCOL_VERSION,
    Accept,
    Decline,
    ErrorCode,
    Pick,
    Refer,
    RequestSupervisor,
    StaffEnd,
    StaffMessage,
    StaffObjectiveAnswer,
    StaffObjectivePropose,
    StaffRead,
    StaffResume,
    StaffStatus,
    StaffTyping,
    Transfer,
    decode_json,
    parse_staff_frame,
)
from server import auth
from server.app import SETTINGS, json_error
from server.chat import repo
from server.gateways.authority import Grant
from server.gateways.common import (
    HUB,
    frame_loop,
    origin_allowed,
    rate,
    socket_options,
)
from server.gateways.connections import StaffConnection
from server.gateways.hub import Hub, new_id, profile_for, utcnow
from server.gateways.masking import require_masked_frames
from server.reports import objective

log = logging.getLogger("crossroads.gateways.staff")

STAFF_ROLES = ("counsellor", "supervisor")


async def staff_ws(request: web.Request) -> web.StreamResponse:
    """The staff socket."""
    settings = request.app[SETTINGS]
    if not origin_allowed(request, settings):
        return json_error(403, "origin_not_allowed", "This origin may not open the staff socket.")
    found = await auth.resolve_staff(request)
    if found is None:
        return json_error(401, "not_signed_in", "Sign in first.")
    staff_session, account = found
    if not any(role in account.roles for role in (*STAFF_ROLES, "admin")):
        return json_error(403, "forbidden", "Only counsellors and supervisors use the console.")
    assert account.id is not None
    hub = request.app[HUB]
    ws = web.WebSocketResponse(**socket_options(settings))
    await ws.prepare(request)
    per_second, burst = rate(settings)
    conn = StaffConnection(
        ws,
        rate=per_second,
        burst=burst,
        staff_id=account.id,
        display_name=account.display_name,
        roles=frozenset(account.roles),
        transport=request.transport,
        grant=Grant.of(staff_session, account),
        address=(request.remote or "unknown")[:64],
    )
    require_masked_frames(request, conn.close)
    first = hub.add_staff(conn)
    try:
        now = utcnow()
        partner = await repo.partner_of(hub.db, account.id)
        profile = profile_for(account, partner or HOME_ORG)
        events = []
        if first:
            # The status is chosen per sign-in: a new sign-in starts available (whatever the
            # last one ended with); a reconnect under the same sign-in keeps the choice.
            fresh = hub.status_sign_in.get(account.id) != staff_session.id
            hub.status_sign_in[account.id] = staff_session.id
            events = hub.core.counsellor_connected(
                profile, now, status="available" if fresh else None
            )
        await conn.send(await _welcome(hub, conn, now, staff_session.created_at))
        await hub.execute(events)
        await frame_loop(
            conn,
            data_type=WSMsgType.TEXT,
            parse=lambda data: parse_staff_frame(
                decode_json(data, max_bytes=settings.max_frame_bytes)
            ),
            handle=partial(_handle, hub, conn),
            error_ref=lambda frame: (
                getattr(frame, "client_id", None)
                or getattr(frame, "offer_id", None)
                or getattr(frame, "request_id", None)
            ),
            wrong_type="JSON text frames only",
            who="staff",
        )
    finally:
        await conn.closing_done()
        if hub.remove_staff(conn) and conn.staff_id in hub.core.counsellors:
            # The handler may be cancelled when the peer vanishes: run the follow-up
            # (grace period notices) as its own task so it always completes.
            hub.spawn(hub.execute(hub.core.counsellor_disconnected(conn.staff_id, utcnow())))
    return ws


async def _welcome(
    hub: Hub, conn: StaffConnection, now: datetime, signed_in_at: datetime
) -> dict[str, Any]:
    c = hub.core.counsellors.get(conn.staff_id)
    conversations = []
    for req in hub.core.requests.values():
        if req.counsellor_id == conn.staff_id and req.state in (State.ACTIVE, State.GRACE):
            assert req.conversation_id is not None
            conversations.append(
                {
                    "conversation_id": req.conversation_id,
                    "request_id": req.id,
                    "preferences": req.prefs.to_dict(),
                    "state": req.state.value,
                    "started_at": (req.matched_at or req.created_at).isoformat(),
                    "last_seq": await hub.store.last_seq(req.conversation_id),
                    "player_online": hub.player_online(req.session_id),
                }
            )
    viewer = hub.queue_viewer(conn)
    snapshot = hub.queue_snapshots([viewer], now)[viewer]
    settings = hub.settings
    return {
        "type": "welcome",
        "v": PROTOCOL_VERSION,
        "staff": {
            "id": conn.staff_id,
            "display_name": conn.display_name,
            "roles": sorted(conn.roles),
            "kind": c.profile.kind if c is not None and c.profile.capacity > 0 else None,
            "status": c.status if c is not None else "offline",
            # Which sign-in this is: the console keeps a status choice only within one.
            "signed_in_at": signed_in_at.isoformat(),
        },
        "conversations": conversations,
        "queue": snapshot["items"],
        "queue_total": snapshot["total"],
        "limits": {
            "frame_bytes": settings.max_frame_bytes,
            "text_chars": settings.max_message_chars,
            "messages_per_second": settings.messages_per_second,
        },
    }


async def _may_read(hub: Hub, conn: StaffConnection, conversation_id: str) -> bool:
    """The transcript page's rule (``server.web.access``), read through the socket; a read of
    a colleague's conversation is audited with the reader's address, like the page."""
    from server.storage.models import StaffAccount
    from server.web.access import can_read_conversation
    from server.web.common import audit

    async with hub.db.session() as session:
        account = await session.get(StaffAccount, conn.staff_id)
        if account is None:
            return False
        allowed = await can_read_conversation(
            session, staff=account, conversation_id=conversation_id
        )
        if not allowed:
            return False
        await audit(
            session,
            now=utcnow(),
            staff_id=conn.staff_id,
            action="transcript_read",
            target=conversation_id,
            ip=conn.address,
            detail={"via": "staff_socket_resume"},
        )
        await session.commit()
    return True


def _holder(hub: Hub, conn: StaffConnection, conversation_id: str) -> int | None:
    """The counsellor id to check ownership against (None: a supervisor acting on it)."""
    req = hub.core.request_for_conversation(conversation_id)
    if req is None:
        raise StateError("no such live conversation", code="unknown_conversation")
    if req.counsellor_id == conn.staff_id:
        return conn.staff_id
    if conn.is_supervisor:
        return None
    raise StateError("this conversation belongs to a colleague", code="not_your_conversation")


async def _handle(hub: Hub, conn: StaffConnection, frame: Any) -> None:
    sid = conn.staff_id
    now = utcnow()
    if isinstance(frame, StaffMessage):
        req = hub.core.request_for_conversation(frame.conversation_id)
        if req is None:
            raise StateError("no such live conversation", code="not_in_conversation")
        if req.counsellor_id != sid:
            raise StateError("this conversation is not yours", code="not_your_conversation")
        if len(frame.text) > hub.settings.max_message_chars:
            raise RemoteProtocolError("text too long", code=ErrorCode.TEXT_TOO_LONG)
        hub.send_message(
            conversation_id=frame.conversation_id,
            sender="counsellor",
            client_id=frame.client_id,
            text=frame.text,
            origin=conn,
            then=conn.finished,
        )
        conn.started()  # after the queueing: the commit's call-back cannot come before
        await conn.room()
    elif isinstance(frame, StaffTyping | StaffRead):
        req = hub.core.request_for_conversation(frame.conversation_id)
        if req is None or req.counsellor_id != sid:
            raise StateError("not your live conversation", code="not_in_conversation")
        await hub.relay_transient(frame.conversation_id, frame.model_dump(), to_player=True)
    elif isinstance(frame, StaffStatus):
        if sid not in hub.core.counsellors:
            raise StateError("unknown counsellor", code="unknown_counsellor")
        await hub.execute(hub.core.set_status(sid, frame.status, now))
    elif isinstance(frame, Accept):
        events = hub.core.accept(frame.offer_id, sid, now)
        await hub.execute(events)
        await objective.after_accept(hub, events)
    elif isinstance(frame, Decline):
        await hub.execute(hub.core.decline(frame.offer_id, sid, now))
    elif isinstance(frame, Pick):
        await hub.execute(hub.core.pick(frame.request_id, sid, now))
    elif isinstance(frame, StaffResume):
        row = await repo.session_conversation(hub.db, frame.conversation_id)
        if row is None:
            raise StateError("no such conversation", code="unknown_conversation")
        if row.counsellor_id != sid and not await _may_read(hub, conn, frame.conversation_id):
            raise StateError(
                "this conversation is not yours; a supervisor may read it once a supervisor "
                "is requested or after a safeguarding outcome",
                code="not_your_conversation",
            )
        await hub.resume(conn, frame.conversation_id, frame.last_seq)
        await objective.replay(hub, conn, frame.conversation_id)
    elif isinstance(frame, StaffEnd):
        holder = _holder(hub, conn, frame.conversation_id)
        if frame.objective_met is not None:
            await objective.mark_met(hub, frame.conversation_id, frame.objective_met)
        await hub.execute(
            hub.core.end(
                frame.conversation_id,
                now,
                by="counsellor",
                outcome=frame.outcome,
                counsellor_id=holder,
            )
        )
    elif isinstance(frame, Transfer):
        holder = _holder(hub, conn, frame.conversation_id)
        await hub.execute(
            hub.core.transfer(frame.conversation_id, frame.to_staff_id, now, by=holder)
        )
    elif isinstance(frame, Refer):
        holder = _holder(hub, conn, frame.conversation_id)
        if not await hub.partner_exists(frame.organisation_id):
            raise StateError("no such partner organisation", code="unknown_organisation")
        # A partner with counsellors here gets the player in its queue; any other partner
        # is a handover: the player is shown the partner's contact at once, never a wait.
        served = await repo.partner_has_counsellors(hub.db, frame.organisation_id)
        await hub.execute(
            hub.core.refer(
                frame.conversation_id,
                frame.organisation_id,
                new_id() if served else None,
                now,
                by=holder,
            )
        )
    elif isinstance(frame, StaffObjectivePropose | StaffObjectiveAnswer):
        await objective.staff_frame(hub, sid, frame)
    elif isinstance(frame, RequestSupervisor):
        _holder(hub, conn, frame.conversation_id)
        await hub.to_supervisors(
            {
                "type": "supervisor_requested",
                "conversation_id": frame.conversation_id,
                "by_staff_id": sid,
                "by_display_name": conn.display_name,
            }
        )
