"""Who may read which conversation, and reading it (for notes, transcripts and the board).

A counsellor reads the conversations they hold. A supervisor reads a conversation once a
supervisor was requested on it, or after it ended with a safeguarding outcome (for the
debrief). Conversations live in the handoff tables (``server.chat.models``); this module is
the web area's only reader of them. Message bodies are decrypted with the transcript key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.chat.message_cipher import MessageCipher
from server.chat.models import ChatMessage, Conversation
from server.storage.models import StaffAccount
from server.web.models import SupervisorRequest, utcnow

LIVE_STATES = ("active", "grace")


async def open_supervisor_request(
    session: AsyncSession, *, conversation_id: str
) -> SupervisorRequest | None:
    """The open (not yet handled) supervisor request of a conversation, if any."""
    return (
        await session.exec(
            select(SupervisorRequest)
            .where(
                SupervisorRequest.conversation_id == conversation_id,
                col(SupervisorRequest.handled_at).is_(None),
            )
            .order_by(col(SupervisorRequest.id).desc())
        )
    ).first()


async def can_read_conversation(
    session: AsyncSession,
    *,
    app: web.Application | None = None,
    staff: StaffAccount,
    conversation_id: str,
) -> bool | None:
    """True/False for an existing conversation, None when there is no such conversation.

    The one rule for every way of reading a conversation: the transcript page and API, the
    notes, and a ``resume`` on the staff socket."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        return None
    if staff.id is not None and conversation.counsellor_id == staff.id:
        return True
    if not staff.has_role("supervisor"):
        return False
    if conversation.outcome == "safeguarding":
        return True
    any_request = (
        await session.exec(
            select(SupervisorRequest).where(SupervisorRequest.conversation_id == conversation_id)
        )
    ).first()
    return any_request is not None


def _cipher(app: web.Application) -> MessageCipher:
    from server.app import SETTINGS

    settings = app[SETTINGS]
    return MessageCipher(settings.transcript_key, settings.transcript_keys_previous)


async def conversation_messages(
    session: AsyncSession, *, app: web.Application, conversation_id: str, after: int = 0
) -> list[dict[str, Any]]:
    """Messages with seq > ``after``, in order: ``{"seq", "sender", "text", "at"}``."""
    cipher = _cipher(app)
    rows = (
        await session.exec(
            select(ChatMessage)
            .where(ChatMessage.conversation_id == conversation_id, ChatMessage.seq > after)
            .order_by(col(ChatMessage.seq))
        )
    ).all()
    out = []
    for row in rows:
        text = cipher.read(conversation_id, bytes(row.body))
        out.append(
            {
                "seq": row.seq,
                "sender": row.sender,
                "text": text,
                "at": row.at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            }
        )
    return out


async def supervisor_requests(
    session: AsyncSession, *, app: web.Application, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Live conversations waiting for a supervisor (oldest first)."""
    now = now or utcnow()
    rows = (
        await session.exec(
            select(SupervisorRequest, Conversation)
            .join(Conversation, col(Conversation.id) == col(SupervisorRequest.conversation_id))
            .where(
                col(SupervisorRequest.handled_at).is_(None),
                col(Conversation.state).in_(LIVE_STATES),
            )
            .order_by(col(SupervisorRequest.requested_at))
        )
    ).all()
    seen: set[str] = set()
    out = []
    for request, conversation in rows:
        if conversation.id in seen:
            continue
        seen.add(conversation.id)
        requested = request.requested_at or now
        out.append(
            {
                "conversation_id": conversation.id,
                "counsellor_id": conversation.counsellor_id,
                "requested_by": request.requested_by,
                "waiting_seconds": max(0, int((now - requested).total_seconds())),
                "seen": request.seen_at is not None,
            }
        )
    return out


async def safeguarding_conversations(
    session: AsyncSession, *, app: web.Application
) -> list[dict[str, Any]]:
    """Conversations that ended with a safeguarding outcome."""
    rows = (
        await session.exec(select(Conversation).where(Conversation.outcome == "safeguarding"))
    ).all()
    return [
        {"conversation_id": c.id, "counsellor_id": c.counsellor_id, "ended_at": c.ended_at}
        for c in rows
    ]
