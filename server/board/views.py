"""What the board pages show: a proposal with its rule state, the list, the checklist.

Reading only; every decision shown here (who may approve, why publishing is blocked) comes
from ``ethics.review`` replaying the log, so the page and the rules cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ethics.review import CHECKLIST, stale_base
from server import content_api
from server.board.logstore import BoardError, board_state, policy_for, proposal_key
from server.board.models import (
    EthicsAcknowledgement,
    EthicsCheckResult,
    EthicsLogEntry,
    EthicsProposal,
    EthicsProposalRevision,
    EthicsReview,
)
from server.settings import Settings
from server.storage.db import Database


async def open_proposal(session: AsyncSession, proposal_id: int) -> EthicsProposal:
    """The proposal row, or 404 ``unknown_proposal``."""
    prop = await session.get(EthicsProposal, proposal_id)
    if prop is None:
        raise BoardError(404, "unknown_proposal", f"There is no proposal {proposal_id}.")
    return prop


@dataclass
class ProposalView:
    """Everything the proposal page shows."""

    proposal: EthicsProposal
    revisions: list[EthicsProposalRevision]
    checks: list[EthicsCheckResult]
    reviews: list[EthicsReview]
    acknowledgements: list[EthicsAcknowledgement]
    entries: list[EthicsLogEntry]
    approvers: list[int]
    vetoes: list[int]
    blockers: list[str]
    unacknowledged: list[dict[str, str]]
    quorum: int
    #: staff id -> why they may not approve, acknowledge or publish (separation of duties)
    excluded: dict[int, str] = field(default_factory=dict)
    #: why the base is outdated (the published bundle moved on), or None
    stale: str | None = None
    published_hash: str | None = None

    @property
    def current(self) -> EthicsProposalRevision:
        """The current revision."""
        return self.revisions[-1]


async def proposal_view(db: Database, settings: Settings, proposal_id: int) -> ProposalView:
    """Load a proposal with its revisions, checks, reviews and rule state."""
    policy = policy_for(settings)
    async with db.session() as session:
        prop = await open_proposal(session, proposal_id)
        key = proposal_key(proposal_id)

        async def rows(model: Any, *order: Any) -> list[Any]:
            stmt = select(model).where(model.proposal_id == proposal_id).order_by(*order)
            return list((await session.exec(stmt)).all())

        revisions = await rows(EthicsProposalRevision, col(EthicsProposalRevision.number))
        checks = await rows(EthicsCheckResult, col(EthicsCheckResult.id))
        reviews = await rows(EthicsReview, col(EthicsReview.id))
        acks = await rows(EthicsAcknowledgement, col(EthicsAcknowledgement.id))
        stmt = (
            select(EthicsLogEntry)
            .where(EthicsLogEntry.proposal == key)
            .order_by(col(EthicsLogEntry.entry_index))
        )
        entries = list((await session.exec(stmt)).all())
        board = await board_state(session, policy, key, kinds=("publish", "unpublish"))
        published = await content_api.published_hash(session)
    state = board.proposals.get(key)
    stale = stale_base(board, state) if state and not state.published else None
    blockers = state.blockers(policy) if state else ["unknown proposal"]
    if stale:
        blockers = [*blockers, "the base is outdated: rebase first"]
    return ProposalView(
        proposal=prop,
        revisions=revisions,
        checks=checks,
        reviews=reviews,
        acknowledgements=acks,
        entries=entries,
        approvers=state.approvers() if state else [],
        vetoes=state.vetoes() if state else [],
        blockers=blockers,
        unacknowledged=state.unacknowledged_flags() if state else [],
        quorum=policy.quorum,
        excluded=state.excluded() if state else {},
        stale=stale,
        published_hash=published,
    )


async def list_proposals(db: Database) -> list[EthicsProposal]:
    """All proposals, newest activity first."""
    async with db.session() as session:
        stmt = select(EthicsProposal).order_by(col(EthicsProposal.updated_at).desc())
        return list((await session.exec(stmt)).all())


def checklist_items() -> dict[str, str]:
    """The review checklist (id -> text) shown on the decision form."""
    return dict(CHECKLIST)


def short_hash(digest: str | None) -> str:
    """First 12 hex digits, for display."""
    return (digest or "")[:12]
