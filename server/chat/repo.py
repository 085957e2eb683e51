"""Keyword-only write and read functions on the handoff tables (SQLAlchemy Core).

Writes take an ``AsyncConnection`` so the group-commit writer can run them inside its batch
transaction; reads open their own connection.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from server.chat.models import (
    Booking,
    ChatMessage,
    ConsentRecord,
    Conversation,
    HelpRequest,
    PartnerMembership,
)
from server.storage.db import Database
from server.storage.models import PlayerSession

REQ = HelpRequest.__table__  # type: ignore[attr-defined]
CONV = Conversation.__table__  # type: ignore[attr-defined]
MSG = ChatMessage.__table__  # type: ignore[attr-defined]
CONSENT = ConsentRecord.__table__  # type: ignore[attr-defined]
BOOKING = Booking.__table__  # type: ignore[attr-defined]
MEMBER = PartnerMembership.__table__  # type: ignore[attr-defined]
SESSION = PlayerSession.__table__  # type: ignore[attr-defined]


async def insert_consent(
    conn: AsyncConnection,
    *,
    session_id: str,
    at: datetime,
    bundle_hash: str,
    offer_id: str,
    offer_version: int,
    choices: dict[str, Any],
) -> None:
    """Record an explicit opt-in (and nothing else about the player)."""
    await conn.execute(
        CONSENT.insert().values(
            session_id=session_id,
            at=at,
            bundle_hash=bundle_hash,
            offer_id=offer_id,
            offer_version=offer_version,
            choices=choices,
        )
    )


async def insert_request(
    conn: AsyncConnection,
    *,
    request_id: str,
    session_id: str,
    organisation: str,
    preferences: dict[str, Any],
    priority: int,
    queue_seq: int,
    created_at: datetime,
    booking_id: str | None = None,
) -> None:
    """A new waiting request."""
    await conn.execute(
        REQ.insert().values(
            id=request_id,
            session_id=session_id,
            organisation=organisation,
            preferences=preferences,
            priority=priority,
            queue_seq=queue_seq,
            state="waiting",
            created_at=created_at,
            booking_id=booking_id,
        )
    )


async def update_request(conn: AsyncConnection, *, request_id: str, **values: Any) -> None:
    """Change columns of a request."""
    await conn.execute(REQ.update().where(REQ.c.id == request_id).values(**values))


async def upsert_conversation(
    conn: AsyncConnection,
    *,
    conversation_id: str,
    request_id: str,
    session_id: str,
    organisation: str,
    counsellor_id: int,
    started_at: datetime,
) -> None:
    """Create the conversation at its first match, or hand it to a new counsellor."""
    updated = await conn.execute(
        CONV.update()
        .where(CONV.c.id == conversation_id)
        .values(counsellor_id=counsellor_id, state="active")
    )
    if updated.rowcount == 0:
        await conn.execute(
            CONV.insert().values(
                id=conversation_id,
                request_id=request_id,
                session_id=session_id,
                organisation=organisation,
                counsellor_id=counsellor_id,
                state="active",
                started_at=started_at,
            )
        )


async def update_conversation(
    conn: AsyncConnection, *, conversation_id: str, **values: Any
) -> None:
    """Change columns of a conversation."""
    await conn.execute(CONV.update().where(CONV.c.id == conversation_id).values(**values))


async def insert_booking(
    conn: AsyncConnection,
    *,
    booking_id: str,
    session_id: str,
    organisation: str,
    slot_at: datetime,
    preferences: dict[str, Any],
    created_at: datetime,
) -> None:
    """An anonymous booking bound to the session."""
    await conn.execute(
        BOOKING.insert().values(
            id=booking_id,
            session_id=session_id,
            organisation=organisation,
            slot_at=slot_at,
            preferences=preferences,
            state="booked",
            created_at=created_at,
        )
    )


async def update_booking(conn: AsyncConnection, *, booking_id: str, **values: Any) -> None:
    """Change columns of a booking."""
    await conn.execute(BOOKING.update().where(BOOKING.c.id == booking_id).values(**values))


async def _delete_notes(conn: AsyncConnection, conversation_ids: Any) -> int:
    """Counsellors' private notes are about the player: they go with the conversation.

    The notes table belongs to the staff area (migration 0003); a bare database has none.
    """
    exists = await conn.run_sync(lambda c: sa.inspect(c).has_table("conversation_note"))
    if not exists:
        return 0
    notes = sa.table("conversation_note", sa.column("conversation_id"))
    result = await conn.execute(notes.delete().where(notes.c.conversation_id.in_(conversation_ids)))
    return int(result.rowcount)


async def erase_session(
    conn: AsyncConnection, *, session_id: str, delete_session: bool = True
) -> dict[str, int]:
    """Delete everything tied to a player session; returns how many rows of each kind."""
    conv_ids = sa.select(CONV.c.id).where(CONV.c.session_id == session_id)
    counts: dict[str, int] = {}
    counts["notes"] = await _delete_notes(conn, conv_ids)
    counts["messages"] = (
        await conn.execute(MSG.delete().where(MSG.c.conversation_id.in_(conv_ids)))
    ).rowcount
    counts["conversations"] = (
        await conn.execute(CONV.delete().where(CONV.c.session_id == session_id))
    ).rowcount
    counts["requests"] = (
        await conn.execute(REQ.delete().where(REQ.c.session_id == session_id))
    ).rowcount
    counts["consent_records"] = (
        await conn.execute(CONSENT.delete().where(CONSENT.c.session_id == session_id))
    ).rowcount
    counts["bookings"] = (
        await conn.execute(BOOKING.delete().where(BOOKING.c.session_id == session_id))
    ).rowcount
    if delete_session:
        await conn.execute(SESSION.delete().where(SESSION.c.id == session_id))
    return counts


async def purge_before(conn: AsyncConnection, *, cutoff: datetime) -> dict[str, int]:
    """Retention: delete conversations (and messages) ended before ``cutoff``, finished
    requests, old bookings, and consent records of sessions with nothing left."""
    old = sa.select(CONV.c.id).where(CONV.c.state == "ended").where(CONV.c.ended_at < cutoff)
    counts: dict[str, int] = {}
    counts["notes"] = await _delete_notes(conn, old)
    counts["messages"] = (
        await conn.execute(MSG.delete().where(MSG.c.conversation_id.in_(old)))
    ).rowcount
    counts["conversations"] = (
        await conn.execute(
            CONV.delete().where(CONV.c.state == "ended").where(CONV.c.ended_at < cutoff)
        )
    ).rowcount
    counts["requests"] = (
        await conn.execute(
            REQ.delete()
            .where(REQ.c.state.in_(("ended", "left", "referred")))
            .where(REQ.c.ended_at < cutoff)
        )
    ).rowcount
    counts["bookings"] = (
        await conn.execute(
            BOOKING.delete()
            .where(BOOKING.c.state.in_(("cancelled", "expired", "queued")))
            .where(BOOKING.c.slot_at < cutoff)
        )
    ).rowcount
    live = sa.select(REQ.c.session_id).where(REQ.c.state.notin_(("ended", "left", "referred")))
    counts["consent_records"] = (
        await conn.execute(
            CONSENT.delete().where(CONSENT.c.at < cutoff).where(CONSENT.c.session_id.notin_(live))
        )
    ).rowcount
    return counts


async def live_requests(db: Database) -> list[Any]:
    """Requests that were waiting or in a conversation when the server stopped, in order."""
    async with db.engine.connect() as conn:
        return list(
            (
                await conn.execute(
                    sa.select(REQ, CONV.c.started_at)
                    .select_from(REQ.outerjoin(CONV, CONV.c.id == REQ.c.conversation_id))
                    .where(REQ.c.state.in_(("waiting", "active")))
                    .order_by(REQ.c.priority, REQ.c.queue_seq)
                )
            ).all()
        )


async def partner_of(db: Database, staff_id: int) -> str | None:
    """The partner organisation key a staff account counsels for, if any."""
    async with db.engine.connect() as conn:
        value = (
            await conn.execute(sa.select(MEMBER.c.partner_key).where(MEMBER.c.staff_id == staff_id))
        ).scalar()
    return str(value) if value is not None else None


async def partner_members(db: Database) -> set[int]:
    """Ids of staff accounts that counsel for a partner organisation (not the home one)."""
    async with db.engine.connect() as conn:
        return {int(v) for v in (await conn.execute(sa.select(MEMBER.c.staff_id))).scalars()}


async def partner_has_counsellors(db: Database, partner_key: str) -> bool:
    """Whether an active counsellor account on this server counsels for ``partner_key``.

    A referral to a partner without one would be a wait in a queue nobody serves, so the
    shell hands the player over to the partner's own contact instead.
    """
    from server.storage.models import StaffAccount

    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(StaffAccount.__table__.c.roles)  # type: ignore[attr-defined]
                .join(MEMBER, MEMBER.c.staff_id == StaffAccount.__table__.c.id)  # type: ignore[attr-defined]
                .where(MEMBER.c.partner_key == partner_key)
                .where(StaffAccount.__table__.c.active.is_(True))  # type: ignore[attr-defined]
            )
        ).scalars()
        return any("counsellor" in (roles or []) for roles in rows)


async def session_conversation(db: Database, conversation_id: str) -> Any | None:
    """The conversation row (any state), for ownership checks on resume."""
    async with db.engine.connect() as conn:
        return (await conn.execute(sa.select(CONV).where(CONV.c.id == conversation_id))).first()


async def active_booking(db: Database, session_id: str) -> Any | None:
    """The session's booking that is still to come (booked or due)."""
    async with db.engine.connect() as conn:
        return (
            await conn.execute(
                sa.select(BOOKING)
                .where(BOOKING.c.session_id == session_id)
                .where(BOOKING.c.state.in_(("booked", "due")))
                .order_by(BOOKING.c.slot_at)
            )
        ).first()


