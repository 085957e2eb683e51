"""The walking skeleton, end to end, with real processes and the real protocol.

A real server runs as a subprocess on a fresh database, once SQLite and once PostgreSQL
(migrated and seeded through the CLI, as ``make run`` does). The headless game (SDL's dummy
driver, synthetic key presses) reads the disclosure, plays into the story, opens the offer,
opts in and chats with a scripted counsellor who signed in over HTTP and talks JSON on
``/ws/staff``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import urllib.request
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp
import pygame
import pytest

from game.app import GameApp
from game.conversation import Phase
from tests.e2e.server_process import ServerProcess
from tests.game.driver import SilentVoice, finish_text, frames, key, press, type_text, until

pytestmark = pytest.mark.e2e


class ScriptedCounsellor:
    """A counsellor client on its own thread: signs in, goes available, answers frames."""

    def __init__(self, base_url: str, username: str) -> None:
        self.base_url = base_url
        self.username = username
        self.frames: list[dict[str, Any]] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 15.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _connect(self) -> None:
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        response = await self.session.post(
            f"{self.base_url}/auth/login",
            json={"username": self.username, "password": f"demo-{self.username}"},
        )
        assert response.status == 200, await response.text()
        self.ws = await self.session.ws_connect(f"{self.base_url}/ws/staff")
        self.loop.create_task(self._reader())

    async def _reader(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.frames.append(json.loads(message.data))

    def connect(self) -> None:
        self.run(self._connect())

    def send(self, frame: dict[str, Any]) -> None:
        assert self.ws is not None
        self.run(self.ws.send_json(frame))

    def wait_for(
        self, kind: str, game: GameApp, where: Callable[[dict[str, Any]], bool] = lambda f: True
    ) -> dict[str, Any]:
        """Step the game (so the player side keeps running) until a frame of ``kind`` arrives."""
        found: list[dict[str, Any]] = []

        def arrived() -> bool:
            found[:] = [f for f in self.frames if f.get("type") == kind and where(f)]
            return bool(found)

        until(game, arrived, timeout=15)
        return found[0]

    def close(self) -> None:
        async def shutdown() -> None:
            if self.ws is not None:
                await self.ws.close()
            if self.session is not None:
                await self.session.close()

        try:
            self.run(shutdown())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One real server per database for this module's players; it must stop cleanly."""
    env: dict[str, str] = {}
    if request.param == "postgresql":
        from tests.postgres import create_database

        base = request.getfixturevalue("postgres_base_url")
        env["CROSSROADS_DATABASE_URL"] = create_database(base, "skeleton_e2e")
    running = ServerProcess(tmp_path_factory.mktemp(f"server-{request.param}"), env=env)
    running.prepare()
    running.start()
    yield running
    assert running.stop() == 0, running.log_file.read_text()


