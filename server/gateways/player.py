"""``WS /ws/player``: the player's msgpack socket (hello, consent, queue, chat, erase).

Thin shell: decode and validate at the edge (handoff.protocol), call the hub, answer errors
with stable codes. Each connection is removed in a ``finally``; bad input from one player
never touches another.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import WSMsgType, web

from handoff import HOME_ORG, Preferences, State
from handoff.exceptions import RemoteProtocolError, StateError
from handoff.protocol import (
    PROTOCOL_VERSION,
    CancelBooking,
    CloseCode,
    Consent,
    Erase,
    ErrorCode,
    Feedback,
    Hello,
    LeaveQueue,
    ObjectiveAnswer,
    ObjectivePropose,
    PlayerEnd,
    PlayerMessage,
    PlayerRead,
    PlayerResume,
    PlayerTyping,
    decode_msgpack,
    parse_player_frame,
)
from server import auth
from server.app import DB, SETTINGS, json_error
from server.chat import repo
from server.gateways.common import (
    HUB,
    frame_loop,
    origin_allowed,
    rate,
    refuse,
    socket_options,
)
from server.gateways.connections import PlayerConnection
from server.gateways.hub import Hub, new_id, profile_for, utcnow
from server.gateways.masking import require_masked_frames
from server.reports import objective

log = logging.getLogger("crossroads.gateways.player")

HELLO_TIMEOUT = 10.0


async def player_ws(request: web.Request) -> web.StreamResponse:
    """The player socket."""
    settings = request.app[SETTINGS]
    if not origin_allowed(request, settings):
        return json_error(403, "origin_not_allowed", "This origin may not open the player socket.")
    hub = request.app[HUB]
    ws = web.WebSocketResponse(**socket_options(settings))
    await ws.prepare(request)
    per_second, burst = rate(settings)
    conn = PlayerConnection(ws, rate=per_second, burst=burst, transport=request.transport)
    require_masked_frames(request, conn.close)
    try:
        if await _hello(request, hub, conn):
            await frame_loop(
                conn,
                data_type=WSMsgType.BINARY,
                parse=lambda data: parse_player_frame(
                    decode_msgpack(data, max_bytes=settings.max_frame_bytes)
                ),
                handle=partial(_handle, hub, conn),
                error_ref=lambda frame: getattr(frame, "client_id", None),
                wrong_type="binary msgpack frames only",
                who="player",
            )
    finally:
        await conn.closing_done()
        if conn.session_id:
            hub.remove_player(conn)
    return ws


async def _hello(request: web.Request, hub: Hub, conn: PlayerConnection) -> bool:
    """Wait for ``hello``, authenticate, register. False when the socket was closed."""
    settings = request.app[SETTINGS]
    try:
        msg = await conn.ws.receive(timeout=HELLO_TIMEOUT)
    except TimeoutError:
        await refuse(conn, ErrorCode.HELLO_REQUIRED, "no hello in time", CloseCode.HELLO_TIMEOUT)
        return False
    if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
        return False
    if msg.type != WSMsgType.BINARY:
        await conn.close(CloseCode.UNSUPPORTED_DATA, "binary msgpack frames only")
        return False
    try:
        frame = parse_player_frame(decode_msgpack(msg.data, max_bytes=settings.max_frame_bytes))
    except RemoteProtocolError as exc:
        await refuse(conn, exc.code, exc.message, exc.close_code or CloseCode.HELLO_REQUIRED)
        return False
    if not isinstance(frame, Hello):
        await refuse(
            conn,
            ErrorCode.HELLO_REQUIRED,
            "the first frame must be hello",
            CloseCode.HELLO_REQUIRED,
        )
        return False
    if frame.v != PROTOCOL_VERSION:
        await refuse(
            conn,
            ErrorCode.UNSUPPORTED_VERSION,
            f"protocol version {PROTOCOL_VERSION} only",
            CloseCode.UNSUPPORTED_VERSION,
        )
        return False
    session = await auth.player_session_for_token(request.app[DB], frame.token)
    if session is None:
        await refuse(conn, ErrorCode.UNAUTHENTICATED, "unknown token", CloseCode.UNAUTHENTICATED)
        return False
    if hub.player_connections(session.id) >= settings.max_connections_per_token:
        await refuse(
            conn,
            ErrorCode.TOO_MANY_CONNECTIONS,
            "too many connections for this session",
            CloseCode.TOO_MANY_CONNECTIONS,
        )
        return False
    conn.session_id = session.id
    hub.add_player(conn)
    now = utcnow()
    await conn.send(await _welcome(hub, session.id, now))
    await conn.send((await hub.service.info(now)).frame())
    await hub.enqueue_due_bookings(now, session_id=session.id)
    return True


async def _welcome(hub: Hub, session_id: str, now: datetime) -> dict[str, Any]:
    settings = hub.settings
    state: dict[str, Any] = {"phase": "idle"}
    req = hub.core.request_for_session(session_id)
    if req is not None and req.state in (State.WAITING, State.OFFERED):
        position = hub.core.position(req.id)
        state = {
            "phase": "queued",
            "request_id": req.id,
            "position": position,
            "estimate_seconds": hub.core.estimate(req.id, now, position=position),
            "conversation_id": req.conversation_id,
        }
    elif req is not None and req.conversation_id is not None and req.counsellor_id is not None:
        profile = hub.core.counsellors[req.counsellor_id].profile
        state = {
            "phase": "conversation",
            "request_id": req.id,
            "conversation_id": req.conversation_id,
            "counsellor": {"display_name": profile.display_name, "kind": profile.kind},
            "counsellor_present": req.state is State.ACTIVE,
            "last_seq": await hub.store.last_seq(req.conversation_id),
        }
    else:
        booking = await repo.active_booking(hub.db, session_id)
        if booking is not None:
            state = {
                "phase": "booked",
                "booking_id": booking.id,
                "slot": booking.slot_at.isoformat(),
            }
    return {
        "type": "welcome",
        "v": PROTOCOL_VERSION,
        "session_id": session_id,
        "state": state,
        "limits": {
            "frame_bytes": settings.max_frame_bytes,
            "text_chars": settings.max_message_chars,
            "messages_per_second": settings.messages_per_second,
        },
    }


def _conversation(hub: Hub, session_id: str) -> tuple[str, str]:
    """(request id, conversation id) of the player's live conversation, or an error."""
    req = hub.core.request_for_session(session_id)
    if req is None or req.state not in (State.ACTIVE, State.GRACE) or not req.conversation_id:
        raise StateError("you are not in a conversation", code="not_in_conversation")
    return req.id, req.conversation_id