async def bookings_due(db: Database, *, now: datetime) -> list[Any]:
    """Bookings whose slot has started and that have not entered the queue yet."""
    async with db.engine.connect() as conn:
        return list(
            (
                await conn.execute(
                    sa.select(BOOKING)
                    .where(BOOKING.c.state.in_(("booked", "due")))
                    .where(BOOKING.c.slot_at <= now)
                    .order_by(BOOKING.c.slot_at)
                )
            ).all()
        )


async def bookings_to_remind(db: Database, *, now: datetime, until: datetime) -> list[Any]:
    """Booked slots starting after ``now`` and by ``until`` whose player was not reminded."""
    async with db.engine.connect() as conn:
        return list(
            (
                await conn.execute(
                    sa.select(BOOKING)
                    .where(BOOKING.c.state == "booked")
                    .where(BOOKING.c.reminded_at.is_(None))
                    .where(BOOKING.c.slot_at > now)
                    .where(BOOKING.c.slot_at <= until)
                    .order_by(BOOKING.c.slot_at)
                )
            ).all()
        )


async def upcoming_bookings(
    db: Database, *, now: datetime, until: datetime
) -> list[tuple[datetime, str, int]]:
    """``(slot start, organisation, bookings)`` of slots with live bookings from the current
    slot (started up to 30 minutes ago) until ``until``, earliest first. No player data."""
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(BOOKING.c.slot_at, BOOKING.c.organisation, sa.func.count())
                .where(BOOKING.c.state.in_(("booked", "due")))
                .where(BOOKING.c.slot_at > now - timedelta(minutes=30))
                .where(BOOKING.c.slot_at <= until)
                .group_by(BOOKING.c.slot_at, BOOKING.c.organisation)
                .order_by(BOOKING.c.slot_at, BOOKING.c.organisation)
            )
        ).all()
    return [(slot, organisation, int(n)) for slot, organisation, n in rows]


