"""The game against the real server process: organisation, approved content, opt-in, and a
chat with a counsellor signed in on the staff socket."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import aiohttp
import pygame
import pytest

from game.conversation import Phase
from tests.e2e.server_process import ServerProcess
from tests.game.driver import finish_text, frames, key, make_app, press, type_text, until

pytestmark = pytest.mark.e2e


class Counsellor:
    """A demo counsellor on the staff socket, driven from the (synchronous) test."""

    def __init__(self, url: str, username: str = "counsellor2") -> None:
        self.url = url
        self.username = username
        self.frames: list[dict[str, Any]] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.http: aiohttp.ClientSession | None = None
        self._reader: Any = None

    def run(self, coro: Any, timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _connect(self) -> None:
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        async with self.http.post(
            f"{self.url}/auth/login",
            json={"username": self.username, "password": f"demo-{self.username}"},
        ) as resp:
            assert resp.status == 200, await resp.text()
        self.ws = await self.http.ws_connect(f"{self.url}/ws/staff")
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.frames.append(json.loads(msg.data))

    def connect(self) -> None:
        self.run(self._connect())

    def send(self, frame: dict[str, Any]) -> None:
        assert self.ws is not None
        self.run(self.ws.send_str(json.dumps(frame)))

    def wait_for(self, kind: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for frame in self.frames:
                if frame.get("type") == kind and all(frame.get(k) == v for k, v in match.items()):
                    return frame
            time.sleep(0.02)
        raise AssertionError(f"counsellor saw no {kind}: {self.frames}")

    def close(self) -> None:
        async def shutdown() -> None:
            if self.ws is not None:
                await self.ws.close()
            if self._reader is not None:
                await self._reader
            if self.http is not None:
                await self.http.close()

        self.run(shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def test_game_against_the_real_server(tmp_path: Path, home: Path) -> None:
    """A player opts in from the real game and chats with a demo counsellor, both ways."""
    with ServerProcess(tmp_path) as server:
        counsellor = Counsellor(server.url)
        game = make_app(server.url, home)
        try:
            counsellor.connect()
            counsellor.wait_for("welcome")
            until(
                game,
                lambda: game.organisation is not None and game.content_source == "server",
                timeout=15,
            )
            texts = " ".join(game.top.panels()[0].texts())
            assert "Crossroads Exit Network (demo)" in texts
            assert "Demo Foundation for Civic Education" in texts
            key(game, pygame.K_RETURN)
            finish_text(game)
            key(game, pygame.K_t)
            press(game, "yes")
            press(game, "language_en")
            press(game, "format_chat")
            press(game, "next")
            press(game, "send")
            until(game, lambda: game.conversation.phase in (Phase.QUEUED, Phase.CLOSED), timeout=15)
            if game.conversation.phase == Phase.CLOSED:
                # outside the demo service hours the game offers bookable times instead
                until(game, lambda: bool(game.conversation.slots), timeout=10)
                print("service closed: booking path checked")
                return
            offer = counsellor.wait_for("offer")
            counsellor.send({"type": "accept", "offer_id": offer["offer_id"]})
            matched = counsellor.wait_for("matched")
            until(game, lambda: game.top.name == "chat", timeout=10)
            conv_id = matched["conversation_id"]
            counsellor.send(
                {
                    "type": "message",
                    "conversation_id": conv_id,
                    "client_id": "k1",
                    "text": "Hello, I'm here. Take your time.",
                }
            )
            until(game, lambda: any(ln.sender == "counsellor" for ln in game.conversation.lines))
            type_text(game, "Hi! Thanks for answering.")
            key(game, pygame.K_RETURN)
            until(game, lambda: game.conversation.lines[-1].seq is not None)
            got = counsellor.wait_for("message", text="Hi! Thanks for answering.")
            assert got["sender"] == "player"
            counsellor.send({"type": "end", "conversation_id": conv_id, "outcome": "talked"})
            until(game, lambda: game.conversation.phase == Phase.ENDED)
            frames(game, 2)
        finally:
            game.shutdown()
            counsellor.close()
