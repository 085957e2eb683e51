"""Writing an export directory: every entry, every checkpoint note, every key, every bundle.

Every signed note is kept, including several at one size: the note a rotation's outgoing key
co-signed is what lets a verifier who pinned the old key follow the rotation.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from ethics import merkle
from server import content_api
from server.board.keys import public_keys, sign_checkpoint_now
from server.board.models import EthicsCheckpoint, EthicsLogEntry
from server.settings import Settings
from server.storage.db import Database


async def export(db: Database, settings: Settings, out: Path, now: datetime) -> dict[str, Any]:
    """Write an export directory (signing a fresh checkpoint first); returns a summary."""
    from ethics.exportdir import write_export

    await sign_checkpoint_now(db, settings, now)
    async with db.session() as session:
        stmt = select(EthicsLogEntry).order_by(col(EthicsLogEntry.entry_index))
        rows = list((await session.exec(stmt)).all())
        stmt_cp = select(EthicsCheckpoint).order_by(
            col(EthicsCheckpoint.size), col(EthicsCheckpoint.id)
        )
        checkpoints = list((await session.exec(stmt_cp)).all())
        keys = await public_keys(session)
        bundles: dict[str, bytes] = {}
        for row in rows:
            if row.kind == "publish" and row.bundle_hash and row.bundle_hash not in bundles:
                body = await content_api.load_bundle(session, row.bundle_hash)
                if body is not None:
                    bundles[row.bundle_hash] = body
    entries = [r.body for r in rows]
    root = merkle.root(entries)
    notes = [(cp.size, cp.note) for cp in checkpoints]
    await asyncio.to_thread(
        write_export,
        out,
        entries=entries,
        checkpoints=notes,
        keys=[k.vkey for k in keys],
        bundles=bundles,
        origin=settings.ethics_log_origin,
        root=root,
    )
    return {"entries": len(entries), "checkpoints": len(notes), "root": root.hex()}
