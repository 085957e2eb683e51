"""The log against its own operator, through the server: stale bases, co-authors, public proofs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from ethics import merkle
from ethics.checkpoint import Verifier, open_checkpoint
from ethics.review import CHECKLIST
from server.board import service
from server.board.service import BoardError
from server.settings import Settings
from server.storage.db import Database
from tests.integration.test_board_helpers import bundle_bytes, staff

Client = TestClient  # type: ignore[type-arg]
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
TICKED = dict.fromkeys(CHECKLIST, True)


@pytest.fixture
async def sdb(seeded_settings: Settings) -> Database:
    database = Database(seeded_settings.database_url)
    yield database  # type: ignore[misc]
    await database.dispose()


async def _approve(db: Database, settings: Settings, pid: int, who: str) -> None:
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
        now=NOW,
    )


async def _propose(db: Database, settings: Settings, tmp_path: Path, text: str) -> int:
    prop = await service.propose(
        db,
        settings,
        actor=await staff(db, "author1"),
        bundle_bytes=bundle_bytes(tmp_path, ("Tomorrow is another day.", text)),
        message=f"Proposal: {text}",
        now=NOW,
    )
    assert prop.id is not None
    return prop.id


async def test_stale_base_is_refused_until_rebased(
    sdb: Database, seeded_settings: Settings, tmp_path: Path
) -> None:
    """A proposal approved against an outdated base cannot silently revert a later publish."""
    settings = seeded_settings
    slow = await _propose(sdb, settings, tmp_path, "A slow rewrite.")
    fix = await _propose(sdb, settings, tmp_path, "An urgent fix.")
    for pid in (slow, fix):
        for who in ("board1", "board2"):
            await _approve(sdb, settings, pid, who)
    await service.publish(sdb, settings, actor=await staff(sdb, "board1"), proposal_id=fix, now=NOW)
    fix_hash = (await service.proposal_view(sdb, settings, fix)).current.bundle_hash

    with pytest.raises(BoardError) as exc:
        await service.publish(
            sdb, settings, actor=await staff(sdb, "board1"), proposal_id=slow, now=NOW
        )
    assert exc.value.code == "stale_base"
    assert fix_hash[:12] in exc.value.message and "rebase" in exc.value.message
    view = await service.proposal_view(sdb, settings, slow)
    assert view.stale is not None and view.current.base_bundle_hash[:12] in view.stale

    await service.rebase(
        sdb, settings, actor=await staff(sdb, "author1"), proposal_id=slow, message="", now=NOW
    )
    view = await service.proposal_view(sdb, settings, slow)
    assert view.current.number == 2 and view.current.base_bundle_hash == fix_hash
    assert view.approvers == []  # rebasing dismissed the approvals
    rebase = view.current.diff["rebase"]
    assert rebase["flagged"] >= 1
    flagged = [i for i in rebase["items"] if i["state"] != "ours"]
    assert any(i["section"] == "node" for i in flagged)
    assert view.stale is None
    for who in ("board1", "board2"):
        await _approve(sdb, settings, slow, who)
    await service.publish(
        sdb, settings, actor=await staff(sdb, "board2"), proposal_id=slow, now=NOW
    )


async def test_every_co_author_is_excluded(
    sdb: Database, seeded_settings: Settings, tmp_path: Path
) -> None:
    """Whoever rewrote revision 2 still cannot approve revision 3, and the page says why."""
    settings = seeded_settings
    pid = await _propose(sdb, settings, tmp_path, "First wording.")
    board1 = await staff(sdb, "board1")
    await service.propose(
        sdb,
        settings,
        actor=board1,
        bundle_bytes=bundle_bytes(tmp_path, ("Tomorrow is another day.", "Board1's wording.")),
        message="Rewrote the ending",
        now=NOW,
        proposal_id=pid,
    )
    await service.propose(
        sdb,
        settings,
        actor=await staff(sdb, "author1"),
        bundle_bytes=bundle_bytes(tmp_path, ("Tomorrow is another day.", "Third wording.")),
        message="Back to the author",
        now=NOW + timedelta(seconds=1),
        proposal_id=pid,
    )
    with pytest.raises(BoardError) as exc:
        await _approve(sdb, settings, pid, "board1")
    assert exc.value.code == "own_proposal"
    assert "co-author: wrote revision 2" in exc.value.message
    view = await service.proposal_view(sdb, settings, pid)
    assert view.excluded[board1.id] == "co-author: wrote revision 2"


@pytest.mark.parametrize(
    "bad",
    ["%C2%B2", "%D9%A3", "9" * 5000, "-1", "1e3", "01", "+1", "%201", "18446744073709551616"],
)
async def test_bad_sizes_are_400_with_a_code(seeded_client: Client, bad: str) -> None:
    """Malformed, negative, huge or non-ASCII sizes get 400 bad_size, never a 500."""
    for url in (
        f"/api/v1/ethics/consistency?from={bad}",
        f"/api/v1/ethics/inclusion?index={bad}",
        f"/api/v1/ethics/entries?start={bad}",
    ):
        response = await seeded_client.get(url)
        assert response.status == 400, url
        assert (await response.json())["error"]["code"] == "bad_size"


async def test_published_key_checkpoint_and_entries_fit_together(seeded_client: Client) -> None:
    """Anyone can fetch the key, the checkpoint and the entries, and they verify together."""
    key_text = await (await seeded_client.get("/api/v1/ethics/key")).text()
    origin, first_key = key_text.splitlines()[:2]
    verifier = Verifier.from_vkey(first_key)
    response = await seeded_client.get("/api/v1/ethics/key")
    assert response.headers["X-Key-Fingerprint"] == verifier.fingerprint
    note = await (await seeded_client.get("/api/v1/ethics/checkpoint")).text()
    checkpoint, _ = open_checkpoint(note, [verifier])
    assert checkpoint.origin == origin
    body = await (
        await seeded_client.get(f"/api/v1/ethics/entries?start=0&count={checkpoint.size}")
    ).read()
    leaves = body.split(b"\n")[:-1]
    assert merkle.root(leaves) == checkpoint.root
    response = await seeded_client.get("/api/v1/ethics/entries?start=0&count=5000")
    assert response.status == 400


async def test_pages_show_fingerprint_exclusions_and_rebase(
    seeded_client: Client, tmp_path: Path
) -> None:
    """The board shows the key fingerprint, who is excluded and why, and offers the rebase."""
    from aiohttp import FormData

    from tests.integration.test_board_pages import _as, _propose, _review

    key_text = await (await seeded_client.get("/api/v1/ethics/key")).text()
    fingerprint = Verifier.from_vkey(key_text.splitlines()[1]).fingerprint
    csrf = await _as(seeded_client, "author1")
    slow = await _propose(
        seeded_client,
        csrf,
        bundle_bytes(tmp_path, ("Tomorrow is another day.", "Slow.")),
        "The slow rewrite",
    )
    fix = await _propose(
        seeded_client,
        csrf,
        bundle_bytes(tmp_path, ("Tomorrow is another day.", "Fix.")),
        "The urgent fix one",
    )
    page = await (await seeded_client.get("/board")).text()
    assert fingerprint in page and "only this server vouches for the log" in page
    for who in ("board1", "board2"):
        member_csrf = await _as(seeded_client, who)
        assert await _review(seeded_client, member_csrf, fix) == 303
    response = await seeded_client.post(
        f"/board/proposals/{fix}/publish", data={"csrf_token": member_csrf}, allow_redirects=False
    )
    assert response.status == 303
    csrf = await _as(seeded_client, "author1")
    page = await (await seeded_client.get(f"/board/proposals/{slow}")).text()
    assert 'id="stale"' in page and "rebase it first" in page and 'id="rebase-form"' in page
    assert "proposed it (revision 1)" in page
    form = FormData()
    form.add_field("csrf_token", csrf)
    form.add_field("message", "")
    form.add_field("bundle", b"", filename="", content_type="application/octet-stream")
    response = await seeded_client.post(
        f"/board/proposals/{slow}/rebase", data=form, allow_redirects=False
    )
    assert response.status == 303, await response.text()
    page = await (await seeded_client.get(f"/board/proposals/{slow}")).text()
    assert 'id="three-way"' in page and 'id="stale"' not in page


async def test_a_down_witness_never_blocks_publishing(
    sdb: Database, seeded_settings: Settings, tmp_path: Path
) -> None:
    """With the only witness unreachable, publishing works and the board sees what is missing."""
    from ethics.cosign import WitnessSigner
    from server.board import witnesses
    from tests.e2e.server_process import free_port

    signer = WitnessSigner.generate("partner.example/w1")
    policy = tmp_path / "policy.txt"
    policy.write_text(
        f"witness W1 {signer.key.vkey} http://127.0.0.1:{free_port()}\nquorum W1\n",
        encoding="utf-8",
    )
    settings = seeded_settings.model_copy(update={"ethics_witness_policy": policy})
    pid = await _propose(sdb, settings, tmp_path, "Published while the witness is down.")
    for who in ("board1", "board2"):
        await _approve(sdb, settings, pid, who)
    await service.publish(sdb, settings, actor=await staff(sdb, "board1"), proposal_id=pid, now=NOW)
    assert await witnesses.collect(sdb, settings, NOW) == []
    found, states = await witnesses.status(sdb, settings)
    assert found is not None
    assert states[0].name == "W1" and not states[0].cosigned_newest
    assert states[0].last_result.startswith("unreachable")
    async with sdb.session() as session:
        newest = await service.latest_checkpoint(session)
    assert newest is not None
    assert "needs a cosignature by W1; cosigned by none" in (found.check(newest.note) or "")


async def test_content_carries_a_proof_the_published_key_verifies(seeded_client: Client) -> None:
    """GET /api/v1/content sends a tlog-proof of its publish entry, checked offline."""
    import base64

    from ethics.checkpoint import Signer
    from ethics.proof import ProofError, verify_content_proof

    key_text = await (await seeded_client.get("/api/v1/ethics/key")).text()
    verifier = Verifier.from_vkey(key_text.splitlines()[1])
    response = await seeded_client.get("/api/v1/content")
    assert response.status == 200
    proof = base64.b64decode(response.headers["X-Ethics-Proof"]).decode()
    digest = response.headers["X-Content-Hash"]
    checkpoint = verify_content_proof(proof, digest, [verifier], origin=key_text.splitlines()[0])
    assert checkpoint.size >= 1
    stranger = Signer.generate("x.example/log").verifier
    with pytest.raises(ProofError, match="not signed by the pinned"):
        verify_content_proof(proof, digest, [stranger])
