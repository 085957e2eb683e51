"""Governance steps of the ethics board: propose, rebase, review, acknowledge, publish, unpublish.

Each step opens one transaction (``logstore.transaction``), rebuilds the part of the board
state it needs from the log, lets ``ethics.review`` accept or refuse it, writes the query
tables, calls ``server.content_api`` for storing and (un)publishing bundles, and appends the log
entry, all before one commit. Publishing and unpublishing sign a checkpoint in the same
transaction; witnesses cosign it afterwards (``server.board.witnesses``), so a witness that is
down never blocks publishing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ethics import entries as E
from ethics.checkpoint import Signer
from ethics.checks import CheckConfig, run_checks
from ethics.diff import diff_bundles, three_way
from game.narrative import Bundle, BundleError
from server import content_api
from server.board.keys import current_signer, sign
from server.board.logstore import (
    BoardError,
    append_entry,
    board_state,
    policy_for,
    proposal_key,
    transaction,
)
from server.board.models import (
    EthicsAcknowledgement,
    EthicsCheckResult,
    EthicsLogEntry,
    EthicsProposal,
    EthicsProposalRevision,
    EthicsReview,
)
from server.board.views import open_proposal
from server.settings import Settings
from server.storage.db import Database

_CONFIG: CheckConfig | None = None


def check_config() -> CheckConfig:
    """The shipped word lists, loaded once."""
    global _CONFIG
    if _CONFIG is None:
        _CONFIG = CheckConfig.default()
    return _CONFIG


@dataclass
class Staff:
    """Who is acting: id and roles (taken from the signed-in StaffAccount)."""

    id: int
    roles: list[str] = field(default_factory=list)

    def has(self, *roles: str) -> bool:
        """True when holding one of ``roles`` (admins hold every role)."""
        return "admin" in self.roles or any(r in self.roles for r in roles)


def _need(actor: Staff, *roles: str) -> None:
    if not actor.has(*roles):
        raise BoardError(403, "forbidden", f"This needs one of the roles: {', '.join(roles)}.")


def parse_bundle(body: bytes) -> Bundle:
    """Validate proposed bundle bytes; the proposal stores exactly the canonical form."""
    try:
        bundle = Bundle.from_bytes(body)
    except BundleError as exc:
        raise BoardError(422, "invalid_bundle", f"the bundle is not valid: {exc}") from exc
    return bundle


async def _bundle(session: AsyncSession, digest: str | None) -> Bundle | None:
    if digest is None:
        return None
    body = await content_api.load_bundle(session, digest)
    try:
        return Bundle.from_bytes(body) if body else None
    except BundleError:
        return None


async def _organisation_name(session: AsyncSession) -> str | None:
    org = await content_api.get_organisation(session)
    return org.name if org else None


async def _current_revision(session: AsyncSession, prop: EthicsProposal) -> EthicsProposalRevision:
    stmt = select(EthicsProposalRevision).where(
        EthicsProposalRevision.proposal_id == prop.id,
        EthicsProposalRevision.number == prop.current_revision,
    )
    return (await session.exec(stmt)).one()


async def _add_revision(
    session: AsyncSession,
    settings: Settings,
    *,
    actor: Staff,
    prop: EthicsProposal,
    number: int,
    bundle: Bundle,
    base_hash: str | None,
    message: str,
    now: datetime,
    diff: dict[str, Any],
    changes: dict[str, int],
) -> None:
    """Store the bundle, log the revision and the automated checks' results for it."""
    digest = await content_api.store_bundle(session, body=bundle.to_bytes(), now=now)
    results = await asyncio.to_thread(
        run_checks, bundle, check_config(), await _organisation_name(session)
    )
    assert prop.id is not None
    key = proposal_key(prop.id)
    board = await board_state(session, policy_for(settings), key)
    await append_entry(
        session,
        lambda index, at: E.ProposalEntry(
            index=index,
            at=at,
            actor=actor.id,
            proposal=key,
            revision=number,
            bundle_hash=digest,
            base_bundle_hash=base_hash,
            message=message,
            changes=changes,
        ),
        now,
        board,
    )
    session.add(
        EthicsProposalRevision(
            proposal_id=prop.id,
            number=number,
            bundle_hash=digest,
            base_bundle_hash=base_hash,
            message=message,
            by_staff_id=actor.id,
            diff=diff,
            created_at=now,
        )
    )
    await append_entry(
        session,
        lambda index, at: E.CheckResultEntry(
            index=index,
            at=at,
            actor=None,
            proposal=key,
            revision=number,
            bundle_hash=digest,
            results=[r.to_dict() for r in results],
        ),
        now,
        board,
    )
    for r in results:
        session.add(
            EthicsCheckResult(
                proposal_id=prop.id,
                revision=number,
                bundle_hash=digest,
                check_id=r.id,
                severity=r.severity,
                location=r.location,
                explanation=r.explanation,
                created_at=now,
            )
        )
    prop.current_revision = number
    prop.updated_at = now
    session.add(prop)
    await session.flush()


