"""The server's log, as ``crossroads serve`` writes it, never holds a player's address or token;
staff requests keep theirs, and every line carries the request id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Awaitable, Callable, Iterator

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from server.app import create_app
from server.logs import AccessLogger, configure
from server.settings import Settings
from tests.integration.test_handoff_support import (
    connect_player,
    connect_staff,
    consent_frame,
    published_offer,
)

#: The player's own loopback address (Linux routes all of 127/8 to lo); staff use 127.0.0.1.
PLAYER_ADDRESS = "127.0.0.23"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The JSON log the server writes, captured as ``serve`` configures it."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure("INFO", "json", stream)
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


async def test_no_player_address_or_token_in_the_log(
    aiohttp_client: Callable[..., Awaitable[TestClient]],  # type: ignore[type-arg]
    seeded_settings: Settings,
    log_lines: io.StringIO,
) -> None:
    """Session, content fetch, a chat and an erasure leave no player address or token behind."""
    server = TestServer(create_app(seeded_settings))
    await server.start_server(access_log_class=AccessLogger)  # as `crossroads serve` does
    client = await aiohttp_client(
        server, connector=aiohttp.TCPConnector(local_addr=(PLAYER_ADDRESS, 0))
    )
    bundle = await published_offer(client)
    counsellor = await connect_staff(client, "counsellor3")
    player = await connect_player(client)
    await player.send(consent_frame(bundle))
    await player.expect("queued")
    offer = await counsellor.expect("offer")
    await counsellor.send({"type": "accept", "offer_id": offer["offer_id"]})
    conversation = (await player.expect("matched"))["conversation_id"]
    await player.send({"type": "message", "client_id": "p1", "text": "hello there"})
    await player.expect("ack")
    await counsellor.expect("message")
    await counsellor.send(
        {"type": "message", "conversation_id": conversation, "client_id": "c1", "text": "hi"}
    )
    await player.expect("message")
    erased = await client.delete(
        "/api/v1/sessions/me", headers={"Authorization": f"Bearer {player.token}"}
    )
    assert erased.status == 200
    await player.ws.close()
    await counsellor.ws.close()
    await counsellor.session.close()
    await client.close()

    text = log_lines.getvalue()
    records = [json.loads(line) for line in text.splitlines()]
    paths = {r.get("path") for r in records if r["logger"] == "aiohttp.access"}
    assert {"/api/v1/sessions", "/api/v1/content", "/ws/player", "/api/v1/sessions/me"} <= paths
    assert PLAYER_ADDRESS not in text
    assert player.token not in text
    staff = [r for r in records if r.get("path") == "/auth/login"]
    assert staff and staff[0]["remote"] == "127.0.0.1"
    assert all(r.get("request_id") for r in records if r["logger"] == "aiohttp.access")