def test_player_reaches_a_counsellor_and_both_talk(server: ServerProcess, tmp_path: Path) -> None:
    """A player plays to the offer, opts in, and chats both ways with a real counsellor."""
    counsellor = ScriptedCounsellor(server.url, "counsellor1")
    game = GameApp(server.url, home=tmp_path / "player", voice=SilentVoice())
    try:
        counsellor.connect()
        counsellor.wait_for("welcome", game)
        counsellor.send({"type": "status", "status": "available"})
        counsellor.wait_for("status", game, lambda f: f["status"] == "available")

        # The first screen says who runs the service and who funds it, from the server.
        until(game, lambda: game.organisation is not None and game.content_source == "server")
        frames(game, 2)
        assert game.top is not None and game.top.name == "disclosure"
        disclosure = " ".join(game.top.panels()[0].texts())
        assert "Crossroads Exit Network (demo)" in disclosure
        assert "Demo Foundation for Civic Education" in disclosure

        # The game plays the bundle the board published, verified by its hash.
        with urllib.request.urlopen(f"{server.url}/api/v1/content") as response:
            published = hashlib.sha256(response.read()).hexdigest()
        assert game.bundle.sha256 == published

        # Into the story, one choice, then the always-visible "Talk to someone".
        key(game, pygame.K_RETURN)
        assert game.top.name == "story"
        finish_text(game)
        first_node = game.engine.node.id
        key(game, pygame.K_1)
        finish_text(game)
        assert game.engine.node.id != first_node
        key(game, pygame.K_t)
        assert game.top.name == "offer"
        offer_text = " ".join(game.top.panels()[0].texts())
        assert "Crossroads Exit Network (demo)" in offer_text

        # Explicit opt-in with the player's choices.
        press(game, "yes")
        assert game.top.name == "preferences"
        press(game, "kind_professional")
        press(game, "language_en")
        press(game, "format_chat")
        press(game, "next")
        assert game.top.name == "confirm"
        press(game, "send")
        until(game, lambda: game.conversation.phase == Phase.QUEUED, timeout=15)

        # The counsellor gets the offer with the player's preferences and accepts it.
        offer = counsellor.wait_for("offer", game)
        assert offer["preferences"]["kind"] == "professional"
        assert offer["preferences"]["language"] == "en"
        counsellor.send({"type": "accept", "offer_id": offer["offer_id"]})
        matched = counsellor.wait_for("matched", game)
        conversation_id = matched["conversation_id"]
        until(game, lambda: game.conversation.phase == Phase.MATCHED, timeout=15)
        until(game, lambda: game.top is not None and game.top.name == "chat")

        # Two messages each way, each acknowledged and relayed.
        for number in (1, 2):
            type_text(game, f"player message {number}")
            key(game, pygame.K_RETURN)
            counsellor.wait_for(
                "message", game, lambda f, n=number: f.get("text") == f"player message {n}"
            )
            counsellor.send(
                {
                    "type": "message",
                    "conversation_id": conversation_id,
                    "client_id": f"c-{number}",
                    "text": f"counsellor reply {number}",
                }
            )
            until(
                game,
                lambda n=number: any(
                    line.text == f"counsellor reply {n}" for line in game.conversation.lines
                ),
            )
        texts = [(line.sender, line.text) for line in game.conversation.lines]
        assert texts == [
            ("player", "player message 1"),
            ("counsellor", "counsellor reply 1"),
            ("player", "player message 2"),
            ("counsellor", "counsellor reply 2"),
        ]
        until(game, lambda: all(line.seq is not None for line in game.conversation.lines))
        assert [line.seq for line in game.conversation.lines] == [1, 2, 3, 4]

        # Quick exit: the chat text goes; a reply sent meanwhile is there on return, with the
        # whole chat loaded again from the real server on a fresh connection.
        key(game, pygame.K_ESCAPE)
        key(game, pygame.K_ESCAPE)
        assert game.scene_names() == ["neutral"] and game.conversation.lines == []
        counsellor.send(
            {
                "type": "message",
                "conversation_id": conversation_id,
                "client_id": "c-away",
                "text": "sent while you were away",
            }
        )
        until(game, lambda: game.conversation.unseen == 1)
        key(game, pygame.K_RETURN, mod=pygame.KMOD_CTRL)
        assert game.top is not None and game.top.name == "chat"
        until(
            game,
            lambda: (
                [ln.text for ln in game.conversation.lines if ln.sender != "system"]
                == [t for _s, t in texts] + ["sent while you were away"]
            ),
            timeout=15,
        )

        # The counsellor ends the conversation; the player sees it ended.
        counsellor.send({"type": "end", "conversation_id": conversation_id, "outcome": "talked"})
        until(game, lambda: game.conversation.phase == Phase.ENDED, timeout=15)
    finally:
        counsellor.close()
        game.shutdown()


def test_player_can_end_the_conversation(server: ServerProcess, tmp_path: Path) -> None:
    """Either side can end: here the player presses "End chat" and the counsellor is told."""
    counsellor = ScriptedCounsellor(server.url, "counsellor2")
    game = GameApp(server.url, home=tmp_path / "player", voice=SilentVoice())
    try:
        counsellor.connect()
        counsellor.wait_for("welcome", game)
        counsellor.send({"type": "status", "status": "available"})
        until(game, lambda: game.content_source == "server")
        key(game, pygame.K_RETURN)
        finish_text(game)
        key(game, pygame.K_t)
        press(game, "yes")
        press(game, "language_en")
        press(game, "format_chat")
        press(game, "next")
        press(game, "send")
        offer = counsellor.wait_for("offer", game)
        counsellor.send({"type": "accept", "offer_id": offer["offer_id"]})
        until(game, lambda: game.top is not None and game.top.name == "chat", timeout=15)
        press(game, "end")
        ended = counsellor.wait_for("ended", game)
        assert ended["by"] == "player"
        until(game, lambda: game.conversation.phase == Phase.ENDED)
    finally:
        counsellor.close()
        game.shutdown()
