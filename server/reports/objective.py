"""The hub's handling of the agreed objective and of the end-of-chat feedback.

The rules are :class:`handoff.objective.Agreement`'s; this module keeps one per live
conversation (restored from ``objective_step`` when first needed, so a restart loses no
proposal), writes each step through the chat store's ordered queue, and sends the
``objective`` frame to both sides. The gateways call in with a few lines each.
"""

from __future__ import annotations

import weakref
from datetime import datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from handoff.events import HandoffEvent, Matched
from handoff.exceptions import StateError
from handoff.objective import Agreement, ObjectiveCode, Proposal, Side
from handoff.protocol import (
    Feedback,
    ObjectiveAnswer,
    ObjectivePropose,
    StaffObjectiveAnswer,
    StaffObjectivePropose,
)
from server.chat import repo
from server.gateways.hub import Hub, new_id, utcnow
from server.reports.models import ObjectiveStep, ReportRequest

STEP = ObjectiveStep.__table__  # type: ignore[attr-defined]
REPORT = ReportRequest.__table__  # type: ignore[attr-defined]

#: Agreements of finished conversations are dropped from memory once this many are held.
PRUNE_AT = 1000
_AGREEMENTS: weakref.WeakKeyDictionary[Hub, dict[str, Agreement]] = weakref.WeakKeyDictionary()


def _frame(conversation_id: str, p: Proposal) -> dict[str, Any]:
    return {
        "type": "objective",
        "conversation_id": conversation_id,
        "proposal_id": p.id,
        "objective": p.objective,
        "note": p.note,
        "by": p.by,
        "state": p.state,
        "at": (p.answered_at or p.at).isoformat(),
    }


async def agreement(hub: Hub, conversation_id: str) -> Agreement:
    """The conversation's agreement, restored from the store the first time it is needed."""
    live = _AGREEMENTS.setdefault(hub, {})
    if len(live) > PRUNE_AT:
        for cid in [c for c in live if hub.core.request_for_conversation(c) is None]:
            del live[cid]
    found = live.get(conversation_id)
    if found is not None:
        return found
    state = Agreement()
    async with hub.db.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(STEP).where(STEP.c.conversation_id == conversation_id).order_by(STEP.c.id)
        )
        for r in rows:
            p = Proposal(
                r.proposal_id,
                r.objective,
                r.note,
                r.proposed_by,
                r.proposed_at,
                "agreed" if r.state == "met" else r.state,
                r.answered_at,
            )
            if p.state == "proposed":
                state.open = p
            elif p.state == "agreed":
                state.agreed = p
            state.history.append(p)
    live[conversation_id] = state
    return state


async def _insert(conn: AsyncConnection, *, conversation_id: str, p: Proposal) -> None:
    await conn.execute(
        STEP.insert().values(
            conversation_id=conversation_id,
            proposal_id=p.id,
            objective=p.objective,
            note=p.note,
            proposed_by=p.by,
            state=p.state,
            proposed_at=p.at,
        )
    )


async def _update(conn: AsyncConnection, *, p: Proposal) -> None:
    await conn.execute(
        STEP.update()
        .where(STEP.c.proposal_id == p.id)
        .values(state=p.state, answered_at=p.answered_at)
    )


async def _send_both(hub: Hub, conversation_id: str, frames: list[dict[str, Any]]) -> None:
    req = hub.core.request_for_conversation(conversation_id)
    if req is None:
        return
    for f in frames:
        await hub.to_player(req.session_id, f)
        if req.counsellor_id is not None:
            await hub.to_staff(req.counsellor_id, f)


async def propose(
    hub: Hub,
    conversation_id: str,
    objective: ObjectiveCode,
    note: str | None,
    by: Side,
    now: datetime,
) -> Proposal:
    """Record a proposal (rule 2) and tell both sides."""
    state = await agreement(hub, conversation_id)
    p, replaced = state.propose(new_id(), objective, note, by, now)
    frames = []
    if replaced is not None:
        await hub.store.submit(partial(_update, p=replaced))
        frames.append(_frame(conversation_id, replaced))
    await hub.store.submit(partial(_insert, conversation_id=conversation_id, p=p))
    frames.append(_frame(conversation_id, p))
    await _send_both(hub, conversation_id, frames)
    return p


