"""The board service: propose, check, review, publish and unpublish, all in the signed log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from ethics import merkle
from ethics.checkpoint import Verifier
from ethics.exportdir import read_export
from ethics.review import CHECKLIST
from ethics.verify import verify_export
from server import content_api
from server.board import service
from server.board.models import EthicsLogEntry
from server.board.service import BoardError
from server.settings import Settings
from server.storage.db import Database
from tests.integration.test_board_helpers import bundle_bytes, staff

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
TICKED = dict.fromkeys(CHECKLIST, True)


@pytest.fixture
async def sdb(seeded_settings: Settings) -> Database:
    database = Database(seeded_settings.database_url)
    yield database  # type: ignore[misc]
    await database.dispose()


async def _approve(db: Database, settings: Settings, pid: int, who: str, at: datetime) -> None:
    view = await service.proposal_view(db, settings, pid)
    await service.review(
        db,
        settings,
        actor=await staff(db, who),
        proposal_id=pid,
        bundle_hash=view.current.bundle_hash,
        decision="approve",
        rationale="Read every locale; honest and calm.",
        checklist=dict(TICKED),
        now=at,
    )


async def test_full_governed_publication(
    sdb: Database, seeded_settings: Settings, tmp_path: Path
) -> None:
    """An author's proposal reaches players only after two board approvals, and it is logged."""
    settings = seeded_settings
    author = await staff(sdb, "author1")
    async with sdb.session() as session:
        publishes_before = len(
            (
                await session.exec(select(EthicsLogEntry).where(EthicsLogEntry.kind == "publish"))
            ).all()
        )
    body = bundle_bytes(tmp_path, ("Kind of weird, right?", "Strange, isn't it?"))
    prop = await service.propose(
        sdb,
        settings,
        actor=author,
        bundle_bytes=body,
        message="Softer wording in the group scene",
        now=NOW,
    )
    assert prop.id is not None
    view = await service.proposal_view(sdb, settings, prop.id)
    assert view.current.diff["summary"]["changed"] >= 1
    assert "0 of 2 required approvals" in view.blockers

    with pytest.raises(BoardError) as exc:
        await service.publish(
            sdb, settings, actor=await staff(sdb, "board1"), proposal_id=prop.id, now=NOW
        )
    assert exc.value.code == "not_publishable"

    await _approve(sdb, settings, prop.id, "board1", NOW + timedelta(minutes=1))
    await _approve(sdb, settings, prop.id, "board2", NOW + timedelta(minutes=2))
    entry = await service.publish(
        sdb,
        settings,
        actor=await staff(sdb, "board1"),
        proposal_id=prop.id,
        now=NOW + timedelta(minutes=3),
    )
    async with sdb.session() as session:
        assert await content_api.published_hash(session) == view.current.bundle_hash
        cp = await service.latest_checkpoint(session)
        assert cp is not None and cp.size == await service.log_size(session)
    proof = await service.inclusion(sdb, entry.entry_index)
    assert proof.verified
    async with sdb.session() as session:
        assert await service.was_published(session, view.current.bundle_hash)
        assert not await service.was_published(session, "0" * 64)

    out = tmp_path / "export"
    await service.export(sdb, settings, out, NOW + timedelta(minutes=4))
    report = verify_export(read_export(out))
    assert report.ok, [str(p) for p in report.problems]
    assert report.publishes == publishes_before + 1


async def test_author_cannot_approve_own_proposal(
    sdb: Database, seeded_settings: Settings, tmp_path: Path
) -> None:
    """An author who is also a reviewer still cannot approve their own proposal."""
    admin = await staff(sdb, "admin1")
    prop = await service.propose(
        sdb,
        seeded_settings,
        actor=admin,
        bundle_bytes=bundle_bytes(tmp_path),
        message="Admin's change",
        now=NOW,
    )
    assert prop.id is not None
    with pytest.raises(BoardError) as exc:
        await _approve(sdb, seeded_settings, prop.id, "admin1", NOW)
    assert exc.value.code == "own_proposal"


async def test_emergency_unpublish_rolls_back(
    sdb: Database, seeded_settings: Settings, tmp_path: Path
) -> None:
    """One board member can withdraw the current bundle; players get the previous one."""
    async with sdb.session() as session:
        before = await content_api.published_hash(session)
    prop = await service.propose(
        sdb,
        seeded_settings,
        actor=await staff(sdb, "author1"),
        bundle_bytes=bundle_bytes(tmp_path, ("Tomorrow is another day.", "See you.")),
        message="Shorter ending",
        now=NOW,
    )
    assert prop.id is not None
    await _approve(sdb, seeded_settings, prop.id, "board1", NOW)
    await _approve(sdb, seeded_settings, prop.id, "board2", NOW)
    await service.publish(
        sdb, seeded_settings, actor=await staff(sdb, "board2"), proposal_id=prop.id, now=NOW
    )
    _, restored = await service.unpublish(
        sdb,
        seeded_settings,
        actor=await staff(sdb, "board1"),
        rationale="Wrong helpline number found",
        now=NOW,
    )
    assert restored == before
    async with sdb.session() as session:
        assert await content_api.published_hash(session) == before