async def _handle(hub: Hub, conn: PlayerConnection, frame: Any) -> None:
    sid = conn.session_id
    if isinstance(frame, PlayerMessage):
        _, conv = _conversation(hub, sid)
        if len(frame.text) > hub.settings.max_message_chars:
            raise RemoteProtocolError("text too long", code=ErrorCode.TEXT_TOO_LONG)
        hub.send_message(
            conversation_id=conv,
            sender="player",
            client_id=frame.client_id,
            text=frame.text,
            origin=conn,
            then=conn.finished,
        )
        conn.started()  # after the queueing: the commit's call-back cannot come before
        await conn.room()
    elif isinstance(frame, PlayerTyping | PlayerRead):
        _, conv = _conversation(hub, sid)
        out = frame.model_dump()
        out["conversation_id"] = conv
        await hub.relay_transient(conv, out, to_player=False)
    elif isinstance(frame, PlayerResume):
        row = await repo.session_conversation(hub.db, frame.conversation_id)
        if row is None or row.session_id != sid:
            raise StateError("no such conversation", code="unknown_conversation")
        await hub.resume(conn, frame.conversation_id, frame.last_seq)
        await objective.replay(hub, conn, frame.conversation_id)
    elif isinstance(frame, Consent):
        await _consent(hub, conn, frame)
    elif isinstance(frame, LeaveQueue):
        req = hub.core.request_for_session(sid)
        if req is None or req.state not in (State.WAITING, State.OFFERED):
            raise StateError("you are not waiting in a queue", code="not_queued")
        await hub.execute(hub.core.leave(req.id, utcnow()))
    elif isinstance(frame, PlayerEnd):
        req = hub.core.request_for_session(sid)
        if req is None:
            raise StateError("nothing to end", code="not_in_conversation")
        if req.state in (State.WAITING, State.OFFERED):
            await hub.execute(hub.core.leave(req.id, utcnow()))
        else:
            assert req.conversation_id is not None
            await hub.execute(
                hub.core.end(req.conversation_id, utcnow(), by="player", outcome="player_ended")
            )
    elif isinstance(frame, Erase):
        await erase_and_close(hub, sid)
    elif isinstance(frame, CancelBooking):
        booking = await repo.active_booking(hub.db, sid)
        if booking is None or booking.id != frame.booking_id:
            raise StateError("no such booking", code="unknown_booking")
        await hub.store.submit(
            partial(repo.update_booking, booking_id=frame.booking_id, state="cancelled")
        )
        await conn.send({"type": "booking_cancelled", "booking_id": frame.booking_id})
    elif isinstance(frame, ObjectivePropose | ObjectiveAnswer | Feedback):
        reply = await objective.player_frame(hub, sid, frame)
        if reply is not None:
            await conn.send(reply)
    elif isinstance(frame, Hello):
        raise StateError("already said hello", code="invalid_state")


async def erase_and_close(hub: Hub, session_id: str) -> dict[str, int]:
    """Erase a session's data, tell its sockets, close them with 4010."""
    counts = await hub.erase(session_id)
    conns = list(hub.players.get(session_id, {}).values())
    for c in conns:
        await c.send({"type": "erased"})
    await asyncio.gather(*(c.close(CloseCode.ERASED, "erased") for c in conns))
    return counts


