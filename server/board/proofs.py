"""Proofs the log hands out: inclusion, consistency, entries for monitors, content proofs.

Sizes and indices come from query strings typed by strangers, so :func:`parse_size` is the one
place that reads them: ASCII digits only, no sign, at most 19 digits, or ``BoardError(400,
"bad_size")`` naming the parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ethics import merkle
from ethics.proof import ContentProof
from server.board.keys import latest_checkpoint
from server.board.logstore import BoardError, leaf_hashes
from server.board.models import EthicsCheckpoint, EthicsLogEntry
from server.storage.db import Database

_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,18}")
MAX_ENTRIES_PER_REQUEST = 1000
_PROOFS: dict[tuple[str, int, int], str] = {}


def parse_size(text: str | None, what: str) -> int:
    """A tree size or entry index from a query string; 400 ``bad_size`` for anything else."""
    if text is None or text == "":
        raise BoardError(400, "bad_size", f"Give ?{what}=N (a whole number, 0 or more).")
    if not _SIZE_RE.fullmatch(text) or not text.isascii():
        shown = text if len(text) <= 20 else text[:20] + "..."
        raise BoardError(
            400,
            "bad_size",
            f"'{what}' must be a whole number written with the digits 0-9 (no sign, no leading "
            f"zeros, at most 19 digits); got {shown!r}.",
        )
    return int(text)


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
        if old_size > cp.size:
            raise BoardError(
                400, "bad_size", f"'from' must be between 0 and {cp.size}, got {old_size}."
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


async def entries(db: Database, start: int, count: int) -> bytes:
    """Entries ``start`` .. ``start+count-1`` as ``entries.jsonl`` lines (for monitors)."""
    if not 1 <= count <= MAX_ENTRIES_PER_REQUEST:
        raise BoardError(
            400, "bad_size", f"'count' must be between 1 and {MAX_ENTRIES_PER_REQUEST}."
        )
    async with db.session() as session:
        stmt = (
            select(EthicsLogEntry.body)
            .where(col(EthicsLogEntry.entry_index) >= start)
            .order_by(col(EthicsLogEntry.entry_index))
            .limit(count)
        )
        rows = list((await session.exec(stmt)).all())
    return b"".join(bytes(r) + b"\n" for r in rows)


async def content_proof(session: AsyncSession, bundle_hash: str) -> str | None:
    """The tlog-proof that ``bundle_hash`` was published, against the newest checkpoint.

    None when the log never published it or no checkpoint covers the publish entry yet.
    """
    stmt = (
        select(EthicsLogEntry)
        .where(EthicsLogEntry.kind == "publish", EthicsLogEntry.bundle_hash == bundle_hash)
        .order_by(col(EthicsLogEntry.entry_index).desc())
        .limit(1)
    )
    row = (await session.exec(stmt)).first()
    if row is None:
        return None
    cp = await latest_checkpoint(session)
    if cp is None or cp.size <= row.entry_index:
        return None
    key = (bundle_hash, row.entry_index, cp.id or 0)
    cached = _PROOFS.get(key)
    if cached is None:
        # every game start asks: one proof per (bundle, checkpoint row), not a tree walk each
        hashes = await leaf_hashes(session, cp.size)
        path = merkle.inclusion_proof_from_hashes(row.entry_index, hashes)
        cached = ContentProof(bytes(row.body), row.entry_index, path, cp.note).text()
        if len(_PROOFS) >= 64:
            _PROOFS.clear()
        _PROOFS[key] = cached
    return cached
