"""The ethics board's service layer: every governance step, checked and logged atomically.

Each public function opens one transaction, rebuilds the part of the board state the step
needs from the log, lets ``ethics.review`` accept or refuse the step, writes the query tables,
calls the lead's ``server.content_api`` for storing and (un)publishing bundles, and appends
the log entry, all before one commit. A refused step raises ``BoardError`` with a stable code
and changes nothing. Checkpoints are signed on every publish/unpublish and by a scheduled job.
"""

from __future__ import annotations

import asyncio
import logging
import os
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.exc import OperationalError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ethics import entries as E
from ethics import merkle
from ethics.checkpoint import Checkpoint, Signer, sign_checkpoint
from ethics.checks import CheckConfig, run_checks
from ethics.diff import diff_bundles
from ethics.exceptions import EntryError, ReviewRuleError, SigningKeyError
from ethics.review import CHECKLIST, Board, Policy
from game.narrative import Bundle, BundleError
from server import content_api
from server.board.models import (
    EthicsAcknowledgement,
    EthicsCheckpoint,
    EthicsCheckResult,
    EthicsLogEntry,
    EthicsProposal,
    EthicsProposalRevision,
    EthicsReview,
    EthicsSigningKey,
)
from server.settings import Settings
from server.storage.db import Database

log = logging.getLogger("crossroads.board")

T = TypeVar("T")
_LOCK_ID = 0x45544849  # "ETHI": PostgreSQL advisory lock serialising log appends
_CONFIG: CheckConfig | None = None
_LOCKS: weakref.WeakKeyDictionary[Database, asyncio.Lock] = weakref.WeakKeyDictionary()


class BoardError(Exception):
    """A refused board step: HTTP-ish status, stable code and a message for people."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def check_config() -> CheckConfig:
    """The shipped word lists, loaded once."""
    global _CONFIG
    if _CONFIG is None:
        _CONFIG = CheckConfig.default()
    return _CONFIG


def policy_for(settings: Settings) -> Policy:
    """Board policy from settings (the settings refuse a quorum below 2)."""
    return Policy(quorum=settings.ethics_quorum)


def proposal_key(proposal_id: int) -> str:
    """The proposal's id inside log entries."""
    return f"p{proposal_id}"


def parse_proposal_key(key: str) -> int | None:
    """Inverse of :func:`proposal_key`; None when ``key`` is not one."""
    if key.startswith("p") and key[1:].isdigit():
        return int(key[1:])
    return None


# --- transactions and the log -------------------------------------------------------------


def _append_lock(db: Database) -> asyncio.Lock:
    """One writer at a time per process; PostgreSQL adds an advisory lock across processes."""
    lock = _LOCKS.get(db)
    if lock is None:
        lock = _LOCKS[db] = asyncio.Lock()
    return lock


