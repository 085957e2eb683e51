"""The log's side of witnessing: send each new checkpoint to the witnesses, keep their cosignatures.

The witnesses and the quorum come from the tlog-policy file in
``settings.ethics_witness_policy``. After a checkpoint is signed (the scheduled job, and right
after a publish or an unpublish) :func:`collect` posts it to every witness's
``add-checkpoint`` with a consistency proof from the size that witness last cosigned, checks
each returned cosignature with the witness's key and stores the note with it as a new row
(checkpoints are append-only), so
``GET /api/v1/ethics/checkpoint`` and every content proof carry them.

A witness that is down or refuses only leaves its cosignature missing: publishing never
waits for it. :func:`status` tells the board pages, from the stored notes, which witness
cosigned which checkpoint and what the last attempt said.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiohttp
from sqlmodel import col, select

from ethics import merkle
from ethics.cosign import add_cosignatures
from ethics.exceptions import CheckpointError
from ethics.policy import PolicyError, Witness, WitnessPolicy
from ethics.witness import SIZE_TYPE, add_checkpoint_request
from server.board.keys import latest_checkpoint
from server.board.logstore import BoardError, leaf_hashes
from server.board.models import EthicsCheckpoint
from server.settings import Settings
from server.storage.db import Database

log = logging.getLogger("crossroads.board")

TIMEOUT_SECONDS = 5.0
RECENT_CHECKPOINTS = 200
_LAST: weakref.WeakKeyDictionary[Database, dict[str, tuple[datetime, str]]] = (
    weakref.WeakKeyDictionary()
)


def load_policy(settings: Settings) -> WitnessPolicy | None:
    """The configured witness policy, or None; a broken file is the operator's error."""
    path = settings.ethics_witness_policy
    if path is None:
        return None
    try:
        return WitnessPolicy.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, PolicyError) as exc:
        raise BoardError(
            500, "bad_witness_policy", f"CROSSROADS_ETHICS_WITNESS_POLICY {path}: {exc}"
        ) from exc


@dataclass
class WitnessStatus:
    """What the board page shows for one witness."""

    name: str
    url: str | None
    cosigned_size: int | None  # the largest checkpoint it cosigned, None if never
    cosigned_newest: bool
    last_attempt: datetime | None
    last_result: str


def _cosigned_sizes(witness: Witness, rows: list[EthicsCheckpoint]) -> list[int]:
    out = []
    for row in rows:
        try:
            if witness.key.cosignatures(row.note):
                out.append(row.size)
        except CheckpointError:
            continue
    return out


async def _recent(db: Database) -> list[EthicsCheckpoint]:
    async with db.session() as session:
        stmt = (
            select(EthicsCheckpoint)
            .order_by(col(EthicsCheckpoint.size).desc(), col(EthicsCheckpoint.id).desc())
            .limit(RECENT_CHECKPOINTS)
        )
        return list((await session.exec(stmt)).all())


async def status(
    db: Database, settings: Settings
) -> tuple[WitnessPolicy | None, list[WitnessStatus]]:
    """The policy and each witness's state, for the board pages."""
    policy = load_policy(settings)
    if policy is None:
        return None, []
    rows = await _recent(db)
    newest = rows[0] if rows else None
    last = _LAST.get(db, {})
    out = []
    for name, witness in policy.witnesses.items():
        sizes = _cosigned_sizes(witness, rows)
        attempt = last.get(name)
        out.append(
            WitnessStatus(
                name=name,
                url=witness.url,
                cosigned_size=max(sizes) if sizes else None,
                cosigned_newest=newest is not None and bool(witness.key.cosignatures(newest.note)),
                last_attempt=attempt[0] if attempt else None,
                last_result=attempt[1] if attempt else "not contacted by this server process yet",
            )
        )
    return policy, out


async def _submit(
    http: aiohttp.ClientSession,
    witness: Witness,
    old: int,
    hashes: list[bytes],
    note: str,
) -> tuple[int, str, str]:
    """POST add-checkpoint once; returns (status, content type, body)."""
    assert witness.url is not None
    proof = merkle.consistency_proof_from_hashes(old, hashes) if old else []
    body = add_checkpoint_request(old, proof, note)
    url = witness.url.rstrip("/") + "/add-checkpoint"
    async with http.post(url, data=body, timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)) as r:
        return r.status, r.content_type, (await r.text())[:2000]


async def _one(
    http: aiohttp.ClientSession,
    witness: Witness,
    row: EthicsCheckpoint,
    hashes: list[bytes],
    known_size: int,
) -> tuple[str | None, str]:
    """Ask one witness to cosign; returns (cosignature line or None, what happened)."""
    if witness.url is None:
        return None, "no URL in the policy"
    old = min(known_size, row.size)
    try:
        status_, ctype, text = await _submit(http, witness, old, hashes, row.note)
        if status_ == 409 and ctype == SIZE_TYPE:
            theirs = text.strip()
            if not (theirs.isascii() and theirs.isdigit()) or int(theirs) > row.size:
                return None, f"refused: it has cosigned size {theirs[:20]}, beyond this log"
            status_, ctype, text = await _submit(http, witness, int(theirs), hashes, row.note)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return None, f"unreachable: {exc or type(exc).__name__}"
    if status_ != 200:
        return None, f"refused with HTTP {status_}: {text.strip()[:300]}"
    lines = [line + "\n" for line in text.split("\n") if line.startswith("\u2014 ")]
    for line in lines:
        if witness.key.cosignatures(row.note + line):
            return line, f"cosigned size {row.size}"
    return None, "answered without a valid cosignature from its key"


async def collect(db: Database, settings: Settings, now: datetime) -> list[str]:
    """Get cosignatures on the newest checkpoint from every configured witness.

    Returns the names of the witnesses that cosigned now. Never raises for a witness's
    failure; the result is kept for :func:`status` and logged.
    """
    policy = load_policy(settings)
    if policy is None or not policy.witnesses:
        return []
    async with db.session() as session:
        row = await latest_checkpoint(session)
        if row is None:
            return []
        hashes = await leaf_hashes(session, row.size)
    rows = await _recent(db)
    pending = {name: w for name, w in policy.witnesses.items() if not w.key.cosignatures(row.note)}
    if not pending:
        return []
    async with aiohttp.ClientSession() as http:
        results = await asyncio.gather(
            *(
                _one(http, w, row, hashes, max(_cosigned_sizes(w, rows), default=0))
                for w in pending.values()
            )
        )
    last = _LAST.setdefault(db, {})
    lines = []
    done = []
    for (name, _), (line, what) in zip(pending.items(), results, strict=True):
        last[name] = (now, what)
        if line is None:
            log.warning("witness %s did not cosign checkpoint %s: %s", name, row.size, what)
        else:
            lines.append(line)
            done.append(name)
    if lines:
        # checkpoints are append-only: the cosigned note is a new row of the same tree head,
        # and the newest row is what the checkpoint endpoint and content proofs serve
        async with db.session() as session:
            session.add(
                EthicsCheckpoint(
                    size=row.size,
                    root=row.root,
                    key_id=row.key_id,
                    note=add_cosignatures(row.note, lines),
                    created_at=now,
                )
            )
            await session.commit()
    return done
