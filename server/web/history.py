"""A counsellor's past conversations: ``GET /console/api/history`` lists their own ended
conversations (newest first, paged) and, with ``q``, searches the text of their own last
``SEARCH_SCOPE`` conversations.

Message text is encrypted at rest, so a search decrypts in the server process and never in
SQL. A search that shows text from a conversation is a read: each conversation it returns is
audited (``transcript_read``, ``via: history_search``) like opening its transcript; the query
itself is not stored. Opening one goes to the transcript page, which audits that read too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlmodel import col, func, select

from server.chat.models import ChatMessage, Conversation
from server.web.access import conversation_messages
from server.web.common import JSONError, api_staff, audit_request, db_of

PAGE_SIZE = 20
SEARCH_SCOPE = 200
MAX_QUERY = 100


def _snippet(text: str, needle: str) -> str:
    at = text.lower().find(needle)
    start = max(0, at - 30)
    end = min(len(text), at + len(needle) + 40)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


async def history(request: web.Request) -> web.Response:
    """``GET /console/api/history?q=&before=``: my ended conversations, optionally searched."""
    account = await api_staff(request, "counsellor")
    query = request.query.get("q", "").strip()
    if len(query) > MAX_QUERY:
        raise JSONError(400, "invalid_field", f"Search for at most {MAX_QUERY} characters.")
    before_text = request.query.get("before", "")
    before: datetime | None = None
    if before_text:
        try:
            before = datetime.fromisoformat(before_text)
        except ValueError as exc:
            raise JSONError(400, "invalid_field", "'before' must be an ISO time.") from exc
    async with db_of(request).session() as session:
        statement = (
            select(Conversation)
            .where(
                Conversation.counsellor_id == account.id,
                col(Conversation.ended_at).is_not(None),
            )
            .order_by(col(Conversation.ended_at).desc())
        )
        if before is not None:
            statement = statement.where(col(Conversation.ended_at) < before)
        rows = list(
            (await session.exec(statement.limit(SEARCH_SCOPE if query else PAGE_SIZE))).all()
        )
        counts = dict(
            (
                await session.exec(
                    select(ChatMessage.conversation_id, func.count())
                    .where(col(ChatMessage.conversation_id).in_([r.id for r in rows]))
                    .group_by(ChatMessage.conversation_id)
                )
            ).all()
        )
        found: list[dict[str, Any]] = []
        needle = query.lower()
        for conv in rows:
            item: dict[str, Any] = {
                "conversation_id": conv.id,
                "started_at": conv.started_at.isoformat(),
                "ended_at": conv.ended_at.isoformat() if conv.ended_at else None,
                "outcome": conv.outcome,
                "messages": int(counts.get(conv.id, 0)),
            }
            if needle:
                messages = await conversation_messages(
                    session, app=request.app, conversation_id=conv.id
                )
                hit = next((m for m in messages if needle in m["text"].lower()), None)
                if hit is None:
                    continue
                item["snippet"] = _snippet(hit["text"], needle)
                await audit_request(
                    session,
                    request,
                    staff_id=account.id,
                    action="transcript_read",
                    target=conv.id,
                    detail={"via": "history_search"},
                )
            found.append(item)
            if len(found) == PAGE_SIZE:
                break
        await session.commit()
    more = len(found) == PAGE_SIZE and found[-1]["ended_at"] is not None
    return web.json_response(
        {"conversations": found, "next_before": found[-1]["ended_at"] if more else None}
    )


def setup_routes(app: web.Application) -> None:
    """Register the history endpoint."""
    app.router.add_get("/console/api/history", history)
