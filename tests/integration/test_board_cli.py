"""`crossroads ethics ...` and `crossroads content propose`: clear output, exit 1 on problems."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server.chat.models import ConsentRecord
from server.cli import main
from server.storage.db import Database
from tests.integration.test_board_helpers import STORY

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, seeded_settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """Point the CLI at a copy of the seeded demo database."""
    monkeypatch.setenv("CROSSROADS_DATABASE_URL", seeded_settings.database_url)
    monkeypatch.setenv("CROSSROADS_DEV_MODE", "true")
    monkeypatch.setenv("CROSSROADS_ETHICS_KEY_DIR", str(tmp_path / "keys"))
    # the demo log's signing key goes with it (a log whose key is gone refuses to sign)
    shutil.copytree(seeded_settings.ethics_key_dir, tmp_path / "keys")
    return tmp_path


@pytest.fixture
def fresh_env(monkeypatch: pytest.MonkeyPatch, settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """Point the CLI at an empty migrated database that has no signing key yet."""
    monkeypatch.setenv("CROSSROADS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CROSSROADS_DEV_MODE", "true")
    monkeypatch.setenv("CROSSROADS_ETHICS_KEY_DIR", str(tmp_path / "keys"))
    return tmp_path


def _propose_and_publish(env: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Propose the test story by CLI, then approve and publish via the service."""
    import asyncio

    from server.board import service
    from server.settings import Settings
    from tests.integration.test_board_helpers import staff

    assert (
        main(["content", "propose", str(STORY), "-m", "The bus stop story", "--author", "author1"])
        == 0
    )
    out = capsys.readouterr().out
    match = re.search(r"proposal p(\d+) revision 1", out)
    assert match, out
    pid = int(match.group(1))

    async def approve() -> str:
        settings = Settings()
        db = Database(settings.database_url)
        try:
            view = await service.proposal_view(db, settings, pid)
            for who in ("board1", "board2"):
                await service.review(
                    db,
                    settings,
                    actor=await staff(db, who),
                    proposal_id=pid,
                    bundle_hash=view.current.bundle_hash,
                    decision="approve",
                    rationale="Checked every locale, honest.",
                    checklist=dict.fromkeys(service.checklist_items(), True),
                    now=NOW,
                )
            await service.publish(
                db, settings, actor=await staff(db, "board1"), proposal_id=pid, now=NOW
            )
            return view.current.bundle_hash
        finally:
            await db.dispose()

    return asyncio.run(approve())