async def answer(
    hub: Hub, conversation_id: str, proposal_id: str, by: Side, accept: bool, now: datetime
) -> Proposal:
    """Record the other side's answer (rule 3) and tell both sides."""
    state = await agreement(hub, conversation_id)
    done = state.answer(proposal_id, by, accept, now)
    await hub.store.submit(partial(_update, p=done))
    await _send_both(hub, conversation_id, [_frame(conversation_id, done)])
    return done


async def after_accept(hub: Hub, events: list[HandoffEvent]) -> None:
    """A new match carries the player's pick from the preferences as their first proposal."""
    for e in events:
        if isinstance(e, Matched) and e.transferred_from is None:
            await _first_proposal(hub, e)


async def _first_proposal(hub: Hub, e: Matched) -> None:
    if e.preferences.objective is None:
        return
    state = await agreement(hub, e.conversation_id)
    if state.history:  # continued after a re-queue: the agreement is already under way
        return
    await propose(
        hub,
        e.conversation_id,
        e.preferences.objective,  # type: ignore[arg-type]
        e.preferences.objective_note,
        "player",
        utcnow(),
    )


async def mark_met(hub: Hub, conversation_id: str, met: bool) -> None:
    """Rule 4: at the end, the counsellor says whether the agreed objective was met."""
    state = await agreement(hub, conversation_id)
    if state.agreed is None or not met:
        return
    pid = state.agreed.id

    async def write(conn: AsyncConnection) -> None:
        await conn.execute(STEP.update().where(STEP.c.proposal_id == pid).values(state="met"))

    await hub.store.submit(write)


async def replay(hub: Hub, conn: Any, conversation_id: str) -> None:
    """After a resume: the agreed objective and any open proposal again, so a reconnected
    console or game shows where the agreement stands (a frame each, newest state)."""
    state = await agreement(hub, conversation_id)
    for p in (state.agreed, state.open):
        if p is not None:
            await conn.send(_frame(conversation_id, p))


async def player_frame(hub: Hub, session_id: str, frame: Any) -> dict[str, Any] | None:
    """Handle a player's objective or feedback frame; returns a frame for the player, if any."""
    now = utcnow()
    if isinstance(frame, Feedback):
        return await _feedback(hub, session_id, frame)
    req = hub.core.request_for_session(session_id)
    if req is None or req.conversation_id is None or req.counsellor_id is None:
        raise StateError("you are not in a conversation", code="not_in_conversation")
    if isinstance(frame, ObjectivePropose):
        await propose(hub, req.conversation_id, frame.objective, frame.note, "player", now)
    elif isinstance(frame, ObjectiveAnswer):
        await answer(hub, req.conversation_id, frame.proposal_id, "player", frame.accept, now)
    return None


async def staff_frame(hub: Hub, staff_id: int, frame: Any) -> None:
    """Handle a counsellor's objective frame (only on their own live conversation)."""
    req = hub.core.request_for_conversation(frame.conversation_id)
    if req is None:
        raise StateError("no such live conversation", code="not_in_conversation")
    if req.counsellor_id != staff_id:
        raise StateError("this conversation is not yours", code="not_your_conversation")
    now = utcnow()
    if isinstance(frame, StaffObjectivePropose):
        await propose(hub, frame.conversation_id, frame.objective, frame.note, "counsellor", now)
    elif isinstance(frame, StaffObjectiveAnswer):
        await answer(hub, frame.conversation_id, frame.proposal_id, "counsellor", frame.accept, now)


async def _feedback(hub: Hub, session_id: str, frame: Feedback) -> dict[str, Any]:
    """Record "Did this help?" once, on the player's own ended conversation."""
    row = await repo.session_conversation(hub.db, frame.conversation_id)
    if row is None or row.session_id != session_id:
        raise StateError("no such conversation", code="unknown_conversation")
    if row.state != "ended":
        raise StateError("feedback is asked for after the conversation ends", code="invalid_state")

    async def write(conn: AsyncConnection) -> int:
        result = await conn.execute(
            REPORT.update()
            .where(REPORT.c.conversation_id == frame.conversation_id)
            .where(REPORT.c.helped.is_(None))
            .values(helped=frame.helped)
        )
        return int(result.rowcount)

    if not await hub.store.submit(write):
        raise StateError(
            "this conversation's feedback is already recorded", code="already_answered"
        )
    return {"type": "feedback_recorded", "conversation_id": frame.conversation_id}
