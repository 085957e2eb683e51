"""The ethics log in the database: one writer at a time, entries checked by the board rules.

Every governance step runs in :func:`transaction`, rebuilds the part of the board state it
needs with :func:`board_state`, and appends its entry with :func:`append_entry`, which lets
``ethics.review`` accept or refuse it first. A refused step raises ``BoardError`` with a
stable code and changes nothing.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.exc import OperationalError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ethics import entries as E
from ethics import merkle
from ethics.exceptions import EntryError, ReviewRuleError
from ethics.review import Board, Policy
from server.board.models import EthicsLogEntry
from server.settings import Settings
from server.storage.db import Database

T = TypeVar("T")
_LOCK_ID = 0x45544849  # "ETHI": PostgreSQL advisory lock serialising log appends
_LOCKS: weakref.WeakKeyDictionary[Database, asyncio.Lock] = weakref.WeakKeyDictionary()


class BoardError(Exception):
    """A refused board step: HTTP-ish status, stable code and a message for people."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


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


def _append_lock(db: Database) -> asyncio.Lock:
    """One writer at a time per process; PostgreSQL adds an advisory lock across processes."""
    lock = _LOCKS.get(db)
    if lock is None:
        lock = _LOCKS[db] = asyncio.Lock()
    return lock


async def transaction(db: Database, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
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


async def append_entry(
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
