"""The checkpoint signing key and the checkpoints it signs.

The private key lives in a file in ``settings.ethics_key_dir`` (mode 0600); the database keeps
only public keys. Every key change is a log entry, and the rules a verifier applies decide what
the server must do for a change to count:

* **rotation** (``rotate-key``): the outgoing key is still at hand, so the checkpoint covering
  the rotation entry is one note signed by both the outgoing and the incoming key. Whoever
  pinned the old key follows the chain; whoever pins the new one can still read old checkpoints.
* **recovery** (``recover-key``): the private key is lost. Nothing cryptographic links the old
  key to the new one, so the step needs the board's quorum (named members, logged) and every
  verifier must accept it explicitly (``--accept-rotation KEYID``).

A lost key is never replaced silently: signing refuses with ``signing_key_lost`` until the
board recovers. Only the very first key is created on demand.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ethics import entries as E
from ethics import merkle
from ethics.checkpoint import Checkpoint, Signer, Verifier, sign_checkpoint
from ethics.exceptions import SigningKeyError
from server.board.logstore import (
    BoardError,
    append_entry,
    board_state,
    leaf_hashes,
    policy_for,
    transaction,
)
from server.board.models import EthicsCheckpoint, EthicsSigningKey
from server.settings import Settings
from server.storage.db import Database

log = logging.getLogger("crossroads.board")

MIN_REASON = 10


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


async def public_keys(session: AsyncSession) -> list[EthicsSigningKey]:
    """Every signing key the log announced: the active one first, then retired ones."""
    rows = list((await session.exec(select(EthicsSigningKey))).all())
    return sorted(rows, key=lambda r: (not r.active, -(r.id or 0)))


def _lost(row: EthicsSigningKey, settings: Settings) -> BoardError:
    return BoardError(
        503,
        "signing_key_lost",
        f"The checkpoint signing key {row.key_id} is missing from {settings.ethics_key_dir}. "
        "Restore the file from your backup; if it is gone for good, the board must approve a "
        "recovery: crossroads ethics recover-key --reason ... --approved-by USER "
        "--approved-by USER (every verifier will have to accept the new key explicitly).",
    )


async def _announce(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    *,
    reason: str,
    by: int | None,
    approvals: list[int] | None = None,
) -> Signer:
    """Create a key and log it as a rotation (or, with ``approvals``, a recovery)."""
    old_row = await active_key(session)
    try:
        signer = Signer.generate(settings.ethics_log_origin)
    except SigningKeyError as exc:
        raise BoardError(
            500,
            "bad_log_origin",
            f"CROSSROADS_ETHICS_LOG_ORIGIN {settings.ethics_log_origin!r} cannot name a key: {exc}",
        ) from exc
    verifier = signer.verifier
    board = await board_state(session, policy_for(settings), kinds=("key_rotation", "key_recovery"))
    old_vkey = old_row.vkey if old_row else None

    def build(index: int, at: datetime) -> E.Entry:
        if approvals is not None:
            return E.KeyRecoveryEntry(
                index=index,
                at=at,
                actor=by,
                key_name=verifier.name,
                old_key=old_vkey,
                new_key=verifier.vkey,
                reason=reason,
                approvals=sorted(approvals),
            )
        return E.KeyRotationEntry(
            index=index,
            at=at,
            actor=by,
            key_name=verifier.name,
            old_key=old_vkey,
            new_key=verifier.vkey,
            reason=reason,
        )

    await append_entry(session, build, now, board)
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
    return signer


async def current_signer(session: AsyncSession, settings: Settings, now: datetime) -> Signer:
    """The active signing key; the first one is created (and logged) on demand.

    Raises ``BoardError(signing_key_lost)`` when the active key's file is gone: replacing it
    here would be exactly the silent, self-announced rotation a verifier must refuse.
    """
    row = await active_key(session)
    if row is None:
        return await _announce(
            session,
            settings,
            now,
            reason="first checkpoint signing key, created automatically",
            by=None,
        )
    signer = _read_private_key(settings, row.key_id)
    if signer is None:
        log.error("ethics signing key %s missing from %s", row.key_id, settings.ethics_key_dir)
        raise _lost(row, settings)
    return signer


async def latest_checkpoint(session: AsyncSession) -> EthicsCheckpoint | None:
    """The newest signed checkpoint."""
    stmt = select(EthicsCheckpoint).order_by(
        col(EthicsCheckpoint.size).desc(), col(EthicsCheckpoint.id).desc()
    )
    return (await session.exec(stmt)).first()


async def sign(
    session: AsyncSession, settings: Settings, now: datetime, *signers: Signer
) -> EthicsCheckpoint | None:
    """Sign a checkpoint over the whole log unless the newest one already covers it.

    With several ``signers`` (a rotation: the incoming key first, the outgoing one second)
    they all sign the same note, which is what lets a verifier follow the rotation.
    """
    if not signers:
        signers = (await current_signer(session, settings, now),)
    hashes = await leaf_hashes(session)
    newest = await latest_checkpoint(session)
    if (
        len(signers) == 1
        and newest is not None
        and newest.size == len(hashes)
        and newest.key_id == signers[0].verifier.key_id.hex()
    ):
        return None
    root = merkle.root_from_hashes(hashes)
    note = sign_checkpoint(Checkpoint(settings.ethics_log_origin, len(hashes), root), *signers)
    row = EthicsCheckpoint(
        size=len(hashes),
        root=root.hex(),
        key_id=signers[0].verifier.key_id.hex(),
        note=note,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def sign_checkpoint_now(
    db: Database, settings: Settings, now: datetime
) -> EthicsCheckpoint | None:
    """Sign a checkpoint if the log grew since the last one (the scheduled job's work)."""
    return await transaction(db, lambda s: sign(s, settings, now))


async def keygen(db: Database, settings: Settings, now: datetime, *, by: int | None = None) -> str:
    """Create the first signing key; refuse if one exists. Returns the public key."""

    async def work(session: AsyncSession) -> str:
        row = await active_key(session)
        if row is not None:
            if _read_private_key(settings, row.key_id) is None:
                raise _lost(row, settings)
            raise BoardError(
                409, "key_exists", f"a signing key already exists ({row.vkey}); use rotate-key"
            )
        signer = await _announce(
            session, settings, now, reason="signing key generated by an operator", by=by
        )
        await sign(session, settings, now, signer)
        return signer.verifier.vkey

    return await transaction(db, work)


def _reason(reason: str) -> str:
    if len(reason.strip()) < MIN_REASON:
        raise BoardError(
            422, "rationale_required", f"say why the key changes ({MIN_REASON}+ characters)"
        )
    return reason.strip()


async def rotate_key(
    db: Database, settings: Settings, now: datetime, *, reason: str, by: int | None = None
) -> str:
    """Replace the signing key; one checkpoint signed by both keys endorses the new one."""
    reason = _reason(reason)

    async def work(session: AsyncSession) -> str:
        row = await active_key(session)
        if row is None:
            raise BoardError(409, "no_key", "There is no signing key yet; use keygen.")
        old = _read_private_key(settings, row.key_id)
        if old is None:
            raise _lost(row, settings)
        signer = await _announce(session, settings, now, reason=reason, by=by)
        await sign(session, settings, now, signer, old)
        return signer.verifier.vkey

    return await transaction(db, work)


async def recover_key(
    db: Database,
    settings: Settings,
    now: datetime,
    *,
    reason: str,
    by: int,
    approvals: list[int],
) -> str:
    """Replace a lost key on the board's quorum (``approvals``: reviewer staff ids)."""
    reason = _reason(reason)
    from server.storage.models import StaffAccount

    async def work(session: AsyncSession) -> str:
        row = await active_key(session)
        if row is None:
            raise BoardError(409, "no_key", "There is no signing key yet; use keygen.")
        if _read_private_key(settings, row.key_id) is not None:
            raise BoardError(
                409,
                "key_not_lost",
                f"the key {row.key_id} is still readable: use rotate-key, which every "
                "verifier follows without being told",
            )
        for staff_id in approvals:
            account = await session.get(StaffAccount, staff_id)
            roles = list(account.roles) if account else []
            if account is None or not account.active or not {"reviewer", "admin"} & set(roles):
                raise BoardError(
                    403, "not_a_reviewer", f"staff {staff_id} is not an active board member"
                )
        signer = await _announce(session, settings, now, reason=reason, by=by, approvals=approvals)
        await sign(session, settings, now, signer)
        return signer.verifier.vkey

    return await transaction(db, work)


def verifier_of(row: EthicsSigningKey) -> Verifier:
    """The public key of a stored key row."""
    return Verifier.from_vkey(row.vkey)
