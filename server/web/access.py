"""Who may read which conversation, and reading it (for notes, transcripts and the board).

A counsellor reads the conversations they hold or held; a supervisor reads a conversation once
a supervisor was requested on it or after it ended with a safeguarding outcome. Conversations
themselves live in the handoff area's tables; this module is the web area's only reader.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from server.storage.models import StaffAccount


async def can_read_conversation(
    session: AsyncSession, *, app: web.Application, staff: StaffAccount, conversation_id: str
) -> bool | None:
    """True/False for an existing conversation, None when there is no such conversation."""
    return None


async def conversation_messages(
    session: AsyncSession, *, app: web.Application, conversation_id: str
) -> list[dict[str, Any]]:
    """The conversation's messages in order: ``{"seq", "sender", "text", "at"}``."""
    return []


async def supervisor_requests(
    session: AsyncSession, *, app: web.Application
) -> list[dict[str, Any]]:
    """Live conversations waiting for a supervisor."""
    return []


async def safeguarding_conversations(
    session: AsyncSession, *, app: web.Application
) -> list[dict[str, Any]]:
    """Conversations that ended with a safeguarding outcome."""
    return []