async def book_if_room(
    conn: AsyncConnection,
    *,
    capacity: int,
    consent: dict[str, Any],
    booking_id: str,
    session_id: str,
    organisation: str,
    slot_at: datetime,
    preferences: dict[str, Any],
    created_at: datetime,
) -> bool:
    """Store the consent record and the booking together, unless the slot is already full.

    Runs inside the single writer, so the count and the insert cannot interleave with another
    booking: two players can never both take the last place of a slot. False = full.
    """
    taken = (
        await conn.execute(
            sa.select(sa.func.count())
            .select_from(BOOKING)
            .where(BOOKING.c.slot_at == slot_at)
            .where(BOOKING.c.state.in_(("booked", "due")))
        )
    ).scalar()
    if int(taken or 0) >= capacity:
        return False
    await insert_consent(conn, **consent)
    await insert_booking(
        conn,
        booking_id=booking_id,
        session_id=session_id,
        organisation=organisation,
        slot_at=slot_at,
        preferences=preferences,
        created_at=created_at,
    )
    return True


async def recent_handling_times(
    db: Database, *, since: datetime, limit: int = 50
) -> list[tuple[datetime, float]]:
    """(ended_at, seconds) of conversations that ended after ``since``, newest last."""
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(CONV.c.started_at, CONV.c.ended_at)
                .where(CONV.c.state == "ended")
                .where(CONV.c.ended_at >= since)
                .order_by(CONV.c.ended_at.desc())
                .limit(limit)
            )
        ).all()
    return [(r.ended_at, (r.ended_at - r.started_at).total_seconds()) for r in reversed(rows)]
