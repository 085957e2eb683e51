"""Backup and restore: an online backup of a live server, restored into a new one, resumes the
chat with nothing lost; restore refuses to destroy a database or trust a damaged backup."""

from __future__ import annotations

import json
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from server.app import create_app
from server.backup import BackupError, backup, restore
from server.cli import main
from server.settings import Settings
from server.storage.types import utcnow
from tests.conftest import make_settings
from tests.integration.test_handoff_durability import matched_pair
from tests.integration.test_handoff_support import connect_player, connect_staff


async def test_restored_backup_resumes_the_chat_with_nothing_lost(
    aiohttp_client: Callable[..., Awaitable[TestClient]],  # type: ignore[type-arg]
    seeded_settings: Settings,
    seeded_template: Path,
    tmp_path: Path,
) -> None:
    """Messages acknowledged before an online backup are all there after restoring it."""
    # The demo's signing key, made when the template database was seeded.
    shutil.copytree(seeded_template.parent / "ethics-keys", seeded_settings.ethics_key_dir)
    first = await aiohttp_client(create_app(seeded_settings))
    player, staff, conv = await matched_pair(first)
    texts = []
    for i in range(3):
        await player.send({"type": "message", "client_id": f"p{i}", "text": f"player {i}"})
        await player.expect("ack")
        await staff.send(
            {"type": "message", "conversation_id": conv, "client_id": f"c{i}", "text": f"c {i}"}
        )
        await staff.expect("ack")
        texts += [f"player {i}", f"c {i}"]
    report = backup(
        seeded_settings.database_url, seeded_settings.ethics_key_dir, tmp_path / "bk", utcnow()
    )  # while the first server still runs
    assert report.chat_messages == 6
    await staff.close()
    await first.close()

    fresh = make_settings(tmp_path / "new" / "crossroads.db")
    restore(tmp_path / "bk", fresh.database_url, fresh.ethics_key_dir)
    kept = sorted(p.name for p in seeded_settings.ethics_key_dir.iterdir())
    assert kept and sorted(p.name for p in fresh.ethics_key_dir.iterdir()) == kept
    second = await aiohttp_client(create_app(fresh))
    back = await connect_player(second, player.token)
    assert back.welcome["state"]["conversation_id"] == conv
    assert back.welcome["state"]["last_seq"] == 6
    await back.send({"type": "resume", "conversation_id": conv, "last_seq": 0})
    replayed = []
    while (frame := await back.recv())["type"] != "resumed":
        replayed.append((frame["seq"], frame["text"]))
    assert replayed == list(enumerate(texts, start=1))
    counsellor = await connect_staff(second, "counsellor3")
    await back.send({"type": "message", "client_id": "after", "text": "still here"})
    assert (await back.expect("ack"))["seq"] == 7
    await counsellor.close()


async def test_restore_refuses_to_replace_a_database_unless_forced(
    seeded_settings: Settings, tmp_path: Path
) -> None:
    """An existing database is never overwritten by accident; --force replaces it."""
    backup(seeded_settings.database_url, seeded_settings.ethics_key_dir, tmp_path / "bk", utcnow())
    with pytest.raises(BackupError, match="already holds a database"):
        restore(tmp_path / "bk", seeded_settings.database_url, seeded_settings.ethics_key_dir)
    report = restore(
        tmp_path / "bk", seeded_settings.database_url, seeded_settings.ethics_key_dir, force=True
    )
    assert report.revision is not None


async def test_restore_refuses_a_database_a_server_has_open_even_forced(
    aiohttp_client: Callable[..., Awaitable[TestClient]],  # type: ignore[type-arg]
    seeded_settings: Settings,
    tmp_path: Path,
) -> None:
    """Replacing the file under a running server would lose what it writes next: refused."""
    backup(seeded_settings.database_url, seeded_settings.ethics_key_dir, tmp_path / "bk", utcnow())
    client = await aiohttp_client(create_app(seeded_settings))
    assert (await client.get("/healthz")).status == 200
    with pytest.raises(BackupError, match="in use by a running server"):
        restore(
            tmp_path / "bk",
            seeded_settings.database_url,
            seeded_settings.ethics_key_dir,
            force=True,
        )
    await client.close()
    restore(
        tmp_path / "bk", seeded_settings.database_url, seeded_settings.ethics_key_dir, force=True
    )


async def test_a_damaged_backup_is_not_restored(
    seeded_settings: Settings, seeded_template: Path, tmp_path: Path
) -> None:
    """A backup whose database or key differs from its manifest is refused before any change."""
    shutil.copytree(seeded_template.parent / "ethics-keys", seeded_settings.ethics_key_dir)
    backup(seeded_settings.database_url, seeded_settings.ethics_key_dir, tmp_path / "bk", utcnow())
    fresh = make_settings(tmp_path / "new" / "crossroads.db")
    damaged = tmp_path / "damaged"
    shutil.copytree(tmp_path / "bk", damaged)
    with (damaged / "crossroads.db").open("r+b") as fh:
        fh.seek(5000)
        fh.write(b"\xff" * 16)
    with pytest.raises(BackupError, match="differs from the manifest"):
        restore(damaged, fresh.database_url, fresh.ethics_key_dir)
    assert not Path(fresh.database_url.split("///", 1)[1]).exists()
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    (tmp_path / "bk" / "ethics-keys" / next(iter(manifest["ethics_keys"]))).write_text("x")
    with pytest.raises(BackupError, match="ethics key"):
        restore(tmp_path / "bk", fresh.database_url, fresh.ethics_key_dir)


def test_cli_backup_and_restore_give_clear_errors(
    seeded_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    """The commands print what they wrote, refuse a used folder, a live database, PostgreSQL."""
    monkeypatch.setenv("CROSSROADS_DEV_MODE", "true")
    monkeypatch.setenv("CROSSROADS_DATABASE_URL", seeded_settings.database_url)
    monkeypatch.setenv("CROSSROADS_ETHICS_KEY_DIR", str(seeded_settings.ethics_key_dir))
    assert main(["backup", str(tmp_path / "bk")]) == 0
    assert "backup written to" in capsys.readouterr().out
    assert main(["backup", str(tmp_path / "bk")]) == 1
    assert "not an empty folder" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "bk")]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "nothing")]) == 1
    assert "not a Crossroads backup" in capsys.readouterr().err
    monkeypatch.setenv("CROSSROADS_DATABASE_URL", "postgresql+asyncpg://db.example/crossroads")
    assert main(["backup", str(tmp_path / "pg")]) == 1
    assert "pg_dump" in capsys.readouterr().err