async def propose(
    db: Database,
    settings: Settings,
    *,
    actor: Staff,
    bundle_bytes: bytes,
    message: str,
    now: datetime,
    proposal_id: int | None = None,
) -> EthicsProposal:
    """Propose a bundle (or a new revision of ``proposal_id``); run and log the checks.

    A new proposal is based on what is published now. A revision keeps its proposal's base
    (moving the base is :func:`rebase`); whoever revises becomes a co-author and may not
    approve, acknowledge or publish it.
    """
    _need(actor, "author", "reviewer")
    bundle = parse_bundle(bundle_bytes)
    message = message.strip()

    async def work(session: AsyncSession) -> EthicsProposal:
        if proposal_id is None:
            base_hash = await content_api.published_hash(session)
            prop = EthicsProposal(
                title=(message.splitlines() or ["(no message)"])[0][:200] or "(no message)",
                proposer_id=actor.id,
                status="open",
                current_revision=0,
                created_at=now,
                updated_at=now,
            )
            session.add(prop)
            await session.flush()
        else:
            prop = await open_proposal(session, proposal_id)
            base_hash = (await _current_revision(session, prop)).base_bundle_hash
        diff = diff_bundles(await _bundle(session, base_hash), bundle)
        await _add_revision(
            session,
            settings,
            actor=actor,
            prop=prop,
            number=prop.current_revision + 1,
            bundle=bundle,
            base_hash=base_hash,
            message=message,
            now=now,
            diff=diff.to_dict(),
            changes=diff.summary(),
        )
        return prop

    return await transaction(db, work)


async def rebase(
    db: Database,
    settings: Settings,
    *,
    actor: Staff,
    proposal_id: int,
    message: str,
    now: datetime,
    bundle_bytes: bytes | None = None,
) -> EthicsProposal:
    """Move a proposal onto what is published now: a new, logged revision.

    The diff is recomputed against the new base, with a per-node three-way view (old base,
    proposal, new base) in which every item the proposal would undo or clash with is flagged.
    ``bundle_bytes`` is the author's merged bundle; without it the bundle is kept as it is and
    the flags show what publishing it would revert. Earlier approvals no longer count.
    """
    _need(actor, "author", "reviewer")
    merged = parse_bundle(bundle_bytes) if bundle_bytes is not None else None

    async def work(session: AsyncSession) -> EthicsProposal:
        prop = await open_proposal(session, proposal_id)
        rev = await _current_revision(session, prop)
        new_base = await content_api.published_hash(session)
        if new_base == rev.base_bundle_hash:
            raise BoardError(
                409, "base_current", "The proposal is already based on the published bundle."
            )
        ours = merged or await _bundle(session, rev.bundle_hash)
        if ours is None:
            raise BoardError(500, "bundle_missing", f"bundle {rev.bundle_hash} is not stored")
        old = await _bundle(session, rev.base_bundle_hash)
        theirs = await _bundle(session, new_base)
        view = three_way(old, ours, theirs)
        against_new = diff_bundles(theirs, ours)
        flagged = sum(1 for i in view if i.flagged)
        diff = against_new.to_dict()
        diff["rebase"] = {
            "old_base": rev.base_bundle_hash,
            "new_base": new_base,
            "flagged": flagged,
            "items": [
                {
                    "locale": i.locale,
                    "section": i.section,
                    "id": i.id,
                    "state": i.state,
                    "fields": list(i.fields),
                }
                for i in view
            ],
        }
        text = message.strip() or (
            f"Rebased onto {(new_base or 'nothing published')[:12]}; "
            f"{flagged} item(s) flagged in the three-way view."
        )
        await _add_revision(
            session,
            settings,
            actor=actor,
            prop=prop,
            number=prop.current_revision + 1,
            bundle=ours,
            base_hash=new_base,
            message=text,
            now=now,
            diff=diff,
            changes={**against_new.summary(), "flagged": flagged},
        )
        return prop

    return await transaction(db, work)


async def review(
    db: Database,
    settings: Settings,
    *,
    actor: Staff,
    proposal_id: int,
    bundle_hash: str,
    decision: str,
    rationale: str,
    checklist: dict[str, bool],
    now: datetime,
) -> EthicsReview:
    """Record an approval, rejection or veto bound to ``bundle_hash``."""
    _need(actor, "reviewer")
    if decision not in E.DECISIONS:
        raise BoardError(422, "bad_decision", "decision must be approve, reject or veto")

    async def work(session: AsyncSession) -> EthicsReview:
        prop = await open_proposal(session, proposal_id)
        key = proposal_key(proposal_id)
        board = await board_state(session, policy_for(settings), key)
        revision = prop.current_revision
        row = await append_entry(
            session,
            lambda index, at: E.ReviewEntry(
                index=index,
                at=at,
                actor=actor.id,
                proposal=key,
                revision=revision,
                bundle_hash=bundle_hash,
                decision=decision,
                rationale=rationale.strip(),
                checklist=checklist,
            ),
            now,
            board,
        )
        result = EthicsReview(
            proposal_id=proposal_id,
            revision=revision,
            bundle_hash=bundle_hash,
            reviewer_id=actor.id,
            decision=decision,
            rationale=rationale.strip(),
            checklist=checklist,
            log_index=row.entry_index,
            created_at=row.created_at,
        )
        session.add(result)
        prop.updated_at = now
        session.add(prop)
        await session.flush()
        return result

    return await transaction(db, work)


