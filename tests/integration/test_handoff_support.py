"""Helpers for the handoff integration tests: scripted player and staff socket clients.

No tests here. Players speak msgpack on /ws/player; staff sign in (own cookie, no shared jar)
and speak JSON on /ws/staff.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import msgpack
from aiohttp.test_utils import TestClient

TIMEOUT = 5.0


class Player:
    """A scripted game client."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, token: str) -> None:
        self.ws = ws
        self.token = token
        self.backlog: list[dict[str, Any]] = []
        self.welcome: dict[str, Any] = {}
        self.service: dict[str, Any] = {}

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send_bytes(msgpack.packb(frame))

    async def recv(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        if self.backlog:
            return self.backlog.pop(0)
        msg = await self.ws.receive(timeout=timeout)
        if msg.type != aiohttp.WSMsgType.BINARY:
            raise AssertionError(f"expected a binary frame, got {msg.type} {msg.data!r}")
        frame: dict[str, Any] = msgpack.unpackb(msg.data)
        return frame

    async def expect(self, kind: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The next frame of type ``kind``; frames of other types are kept for later."""
        skipped: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                if self.backlog:
                    frame = self.backlog.pop(0)
                else:
                    msg = await self.ws.receive(timeout=max(0.01, deadline - loop.time()))
                    if msg.type != aiohttp.WSMsgType.BINARY:
                        raise AssertionError(f"wanted {kind}, got {msg.type} {msg.data!r}")
                    frame = msgpack.unpackb(msg.data)
                if frame["type"] == kind:
                    return frame
                skipped.append(frame)
        finally:
            self.backlog[:0] = skipped

    async def closed(self, timeout: float = TIMEOUT) -> int | None:
        """Wait for the server to close the socket; return the close code."""
        while True:
            msg = await self.ws.receive(timeout=timeout)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                return self.ws.close_code
            if msg.type == aiohttp.WSMsgType.BINARY:
                self.backlog.append(msgpack.unpackb(msg.data))


class Staff:
    """A scripted console."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, session: aiohttp.ClientSession):
        self.ws = ws
        self.session = session
        self.backlog: list[dict[str, Any]] = []
        self.welcome: dict[str, Any] = {}

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(frame))

    async def expect(self, kind: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        skipped: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                if self.backlog:
                    frame = self.backlog.pop(0)
                else:
                    msg = await self.ws.receive(timeout=max(0.01, deadline - loop.time()))
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        raise AssertionError(f"wanted {kind}, got {msg.type} {msg.data!r}")
                    frame = json.loads(msg.data)
                if frame["type"] == kind:
                    return frame
                skipped.append(frame)
        finally:
            self.backlog[:0] = skipped

    async def close(self) -> None:
        await self.ws.close()
        await self.session.close()


async def new_token(client: TestClient) -> str:  # type: ignore[type-arg]
    resp = await client.post("/api/v1/sessions")
    assert resp.status == 201, await resp.text()
    return str((await resp.json())["token"])


async def connect_player(
    client: TestClient,  # type: ignore[type-arg]
    token: str | None = None,
    *,
    hello: bool = True,
) -> Player:
    token = token or await new_token(client)
    ws = await client.ws_connect("/ws/player")
    p = Player(ws, token)
    if hello:
        await p.send({"type": "hello", "v": 1, "token": token})
        p.welcome = await p.expect("welcome")
        p.service = await p.expect("service")
    return p


async def connect_staff(client: TestClient, username: str) -> Staff:  # type: ignore[type-arg]
    session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
    resp = await session.post(
        client.make_url("/auth/login"),
        json={"username": username, "password": f"demo-{username}"},
    )
    assert resp.status == 200, await resp.text()
    cookie = resp.cookies["crossroads_session"].value
    ws = await session.ws_connect(
        client.make_url("/ws/staff"), headers={"Cookie": f"crossroads_session={cookie}"}
    )
    s = Staff(ws, session)
    s.welcome = await s.expect("welcome")
    return s


async def published_offer(client: TestClient) -> tuple[str, str, int]:  # type: ignore[type-arg]
    resp = await client.get("/api/v1/content")
    assert resp.status == 200
    body = json.loads(await resp.read())
    offer = body["offers"]["offer.main"]
    return resp.headers["X-Content-Hash"], "offer.main", int(offer["version"])


def consent_frame(bundle: tuple[str, str, int], **choices: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "language": "en",
        "kind": None,
        "kind_required": False,
        "gender": None,
        "age_band": None,
        "format": "chat",
        "crisis": False,
    }
    values.update(choices)
    return {
        "type": "consent",
        "bundle_hash": bundle[0],
        "offer_id": bundle[1],
        "offer_version": bundle[2],
        "consent": True,
        "choices": values,
    }


async def set_away_all(*staff: Staff) -> None:
    for s in staff:
        await s.send({"type": "status", "status": "away"})
        await s.expect("status")
