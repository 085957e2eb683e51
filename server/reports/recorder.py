"""Turn handoff events into report rows, inside the chat store's ordered write queue.

Called from the hub's ``_persist`` for every event, right after the hub's own writes for it,
so a row is written in the same ordered batch as the state change it describes (and, for a
finished request, after every message of its conversation).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from handoff.events import Ended, HandoffEvent, Left, Matched, OfferExpired, OfferMade, Referred
from handoff.reports.measures import COMPLETED_OUTCOMES, summarise_messages
from server.chat.models import ChatMessage, Conversation, HelpRequest
from server.reports.models import ObjectiveStep, ReportOffer, ReportRequest

OFFER = ReportOffer.__table__  # type: ignore[attr-defined]
REPORT = ReportRequest.__table__  # type: ignore[attr-defined]
STEP = ObjectiveStep.__table__  # type: ignore[attr-defined]
REQ = HelpRequest.__table__  # type: ignore[attr-defined]
CONV = Conversation.__table__  # type: ignore[attr-defined]
MSG = ChatMessage.__table__  # type: ignore[attr-defined]

Write = Callable[..., None]


def record(
    e: HandoffEvent, write: Write, kind_of: Callable[[int], str | None], now: datetime
) -> None:
    """Submit the report writes for one event. ``write(fn, **values)`` queues ``fn(conn,
    **values)``; ``kind_of`` gives a counsellor's kind (None when unknown)."""
    if isinstance(e, OfferMade):
        kind = kind_of(e.counsellor_id)
        if kind is None:  # not a registered counsellor: no kind to count it under
            return
        write(
            insert_offer,
            offer_id=e.offer_id,
            request_id=e.request_id,
            counsellor_id=e.counsellor_id,
            kind=kind,
            at=now,
        )
    elif isinstance(e, OfferExpired):
        write(resolve_offer, offer_id=e.offer_id, result=e.reason)
    elif isinstance(e, Matched) and e.transferred_from is None:
        write(accept_offer, request_id=e.request_id, counsellor_id=e.counsellor_id)
    elif isinstance(e, Ended | Referred):
        write(
            finish_request,
            request_id=e.request_id,
            conversation_id=e.conversation_id,
            counsellor_id=e.counsellor_id,
            kind=kind_of(e.counsellor_id),
            outcome=e.outcome if isinstance(e, Ended) else "referred",
        )
    elif isinstance(e, Left):
        write(
            finish_request,
            request_id=e.request_id,
            conversation_id=e.conversation_id,
            counsellor_id=None,
            kind=None,
            outcome="left",
        )


async def insert_offer(
    conn: AsyncConnection,
    *,
    offer_id: str,
    request_id: str,
    counsellor_id: int,
    kind: str,
    at: datetime,
) -> None:
    """An offer was made to a counsellor."""
    await conn.execute(
        OFFER.insert().values(
            offer_id=offer_id,
            request_id=request_id,
            counsellor_id=counsellor_id,
            kind=kind,
            at=at,
            result=None,
        )
    )


async def resolve_offer(conn: AsyncConnection, *, offer_id: str, result: str) -> None:
    """An offer expired, was declined or withdrawn, or the player left."""
    await conn.execute(
        OFFER.update()
        .where(OFFER.c.offer_id == offer_id)
        .where(OFFER.c.result.is_(None))
        .values(result=result)
    )


async def accept_offer(conn: AsyncConnection, *, request_id: str, counsellor_id: int) -> None:
    """The counsellor accepted: their open offer of this request is marked accepted."""
    await conn.execute(
        OFFER.update()
        .where(OFFER.c.request_id == request_id)
        .where(OFFER.c.counsellor_id == counsellor_id)
        .where(OFFER.c.result.is_(None))
        .values(result="accepted")
    )


async def finish_request(
    conn: AsyncConnection,
    *,
    request_id: str,
    conversation_id: str | None,
    counsellor_id: int | None,
    kind: str | None,
    outcome: str,
) -> None:
    """Reduce a finished request (and its conversation's messages) to one report row."""
    req = (await conn.execute(sa.select(REQ).where(REQ.c.id == request_id))).first()
    if req is None:
        return
    prefs: dict[str, Any] = req.preferences or {}
    values: dict[str, Any] = {
        "request_id": request_id,
        "organisation": req.organisation,
        "created_at": req.created_at,
        "wanted_kind": prefs.get("kind"),
        "counsellor_id": counsellor_id,
        "kind": kind,
        "conversation_id": conversation_id,
        "matched": False,
        "left_waiting": outcome == "left" and conversation_id is None,
        "completed": outcome in COMPLETED_OUTCOMES,
        "objective": prefs.get("objective"),
    }
    if conversation_id is not None:
        conv = (await conn.execute(sa.select(CONV).where(CONV.c.id == conversation_id))).first()
        rows = await conn.execute(
            sa.select(MSG.c.sender, MSG.c.at)
            .where(MSG.c.conversation_id == conversation_id)
            .order_by(MSG.c.seq)
        )
        summary = summarise_messages((r.sender, r.at) for r in rows)
        steps = (
            await conn.execute(
                sa.select(STEP.c.objective, STEP.c.state)
                .where(STEP.c.conversation_id == conversation_id)
                .where(STEP.c.state.in_(("agreed", "met")))
                .order_by(STEP.c.id.desc())
                .limit(1)
            )
        ).first()
        values.update(
            matched=counsellor_id is not None,
            messages=summary.messages,
            counsellor_messages=summary.counsellor_messages,
            answered=summary.answered,
        )
        if summary.first_counsellor_at is not None:
            values["first_reply_seconds"] = max(
                0.0, (summary.first_counsellor_at - req.created_at).total_seconds()
            )
        if conv is not None and conv.ended_at is not None:
            values["minutes"] = max(0.0, (conv.ended_at - conv.started_at).total_seconds() / 60)
        if steps is not None:
            values.update(
                objective=steps.objective, objective_agreed=True, objective_met=steps.state == "met"
            )
    await conn.execute(REPORT.delete().where(REPORT.c.request_id == request_id))
    await conn.execute(REPORT.insert().values(**values))