async def _offer_ok(hub: Hub, frame: Consent) -> bool:
    """The consent names a stored, published bundle and an offer id/version inside it."""
    import json

    import sqlalchemy as sa

    cache = hub.offer_versions
    offers = cache.get(frame.bundle_hash)
    if offers is None:
        async with hub.db.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.text(
                        "SELECT b.body FROM content_bundle b WHERE b.hash = :h AND EXISTS "
                        "(SELECT 1 FROM publication p WHERE p.bundle_hash = b.hash "
                        "AND p.action = 'publish')"
                    ),
                    {"h": frame.bundle_hash},
                )
            ).first()
        if row is None:
            return False
        try:
            data = json.loads(row.body)
            offers = {k: int(v.get("version", 0)) for k, v in data.get("offers", {}).items()}
        except (ValueError, AttributeError, TypeError):
            offers = {}
        cache[frame.bundle_hash] = offers
    return offers.get(frame.offer_id) == frame.offer_version


async def _consent(hub: Hub, conn: PlayerConnection, frame: Consent) -> None:
    sid = conn.session_id
    if frame.consent is not True:
        raise StateError("consent must be an explicit yes", code="consent_required")
    if hub.core.request_for_session(sid) is not None:
        raise StateError("you already have a request", code="already_queued")
    prefs = Preferences.from_dict(frame.choices.model_dump())
    if not await _offer_ok(hub, frame):
        raise StateError(
            "that offer text is not a published one; update the content", code="unknown_offer"
        )
    now = utcnow()
    consent_values: dict[str, Any] = {
        "session_id": sid,
        "at": now,
        "bundle_hash": frame.bundle_hash,
        "offer_id": frame.offer_id,
        "offer_version": frame.offer_version,
        "choices": frame.choices.model_dump(),
    }
    if prefs.format == "booking":
        await _book(hub, conn, frame, prefs, consent_values, now)
        return
    info = await hub.service.info(now, with_slots=True)
    reachable = any(c.connected for c in hub.core.counsellors.values())
    if not info.open and not (prefs.crisis and reachable):
        await conn.send(
            {
                "type": "error",
                "code": "service_closed",
                "message": "the service is closed now; see the hours or book a slot",
                "ref": None,
            }
        )
        await conn.send(info.frame())
        return
    if not await _serviceable(hub, prefs):
        raise StateError(
            "No counsellor of this service speaks that language or is of the kind you insisted "
            "on. Choose other options, or see the helplines.",
            code="no_counsellor",
        )
    events = hub.core.request(new_id(), sid, prefs, now)
    consent = hub.store.submit(partial(repo.insert_consent, **consent_values))
    await hub.execute(events)
    await consent


async def _serviceable(hub: Hub, prefs: Preferences) -> bool:
    """Whether any counsellor account of the home organisation could ever take such a request
    (language, an insisted kind), connected or not: nobody waits in a queue no one serves."""
    if hub.core.serviceable(prefs, HOME_ORG):
        return True
    from sqlmodel import select

    from server.storage.models import StaffAccount

    async with hub.db.session() as session:
        accounts = (await session.exec(select(StaffAccount))).all()
    members = await repo.partner_members(hub.db)
    return any(
        profile_for(a).capacity > 0 and profile_for(a).can_serve(prefs, HOME_ORG)
        for a in accounts
        if a.id not in members
    )


async def _book(
    hub: Hub,
    conn: PlayerConnection,
    frame: Consent,
    prefs: Preferences,
    consent_values: dict[str, Any],
    now: datetime,
) -> None:
    if frame.slot is None:
        raise RemoteProtocolError("a booking needs a slot", code=ErrorCode.MISSING_FIELD)
    try:
        slot = datetime.fromisoformat(frame.slot)
    except ValueError:
        raise RemoteProtocolError("slot is not an ISO time", code=ErrorCode.INVALID_FIELD) from None
    if slot.tzinfo is None:
        raise RemoteProtocolError("slot needs a timezone", code=ErrorCode.INVALID_FIELD)
    info = await hub.service.info(now)
    if slot not in info.slots and info.hours:
        raise StateError("that slot cannot be booked", code="slot_unavailable")
    if await repo.active_booking(hub.db, conn.session_id) is not None:
        raise StateError("you already have a booking", code="already_queued")
    booking_id = new_id()
    booked = hub.store.submit(
        partial(
            repo.book_if_room,
            capacity=await hub.slot_capacity(slot),
            consent=consent_values,
            booking_id=booking_id,
            session_id=conn.session_id,
            organisation="home",
            slot_at=slot,
            preferences=prefs.to_dict(),
            created_at=now,
        )
    )
    if not await booked:
        raise StateError("that slot is full", code="slot_unavailable")
    await conn.send({"type": "booked", "booking_id": booking_id, "slot": slot.isoformat()})


async def delete_session_handler(request: web.Request) -> web.Response:
    """``DELETE /api/v1/sessions/me``: erase everything tied to the bearer token."""
    token = auth.bearer_token(request)
    session = await auth.player_session_for_token(request.app[DB], token)
    if session is None:
        return json_error(401, "unauthenticated", "Send the session token as a Bearer token.")
    counts = await erase_and_close(request.app[HUB], session.id)
    return web.json_response({"erased": counts})