def test_export_then_verify_ok_and_tampered(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An export verifies (exit 0); after flipping one byte, verify names the problem (exit 1)."""
    _propose_and_publish(env, capsys)
    out = env / "export"
    assert main(["ethics", "export", "--out", str(out)]) == 0
    assert "exported" in capsys.readouterr().out
    assert main(["ethics", "verify", str(out)]) == 0
    assert capsys.readouterr().out.startswith("OK:")
    # pinned: the key the programme publishes verifies; an unrelated key must fail
    published = env / "published.vkey"
    published.write_text(sorted((out / "keys").iterdir())[0].read_text())
    assert main(["ethics", "verify", str(out), "--key", str(published)]) == 0
    report = capsys.readouterr().out
    assert report.startswith("OK:") and "NOTE" not in report
    from ethics.checkpoint import Signer

    unrelated = env / "unrelated.vkey"
    unrelated.write_text(Signer.generate("crossroads.example/ethics-log").verifier.vkey)
    assert main(["ethics", "verify", str(out), "--key", str(unrelated)]) == 1
    assert "not signed by any key you trust" in capsys.readouterr().out
    checkpoint = sorted((out / "checkpoints").iterdir())[-1]
    previous = env / "seen.txt"
    shutil.copy(checkpoint, previous)

    entries = out / "entries.jsonl"
    data = entries.read_bytes().replace(b"The bus stop story", b"The bus stop st0ry", 1)
    entries.write_bytes(data)
    assert main(["ethics", "verify", str(out), "--previous", str(previous)]) == 1
    report = capsys.readouterr().out
    assert "PROBLEM checkpoints/" in report and "FAILED" in report


def test_verify_reports_truncation(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Dropping the last entries of an export is reported against the signed checkpoint."""
    _propose_and_publish(env, capsys)
    out = env / "export"
    assert main(["ethics", "export", "--out", str(out)]) == 0
    lines = (out / "entries.jsonl").read_bytes().splitlines(keepends=True)
    (out / "entries.jsonl").write_bytes(b"".join(lines[:-2]))
    capsys.readouterr()
    assert main(["ethics", "verify", str(out)]) == 1
    assert "truncated" in capsys.readouterr().out


def test_verify_malformed_dir_is_a_clear_error(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Verifying something that is not an export prints one line and exits 1."""
    assert main(["ethics", "verify", str(env / "nope")]) == 1
    err = capsys.readouterr().err
    assert "not a directory" in err and "Traceback" not in err
    (env / "empty").mkdir()
    assert main(["ethics", "verify", str(env / "empty")]) == 1
    assert "not an ethics log export" in capsys.readouterr().err


def test_keygen_twice_is_refused(fresh_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The second keygen says to rotate instead; rotate-key then works."""
    assert main(["ethics", "keygen"]) == 0
    assert "+" in capsys.readouterr().out
    assert main(["ethics", "keygen"]) == 1
    assert "rotate-key" in capsys.readouterr().err
    assert main(["ethics", "rotate-key", "--reason", "member of staff left"]) == 0


def test_propose_bad_input(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown author, missing path and broken stories give one clear line each."""
    assert main(["content", "propose", str(STORY), "-m", "A fine change", "--author", "ghost"]) == 1
    assert "no active staff account 'ghost'" in capsys.readouterr().err
    assert main(["content", "propose", str(env / "missing"), "-m", "A fine change"]) == 1
    assert "does not exist" in capsys.readouterr().err
    broken = env / "broken"
    shutil.copytree(STORY, broken)
    (broken / "nodes.yaml").write_text("nodes: [", encoding="utf-8")
    assert (
        main(["content", "propose", str(broken), "-m", "A fine change", "--author", "author1"]) == 1
    )
    err = capsys.readouterr().err
    assert "nodes.yaml" in err and "Traceback" not in err


def test_prove_consent(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A consent record is traced to the approved offer text, its reviews and a valid proof."""
    import asyncio

    from server.auth import create_player_session
    from server.settings import Settings

    bundle_hash = _propose_and_publish(env, capsys)

    async def add_consent() -> int:
        db = Database(Settings().database_url)
        try:
            player, _ = await create_player_session(db, NOW)
            async with db.session() as session:
                row = ConsentRecord(
                    session_id=player.id,
                    at=NOW,
                    bundle_hash=bundle_hash,
                    offer_id="offer.main",
                    offer_version=1,
                    choices={},
                )
                session.add(row)
                await session.commit()
                assert row.id is not None
                return row.id
        finally:
            await db.dispose()

    consent_id = asyncio.run(add_consent())
    assert main(["ethics", "prove-consent", str(consent_id)]) == 0
    out = capsys.readouterr().out
    assert "Talk to a real person" in out and "VERIFIED" in out and "approve by staff" in out
    assert main(["ethics", "prove-consent", "99999"]) == 1
    assert "no consent record 99999" in capsys.readouterr().err
    assert main(["ethics", "prove-consent", "abc"]) == 1


def test_unusable_key_directory_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, fresh_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key directory path that is a file gives one line naming it, not a traceback."""
    blocker = fresh_env / "not-a-dir"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("CROSSROADS_ETHICS_KEY_DIR", str(blocker))
    assert main(["ethics", "keygen"]) == 1
    err = capsys.readouterr().err
    assert "file system error" in err and "Traceback" not in err


def test_verify_accepts_the_downloaded_archive(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The .tar.gz from /board/export verifies directly; a corrupt archive is a clear error."""
    import tarfile

    _propose_and_publish(env, capsys)
    out = env / "ethics-export"
    assert main(["ethics", "export", "--out", str(out)]) == 0
    archive = env / "download.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(out, arcname=out.name)
    capsys.readouterr()
    assert main(["ethics", "verify", str(archive)]) == 0
    assert capsys.readouterr().out.startswith("OK:")
    broken = env / "broken.tar.gz"
    broken.write_bytes(archive.read_bytes()[:100])
    assert main(["ethics", "verify", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "not a readable .tar.gz export" in err and "Traceback" not in err


def test_bad_log_origin_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, fresh_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An origin that cannot name a key (it has a space) is reported in one line."""
    monkeypatch.setenv("CROSSROADS_ETHICS_LOG_ORIGIN", "my log")
    assert main(["ethics", "keygen"]) == 1
    err = capsys.readouterr().err
    assert "CROSSROADS_ETHICS_LOG_ORIGIN" in err and "Traceback" not in err


def test_rebase_needs_a_proposal(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`content propose --rebase` without --revise is one clear line, exit 1."""
    code = main(
        [
            "content",
            "propose",
            str(STORY),
            "-m",
            "Merged onto the fix",
            "--author",
            "author1",
            "--rebase",
        ]
    )
    assert code == 1
    assert "--rebase needs --revise N" in capsys.readouterr().err


def test_rebase_by_cli_moves_a_stale_proposal(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A proposal overtaken by a publish is rebased from the command line as revision 2."""
    args = ["content", "propose", str(STORY), "-m", "The slow rewrite", "--author", "author1"]
    assert main(args) == 0
    match = re.search(r"proposal p(\d+) revision 1", capsys.readouterr().out)
    assert match
    slow = match.group(1)
    _propose_and_publish(env, capsys)
    capsys.readouterr()
    rebase = [*args[:4], "Merged onto what was published", "--author", "author1"]
    assert main([*rebase, "--revise", slow, "--rebase"]) == 0
    assert f"proposal p{slow} revision 2" in capsys.readouterr().out
