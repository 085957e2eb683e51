"""Backup and restore with real processes: ``crossroads backup`` copies a live server's
database while its chat writer process works, ``crossroads restore`` puts it under a new
server, and the player and the counsellor resume their chat there with nothing lost."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import msgpack
import pytest

from tests.e2e.server_process import ServerProcess
from tests.integration.test_handoff_support import Player, Staff, consent_frame

pytestmark = pytest.mark.e2e


async def _player(http: aiohttp.ClientSession, url: str, token: str | None = None) -> Player:
    if token is None:
        async with http.post(f"{url}/api/v1/sessions") as response:
            assert response.status == 201
            token = str((await response.json())["token"])
    ws = await http.ws_connect(f"{url}/ws/player")
    player = Player(ws, token)
    await ws.send_bytes(msgpack.packb({"type": "hello", "v": 1, "token": token}))
    player.welcome = await player.expect("welcome")
    return player


async def _counsellor(url: str) -> Staff:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.post(
        f"{url}/auth/login", json={"username": "counsellor3", "password": "demo-counsellor3"}
    ) as response:
        assert response.status == 200, await response.text()
    staff = Staff(await session.ws_connect(f"{url}/ws/staff"), session)
    staff.welcome = await staff.expect("welcome")
    return staff


async def test_backup_of_a_live_server_resumes_on_a_new_one(tmp_path: Path) -> None:
    """Six acknowledged messages, a backup while serving, a restore: all six come back."""
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = ServerProcess(tmp_path / "first")
    second = ServerProcess(tmp_path / "second", seed=False)
    first.prepare()
    first.start()
    texts: list[tuple[str, str]] = []
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{first.url}/api/v1/content") as response:
                offer = json.loads(await response.read())["offers"]["offer.main"]
                bundle = (response.headers["X-Content-Hash"], "offer.main", int(offer["version"]))
            counsellor = await _counsellor(first.url)
            player = await _player(http, first.url)
            await player.send(consent_frame(bundle, kind="survivor", kind_required=True))
            offered = await counsellor.expect("offer")
            await counsellor.send({"type": "accept", "offer_id": offered["offer_id"]})
            conversation = (await player.expect("matched"))["conversation_id"]
            for i in range(3):
                await player.send({"type": "message", "client_id": f"p{i}", "text": f"p{i}"})
                await player.expect("ack")
                await counsellor.send(
                    {"type": "message", "conversation_id": conversation, "client_id": f"c{i}",
                     "text": f"c{i}"}
                )  # fmt: skip
                await counsellor.expect("ack")
                texts += [("player", f"p{i}"), ("counsellor", f"c{i}")]
            made = first.cli("backup", str(tmp_path / "backup"))
            assert made.returncode == 0, made.stderr
            assert "6 chat messages" in made.stdout
            await counsellor.close()
    finally:
        assert first.stop() == 0

    restored = second.cli("restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr
    again = second.cli("restore", str(tmp_path / "backup"))
    assert again.returncode == 1 and "--force" in again.stderr
    second.start()
    try:
        async with aiohttp.ClientSession() as http:
            back = await _player(http, second.url, player.token)
            assert back.welcome["state"]["conversation_id"] == conversation
            await back.send({"type": "resume", "conversation_id": conversation, "last_seq": 0})
            replayed = []
            while (frame := await back.recv())["type"] != "resumed":
                if frame["type"] == "message":  # (the service frame may come first)
                    replayed.append((frame["sender"], frame["text"]))
            assert replayed == texts
            counsellor = await _counsellor(second.url)
            await back.send({"type": "message", "client_id": "after", "text": "still here"})
            assert (await back.expect("ack"))["seq"] == 7
            got = await counsellor.expect("message")
            assert got["text"] == "still here"
            await counsellor.close()
    finally:
        assert second.stop() == 0