async def test_log_rows_cannot_be_changed_or_deleted(
    sdb: Database, seeded_settings: Settings, tmp_path: Path
) -> None:
    """The database itself refuses UPDATE and DELETE on the log."""
    await service.propose(
        sdb,
        seeded_settings,
        actor=await staff(sdb, "author1"),
        bundle_bytes=bundle_bytes(tmp_path),
        message="Any change",
        now=NOW,
    )
    for statement in (
        "UPDATE ethics_log_entry SET kind = 'x'",
        "DELETE FROM ethics_log_entry",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            async with sdb.session() as session:
                conn = await session.connection()
                await conn.execute(sa.text(statement))
                await session.commit()


async def test_invalid_bundle_is_refused(sdb: Database, seeded_settings: Settings) -> None:
    """Proposing bytes that are not a bundle gives a clear error and logs nothing."""
    async with sdb.session() as session:
        size_before = await service.log_size(session)
    with pytest.raises(BoardError) as exc:
        await service.propose(
            sdb,
            seeded_settings,
            actor=await staff(sdb, "author1"),
            bundle_bytes=b"{}",
            message="x" * 12,
            now=NOW,
        )
    assert exc.value.code == "invalid_bundle"
    async with sdb.session() as session:
        assert await service.log_size(session) == size_before


async def test_key_rotation_is_logged_and_verifiable(
    sdb: Database, seeded_settings: Settings, tmp_path: Path
) -> None:
    """After a rotation the export verifies for whoever pinned the old key or the new one."""
    async with sdb.session() as session:
        row = await service.active_key(session)
    assert row is not None
    first = row.vkey
    with pytest.raises(BoardError) as exc:
        await service.keygen(sdb, seeded_settings, NOW)
    assert exc.value.code == "key_exists"
    second = await service.rotate_key(
        sdb, seeded_settings, NOW, reason="yearly rotation of the key"
    )
    assert first != second
    out = tmp_path / "export"
    await service.export(sdb, seeded_settings, out, NOW)
    for pinned in (first, second):
        report = verify_export(read_export(out), trusted=[Verifier.from_vkey(pinned)])
        assert report.ok, [str(p) for p in report.problems]
    names = {p.name for p in (out / "keys").iterdir()}
    assert {first.split("+")[1] + ".vkey", second.split("+")[1] + ".vkey"} <= names
    assert merkle.DIGEST_SIZE == 32


async def test_lost_key_is_never_replaced_silently(
    sdb: Database, seeded_settings: Settings, tmp_path: Path
) -> None:
    """A missing key file blocks signing; recovery needs the quorum and explicit acceptance."""
    async with sdb.session() as session:
        row = await service.active_key(session)
    assert row is not None
    first = Verifier.from_vkey(row.vkey)
    for key_file in Path(seeded_settings.ethics_key_dir).iterdir():
        key_file.unlink()
    with pytest.raises(BoardError) as exc:
        await service.sign_checkpoint_now(sdb, seeded_settings, NOW)
    assert exc.value.code == "signing_key_lost"
    board1, board2 = await staff(sdb, "board1"), await staff(sdb, "board2")
    author = await staff(sdb, "author1")
    with pytest.raises(BoardError) as exc:
        await service.recover_key(
            sdb, seeded_settings, NOW, reason="disk failed", by=board1.id, approvals=[author.id]
        )
    assert exc.value.code in ("not_a_reviewer", "recovery_quorum")
    new = await service.recover_key(
        sdb,
        seeded_settings,
        NOW,
        reason="the key file was lost with the old disk",
        by=board1.id,
        approvals=[board1.id, board2.id],
    )
    out = tmp_path / "export"
    await service.export(sdb, seeded_settings, out, NOW)
    refused = verify_export(read_export(out), trusted=[first])
    assert not refused.ok
    assert any("key_recovery replaces trusted key" in p.what for p in refused.problems)
    accepted = verify_export(
        read_export(out),
        trusted=[first],
        accept_rotations=[Verifier.from_vkey(new).key_id.hex()],
    )
    assert accepted.ok, [str(p) for p in accepted.problems]


async def test_concurrent_steps_keep_the_log_consistent(
    sdb: Database, seeded_settings: Settings, tmp_path: Path
) -> None:
    """Board members acting at the same moment all get logged, in one gap-free order."""
    settings = seeded_settings
    props = []
    for i in range(3):
        prop = await service.propose(
            sdb,
            settings,
            actor=await staff(sdb, "author1"),
            bundle_bytes=bundle_bytes(tmp_path, ("Tomorrow is another day.", f"Day {i}.")),
            message=f"Concurrent proposal {i}",
            now=NOW,
        )
        assert prop.id is not None
        props.append(prop.id)
    views = [await service.proposal_view(sdb, settings, pid) for pid in props]
    members = [await staff(sdb, who) for who in ("board1", "board2")]
    await asyncio.gather(
        *(
            service.review(
                sdb,
                settings,
                actor=member,
                proposal_id=view.proposal.id or 0,
                bundle_hash=view.current.bundle_hash,
                decision="approve",
                rationale="Approved in parallel with others.",
                checklist=dict(TICKED),
                now=NOW,
            )
            for view in views
            for member in members
        )
    )
    async with sdb.session() as session:
        rows = (
            await session.exec(select(EthicsLogEntry).order_by(EthicsLogEntry.entry_index))
        ).all()
    assert [r.entry_index for r in rows] == list(range(len(rows)))
    assert sum(1 for r in rows if r.kind == "review") >= 6
    for view in views:
        assert (
            len((await service.proposal_view(sdb, settings, view.proposal.id or 0)).approvers) == 2
        )