async def acknowledge(
    db: Database,
    settings: Settings,
    *,
    actor: Staff,
    proposal_id: int,
    bundle_hash: str,
    check_id: str,
    location: str,
    rationale: str,
    now: datetime,
) -> EthicsAcknowledgement:
    """Explicitly acknowledge one flagged check result."""
    _need(actor, "reviewer")

    async def work(session: AsyncSession) -> EthicsAcknowledgement:
        prop = await open_proposal(session, proposal_id)
        key = proposal_key(proposal_id)
        board = await board_state(session, policy_for(settings), key)
        revision = prop.current_revision
        row = await append_entry(
            session,
            lambda index, at: E.AcknowledgementEntry(
                index=index,
                at=at,
                actor=actor.id,
                proposal=key,
                revision=revision,
                bundle_hash=bundle_hash,
                check=check_id,
                location=location,
                rationale=rationale.strip(),
            ),
            now,
            board,
        )
        ack = EthicsAcknowledgement(
            proposal_id=proposal_id,
            revision=revision,
            bundle_hash=bundle_hash,
            check_id=check_id,
            location=location,
            by_staff_id=actor.id,
            rationale=rationale.strip(),
            log_index=row.entry_index,
            created_at=row.created_at,
        )
        session.add(ack)
        await session.flush()
        return ack

    return await transaction(db, work)


async def publish(
    db: Database,
    settings: Settings,
    *,
    actor: Staff,
    proposal_id: int,
    now: datetime,
    note: str = "",
) -> EthicsLogEntry:
    """Publish the current revision once the rules allow it; sign a checkpoint."""
    _need(actor, "reviewer")

    async def work(session: AsyncSession) -> EthicsLogEntry:
        prop = await open_proposal(session, proposal_id)
        rev = await _current_revision(session, prop)
        signer = await current_signer(session, settings, now)  # a first key is logged first
        key = proposal_key(proposal_id)
        # publications too: the stale_base rule compares the base with what is published now
        board = await board_state(
            session, policy_for(settings), key, kinds=("publish", "unpublish")
        )
        state = board.proposals.get(key)
        approvers = state.approvers() if state else []
        row = await append_entry(
            session,
            lambda index, at: E.PublishEntry(
                index=index,
                at=at,
                actor=actor.id,
                proposal=key,
                revision=rev.number,
                bundle_hash=rev.bundle_hash,
                approvals=approvers,
                note=note.strip(),
            ),
            now,
            board,
        )
        await content_api.publish_bundle(
            session,
            bundle_hash=rev.bundle_hash,
            by_staff_id=actor.id,
            now=now,
            note=f"ethics log entry {row.entry_index}, proposal {key}",
        )
        prop.status = "published"
        prop.updated_at = now
        session.add(prop)
        await sign(session, settings, now, signer)
        return row

    return await transaction(db, work)


async def unpublish(
    db: Database, settings: Settings, *, actor: Staff, rationale: str, now: datetime
) -> tuple[EthicsLogEntry, str | None]:
    """Emergency: withdraw the current bundle (one member suffices); sign a checkpoint."""
    _need(actor, "reviewer")

    async def work(session: AsyncSession) -> tuple[EthicsLogEntry, str | None]:
        current = await content_api.published_hash(session)
        if current is None:
            raise BoardError(409, "nothing_published", "Nothing is published right now.")
        try:
            signer: Signer | None = await current_signer(session, settings, now)
        except BoardError as exc:
            if exc.code != "signing_key_lost":
                raise
            # an emergency withdrawal never waits for a key: the entry is logged now and
            # covered by the first checkpoint the board's recovered key signs
            signer = None
        board = await board_state(session, policy_for(settings), kinds=("publish", "unpublish"))
        try:
            _, restored = await content_api.unpublish_latest(
                session, by_staff_id=actor.id, now=now, note=rationale.strip()[:2000]
            )
        except content_api.NothingPublished as exc:
            raise BoardError(409, "nothing_published", str(exc)) from exc
        row = await append_entry(
            session,
            lambda index, at: E.UnpublishEntry(
                index=index,
                at=at,
                actor=actor.id,
                bundle_hash=current,
                restored_bundle_hash=restored,
                rationale=rationale.strip(),
            ),
            now,
            board,
        )
        if signer is not None:
            await sign(session, settings, now, signer)
        return row, restored

    return await transaction(db, work)