async def _transaction(db: Database, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction; retry when another process took the same index."""
    attempts = 5
    async with _append_lock(db):
        for attempt in range(attempts):
            async with db.session() as session:
                try:
                    if db.dialect == "postgresql":
                        conn = await session.connection()
                        await conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({_LOCK_ID})"))
                    result = await work(session)
                    await session.commit()
                    return result
                except (SAIntegrityError, OperationalError) as exc:
                    await session.rollback()
                    text = str(exc)
                    retry = "ethics_log_entry" in text or "database is locked" in text
                    if not retry or attempt == attempts - 1:
                        raise BoardError(
                            409,
                            "conflict",
                            "Another change was recorded at the same moment; please retry.",
                        ) from exc
            await asyncio.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


async def _last_entry(session: AsyncSession) -> EthicsLogEntry | None:
    stmt = select(EthicsLogEntry).order_by(col(EthicsLogEntry.entry_index).desc()).limit(1)
    return (await session.exec(stmt)).first()


async def log_size(session: AsyncSession) -> int:
    """Number of entries in the log."""
    count = (await session.exec(select(func.count()).select_from(EthicsLogEntry))).one()
    return int(count)


async def leaf_hashes(session: AsyncSession, size: int | None = None) -> list[bytes]:
    """Leaf hashes in log order (the first ``size`` when given)."""
    stmt = select(EthicsLogEntry.leaf_hash).order_by(col(EthicsLogEntry.entry_index))
    if size is not None:
        stmt = stmt.limit(size)
    return [bytes.fromhex(h) for h in (await session.exec(stmt)).all()]


async def _append(
    session: AsyncSession,
    build: Callable[[int, datetime], E.Entry],
    now: datetime,
    board: Board | None,
) -> EthicsLogEntry:
    """Build the next entry, let the board rules accept it, and add it to the log."""
    last = await _last_entry(session)
    index = 0 if last is None else last.entry_index + 1
    # Entries never go back in time, even if the server clock does.
    at = now if last is None or now >= last.created_at else last.created_at
    entry = build(index, at)
    if board is not None:
        try:
            board.apply(entry)
        except ReviewRuleError as exc:
            raise BoardError(409, exc.code, exc.message) from exc
    try:
        data = entry.to_bytes()
    except EntryError as exc:
        raise BoardError(422, "invalid_entry", str(exc)) from exc
    row = EthicsLogEntry(
        entry_index=index,
        kind=entry.KIND,
        proposal=getattr(entry, "proposal", None),
        bundle_hash=getattr(entry, "bundle_hash", None),
        body=data,
        leaf_hash=merkle.leaf_hash(data).hex(),
        created_at=at,
    )
    session.add(row)
    await session.flush()
    return row


async def board_state(
    session: AsyncSession,
    policy: Policy,
    key: str | None = None,
    kinds: tuple[str, ...] = (),
) -> Board:
    """The board as far as one decision needs it: one proposal's entries and/or all entries
    of some kinds (publications for an unpublish, key rotations for a new key)."""
    board = Board(policy=policy)
    conditions = []
    if key is not None:
        conditions.append(col(EthicsLogEntry.proposal) == key)
    if kinds:
        conditions.append(col(EthicsLogEntry.kind).in_(kinds))
    if not conditions:
        return board
    stmt = (
        select(EthicsLogEntry).where(sa.or_(*conditions)).order_by(col(EthicsLogEntry.entry_index))
    )
    for row in (await session.exec(stmt)).all():
        board.replay(E.decode_entry(row.body))
    return board


# --- keys and checkpoints ---------------------------------------------------------------------


def _key_path(settings: Settings, key_id: str) -> Path:
    return Path(settings.ethics_key_dir) / f"{key_id}.key"


def _write_private_key(settings: Settings, signer: Signer) -> None:
    folder = Path(settings.ethics_key_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = _key_path(settings, signer.verifier.key_id.hex())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(signer.skey + "\n")


def _read_private_key(settings: Settings, key_id: str) -> Signer | None:
    path = _key_path(settings, key_id)
    if not path.is_file():
        return None
    try:
        return Signer.from_skey(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SigningKeyError) as exc:
        raise BoardError(500, "signing_key_unreadable", f"{path}: {exc}") from exc


async def active_key(session: AsyncSession) -> EthicsSigningKey | None:
    """The key currently used for checkpoints."""
    stmt = (
        select(EthicsSigningKey)
        .where(col(EthicsSigningKey.active))
        .order_by(col(EthicsSigningKey.id).desc())
    )
    return (await session.exec(stmt)).first()


async def _rotate(
    session: AsyncSession, settings: Settings, now: datetime, reason: str, by: int | None
) -> tuple[Signer, Signer | None]:
    """Create a key, announce it in the log; returns (new signer, old signer if readable)."""
    old_row = await active_key(session)
    old_signer = _read_private_key(settings, old_row.key_id) if old_row else None
    try:
        signer = Signer.generate(settings.ethics_log_origin)
    except SigningKeyError as exc:
        raise BoardError(
            500,
            "bad_log_origin",
            f"CROSSROADS_ETHICS_LOG_ORIGIN {settings.ethics_log_origin!r} cannot name a key: {exc}",
        ) from exc
    verifier = signer.verifier
    board = await board_state(session, policy_for(settings), kinds=("key_rotation",))
    await _append(
        session,
        lambda index, at: E.KeyRotationEntry(
            index=index,
            at=at,
            actor=by,
            key_name=verifier.name,
            old_key=old_row.vkey if old_row else None,
            new_key=verifier.vkey,
            reason=reason,
        ),
        now,
        board,
    )
    _write_private_key(settings, signer)
    if old_row is not None:
        old_row.active = False
        old_row.retired_at = now
        session.add(old_row)
    session.add(
        EthicsSigningKey(
            name=verifier.name,
            key_id=verifier.key_id.hex(),
            vkey=verifier.vkey,
            active=True,
            created_at=now,
        )
    )
    await session.flush()
    return signer, old_signer


async def _signer(session: AsyncSession, settings: Settings, now: datetime) -> Signer:
    """The active signing key, created (and logged) if there is none or its file is gone."""
    row = await active_key(session)
    if row is not None:
        signer = _read_private_key(settings, row.key_id)
        if signer is not None:
            return signer
        reason = f"private key {row.key_id} not found in the key directory; replaced"
        log.warning("ethics signing key %s missing from %s", row.key_id, settings.ethics_key_dir)
    else:
        reason = "first checkpoint signing key, created automatically"
    signer, _ = await _rotate(session, settings, now, reason, None)
    return signer


async def _sign(
    session: AsyncSession, settings: Settings, now: datetime, signer: Signer | None = None
) -> EthicsCheckpoint | None:
    """Sign a checkpoint over the whole log unless the newest one already covers it."""
    signer = signer or await _signer(session, settings, now)
    hashes = await leaf_hashes(session)
    newest = await latest_checkpoint(session)
    if (
        newest is not None
        and newest.size == len(hashes)
        and newest.key_id == signer.verifier.key_id.hex()
    ):
        return None
    root = merkle.root_from_hashes(hashes)
    note = sign_checkpoint(Checkpoint(settings.ethics_log_origin, len(hashes), root), signer)
    row = EthicsCheckpoint(
        size=len(hashes),
        root=root.hex(),
        key_id=signer.verifier.key_id.hex(),
        note=note,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def latest_checkpoint(session: AsyncSession) -> EthicsCheckpoint | None:
    """The newest signed checkpoint."""
    stmt = select(EthicsCheckpoint).order_by(
        col(EthicsCheckpoint.size).desc(), col(EthicsCheckpoint.id).desc()
    )
    return (await session.exec(stmt)).first()


async def sign_checkpoint_now(
    db: Database, settings: Settings, now: datetime
) -> EthicsCheckpoint | None:
    """Sign a checkpoint if the log grew since the last one (the scheduled job's work)."""
    return await _transaction(db, lambda s: _sign(s, settings, now))


async def keygen(db: Database, settings: Settings, now: datetime, *, by: int | None = None) -> str:
    """Create the first signing key; refuse if a usable one exists. Returns the public key."""

    async def work(session: AsyncSession) -> str:
        row = await active_key(session)
        if row is not None and _read_private_key(settings, row.key_id) is not None:
            raise BoardError(
                409, "key_exists", f"a signing key already exists ({row.vkey}); use rotate-key"
            )
        reason = "signing key generated by an operator"
        signer, _ = await _rotate(session, settings, now, reason, by)
        await _sign(session, settings, now, signer)
        return signer.verifier.vkey

    return await _transaction(db, work)


async def rotate_key(
    db: Database, settings: Settings, now: datetime, *, reason: str, by: int | None = None
) -> str:
    """Replace the signing key. The old key signs the checkpoint announcing the new one."""
    if len(reason.strip()) < 10:
        raise BoardError(422, "rationale_required", "say why the key is rotated (10+ characters)")

    async def work(session: AsyncSession) -> str:
        signer, old = await _rotate(session, settings, now, reason.strip(), by)
        if old is not None:
            await _sign(session, settings, now, old)
        await _sign(session, settings, now, signer)
        return signer.verifier.vkey

    return await _transaction(db, work)


# --- proposals ----------------------------------------------------------------------------------


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


async def _published(session: AsyncSession) -> tuple[str | None, Bundle | None]:
    digest = await content_api.published_hash(session)
    if digest is None:
        return None, None
    body = await content_api.load_bundle(session, digest)
    try:
        return digest, Bundle.from_bytes(body) if body else None
    except BundleError:
        return digest, None


async def _organisation_name(session: AsyncSession) -> str | None:
    org = await content_api.get_organisation(session)
    return org.name if org else None


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
    """Propose a bundle (or a new revision of ``proposal_id``); run and log the checks."""
    _need(actor, "author", "reviewer")
    bundle = parse_bundle(bundle_bytes)
    message = message.strip()
    config = check_config()

    async def work(session: AsyncSession) -> EthicsProposal:
        digest = await content_api.store_bundle(session, body=bundle.to_bytes(), now=now)
        base_hash, base = await _published(session)
        diff = diff_bundles(base, bundle)
        results = await asyncio.to_thread(
            run_checks, bundle, config, await _organisation_name(session)
        )
        if proposal_id is None:
            prop = EthicsProposal(
                title=(message.splitlines() or ["(no message)"])[0][:200] or "(no message)",
                proposer_id=actor.id,
                status="open",
                current_revision=1,
                created_at=now,
                updated_at=now,
            )
            session.add(prop)
            await session.flush()
            number = 1
        else:
            found = await session.get(EthicsProposal, proposal_id)
            if found is None:
                raise BoardError(404, "unknown_proposal", f"no proposal {proposal_id}")
            prop = found
            number = prop.current_revision + 1
        assert prop.id is not None
        key = proposal_key(prop.id)
        board = await board_state(session, policy_for(settings), key)
        await _append(
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
                changes=diff.summary(),
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
                diff=diff.to_dict(),
                created_at=now,
            )
        )
        await _append(
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
        return prop

    return await _transaction(db, work)


async def _open_proposal(session: AsyncSession, proposal_id: int) -> EthicsProposal:
    prop = await session.get(EthicsProposal, proposal_id)
    if prop is None:
        raise BoardError(404, "unknown_proposal", f"There is no proposal {proposal_id}.")
    return prop


async def _current_revision(session: AsyncSession, prop: EthicsProposal) -> EthicsProposalRevision:
    stmt = select(EthicsProposalRevision).where(
        EthicsProposalRevision.proposal_id == prop.id,
        EthicsProposalRevision.number == prop.current_revision,
    )
    return (await session.exec(stmt)).one()


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
        prop = await _open_proposal(session, proposal_id)
        key = proposal_key(proposal_id)
        board = await board_state(session, policy_for(settings), key)
        revision = prop.current_revision
        row = await _append(
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

    return await _transaction(db, work)


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
        prop = await _open_proposal(session, proposal_id)
        key = proposal_key(proposal_id)
        board = await board_state(session, policy_for(settings), key)
        revision = prop.current_revision
        row = await _append(
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

    return await _transaction(db, work)


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
        prop = await _open_proposal(session, proposal_id)
        rev = await _current_revision(session, prop)
        signer = await _signer(session, settings, now)  # a new key is logged before the publish
        key = proposal_key(proposal_id)
        board = await board_state(session, policy_for(settings), key)
        state = board.proposals.get(key)
        approvers = state.approvers() if state else []
        row = await _append(
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
        await _sign(session, settings, now, signer)
        return row

    return await _transaction(db, work)


async def unpublish(
    db: Database, settings: Settings, *, actor: Staff, rationale: str, now: datetime
) -> tuple[EthicsLogEntry, str | None]:
    """Emergency: withdraw the current bundle (one member suffices); sign a checkpoint."""
    _need(actor, "reviewer")

    async def work(session: AsyncSession) -> tuple[EthicsLogEntry, str | None]:
        current = await content_api.published_hash(session)
        if current is None:
            raise BoardError(409, "nothing_published", "Nothing is published right now.")
        signer = await _signer(session, settings, now)
        board = await board_state(session, policy_for(settings), kinds=("publish", "unpublish"))
        try:
            _, restored = await content_api.unpublish_latest(
                session, by_staff_id=actor.id, now=now, note=rationale.strip()[:2000]
            )
        except content_api.NothingPublished as exc:
            raise BoardError(409, "nothing_published", str(exc)) from exc
        row = await _append(
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
        await _sign(session, settings, now, signer)
        return row, restored

    return await _transaction(db, work)


# --- reading ------------------------------------------------------------------------------------


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

    @property
    def current(self) -> EthicsProposalRevision:
        """The current revision."""
        return self.revisions[-1]


async def proposal_view(db: Database, settings: Settings, proposal_id: int) -> ProposalView:
    """Load a proposal with its revisions, checks, reviews and rule state."""
    policy = policy_for(settings)
    async with db.session() as session:
        prop = await _open_proposal(session, proposal_id)
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
        board = await board_state(session, policy, key)
    state = board.proposals.get(key)
    return ProposalView(
        proposal=prop,
        revisions=revisions,
        checks=checks,
        reviews=reviews,
        acknowledgements=acks,
        entries=entries,
        approvers=state.approvers() if state else [],
        vetoes=state.vetoes() if state else [],
        blockers=state.blockers(policy) if state else ["unknown proposal"],
        unacknowledged=state.unacknowledged_flags() if state else [],
        quorum=policy.quorum,
    )


async def list_proposals(db: Database) -> list[EthicsProposal]:
    """All proposals, newest activity first."""
    async with db.session() as session:
        stmt = select(EthicsProposal).order_by(col(EthicsProposal.updated_at).desc())
        return list((await session.exec(stmt)).all())


async def log_page(db: Database, *, offset: int, limit: int) -> tuple[list[EthicsLogEntry], int]:
    """A page of log entries (newest first) and the total size."""
    async with db.session() as session:
        size = await log_size(session)
        stmt = (
            select(EthicsLogEntry)
            .order_by(col(EthicsLogEntry.entry_index).desc())
            .offset(offset)
            .limit(limit)
        )
        return list((await session.exec(stmt)).all()), size


async def was_published(session: AsyncSession, bundle_hash: str) -> bool:
    """True if the board ever published ``bundle_hash`` (for checking consent frames)."""
    stmt = select(EthicsLogEntry.entry_index).where(
        EthicsLogEntry.kind == "publish", EthicsLogEntry.bundle_hash == bundle_hash
    )
    return (await session.exec(stmt)).first() is not None


@dataclass
class InclusionProof:
    """An entry's inclusion proof against a signed checkpoint."""

    index: int
    entry: bytes
    leaf_hash: bytes
    checkpoint: EthicsCheckpoint | None
    proof: list[bytes]
    verified: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON form for outside verifiers."""
        cp = self.checkpoint
        return {
            "index": self.index,
            "entry": self.entry.decode("utf-8"),
            "leaf_hash": self.leaf_hash.hex(),
            "tree_size": cp.size if cp else None,
            "root": cp.root if cp else None,
            "checkpoint": cp.note if cp else None,
            "proof": [p.hex() for p in self.proof],
            "verified": self.verified,
        }


async def inclusion(db: Database, index: int) -> InclusionProof:
    """Prove that entry ``index`` is in the newest signed checkpoint's tree."""
    async with db.session() as session:
        row = await session.get(EthicsLogEntry, index)
        if row is None:
            raise BoardError(404, "unknown_entry", f"There is no log entry {index}.")
        cp = await latest_checkpoint(session)
        if cp is None or cp.size <= index:
            return InclusionProof(index, row.body, bytes.fromhex(row.leaf_hash), cp, [], False)
        hashes = await leaf_hashes(session, cp.size)
    proof = merkle.inclusion_proof_from_hashes(index, hashes)
    leaf = merkle.leaf_hash(row.body)
    ok = merkle.verify_inclusion(index, cp.size, leaf, proof, bytes.fromhex(cp.root))
    return InclusionProof(index, row.body, leaf, cp, proof, ok)


async def consistency(db: Database, old_size: int) -> dict[str, Any]:
    """RFC 6962 consistency proof from ``old_size`` to the newest signed checkpoint."""
    async with db.session() as session:
        cp = await latest_checkpoint(session)
        if cp is None:
            raise BoardError(404, "no_checkpoint", "No checkpoint has been signed yet.")
        if not 0 <= old_size <= cp.size:
            raise BoardError(
                422, "bad_size", f"'from' must be between 0 and {cp.size}, got {old_size}."
            )
        hashes = await leaf_hashes(session, cp.size)
    proof = merkle.consistency_proof_from_hashes(old_size, hashes)
    return {
        "old_size": old_size,
        "old_root": merkle.root_from_hashes(hashes[:old_size]).hex(),
        "new_size": cp.size,
        "new_root": cp.root,
        "checkpoint": cp.note,
        "proof": [p.hex() for p in proof],
    }


# --- export and consent proofs ----------------------------------------------------------------


async def export(db: Database, settings: Settings, out: Path, now: datetime) -> dict[str, Any]:
    """Write an export directory (signing a fresh checkpoint first); returns a summary."""
    from ethics.exportdir import write_export

    await sign_checkpoint_now(db, settings, now)
    async with db.session() as session:
        stmt = select(EthicsLogEntry).order_by(col(EthicsLogEntry.entry_index))
        rows = list((await session.exec(stmt)).all())
        checkpoints = list((await session.exec(select(EthicsCheckpoint))).all())
        keys = list((await session.exec(select(EthicsSigningKey))).all())
        bundles: dict[str, bytes] = {}
        for row in rows:
            if row.kind == "publish" and row.bundle_hash and row.bundle_hash not in bundles:
                body = await content_api.load_bundle(session, row.bundle_hash)
                if body is not None:
                    bundles[row.bundle_hash] = body
    entries = [r.body for r in rows]
    root = merkle.root(entries)
    by_size: dict[int, str] = {}
    for cp in sorted(checkpoints, key=lambda c: (c.size, c.id or 0)):
        by_size[cp.size] = cp.note  # the newest signature at each size
    await asyncio.to_thread(
        write_export,
        out,
        entries=entries,
        checkpoints=by_size,
        keys=[k.vkey for k in keys],
        bundles=bundles,
        origin=settings.ethics_log_origin,
        root=root,
    )
    return {"entries": len(entries), "checkpoints": len(by_size), "root": root.hex()}


async def prove_consent(db: Database, settings: Settings, consent_id: int) -> dict[str, Any]:
    """The approved proposal, its reviews and an inclusion proof for one consent record."""
    from server.chat.models import ConsentRecord

    async with db.session() as session:
        consent = await session.get(ConsentRecord, consent_id)
        if consent is None:
            raise BoardError(404, "unknown_consent", f"There is no consent record {consent_id}.")
        stmt = (
            select(EthicsLogEntry)
            .where(
                EthicsLogEntry.kind == "publish", EthicsLogEntry.bundle_hash == consent.bundle_hash
            )
            .order_by(col(EthicsLogEntry.entry_index))
        )
        publish_row = (await session.exec(stmt)).first()
        body = await content_api.load_bundle(session, consent.bundle_hash)
    result: dict[str, Any] = {
        "consent": {
            "id": consent.id,
            "at": consent.at.isoformat(),
            "bundle_hash": consent.bundle_hash,
            "offer_id": consent.offer_id,
            "offer_version": consent.offer_version,
        },
        "offer_text": {},
        "published": publish_row is not None,
    }
    if body is not None:
        try:
            bundle = Bundle.from_bytes(body)
        except BundleError:
            bundle = None
        offer = bundle.offers.get(consent.offer_id) if bundle else None
        if bundle is not None and offer is not None:
            result["offer_text"] = {
                loc: {
                    name: bundle.text(getattr(offer, name), loc)
                    for name in ("title", "body", "stored", "confidentiality", "yes", "not_now")
                }
                for loc in bundle.locales
            }
            result["offer_version_matches"] = offer.version == consent.offer_version
    if publish_row is None:
        return result
    publish_entry = E.decode_entry(publish_row.body)
    assert isinstance(publish_entry, E.PublishEntry)
    pid = parse_proposal_key(publish_entry.proposal)
    if pid is not None:
        view = await proposal_view(db, settings, pid)
        rev = next((r for r in view.revisions if r.number == publish_entry.revision), view.current)
        result["proposal"] = {
            "id": publish_entry.proposal,
            "title": view.proposal.title,
            "revision": rev.number,
            "message": rev.message,
            "proposer_id": view.proposal.proposer_id,
        }
        result["reviews"] = [
            {
                "reviewer_id": r.reviewer_id,
                "decision": r.decision,
                "rationale": r.rationale,
                "at": r.created_at.isoformat(),
                "log_index": r.log_index,
            }
            for r in view.reviews
            if r.revision == rev.number
        ]
    result["approvals"] = publish_entry.approvals
    result["inclusion"] = (await inclusion(db, publish_row.entry_index)).to_dict()
    return result


def checklist_items() -> dict[str, str]:
    """The review checklist (id -> text) shown on the decision form."""
    return dict(CHECKLIST)


def short_hash(digest: str | None) -> str:
    """First 12 hex digits, for display."""
    return (digest or "")[:12]
