"""Every answer says ``Server: Crossroads`` without versions and carries its request id."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient


async def test_server_header_names_no_versions(client: TestClient) -> None:  # type: ignore[type-arg]
    """Answers, errors, pages and socket upgrades name no software version; each has an id."""
    ids = set()
    for path in ("/healthz", "/api/v1/organisation", "/no-such-page", "/login", "/metrics"):
        response = await client.get(path)
        assert response.headers["Server"] == "Crossroads", path
        ids.add(response.headers["X-Request-Id"])
    ws = await client.ws_connect("/ws/player")
    assert ws._response.headers["Server"] == "Crossroads"
    ids.add(ws._response.headers["X-Request-Id"])
    await ws.close()
    assert len(ids) == 6


async def test_malformed_requests_get_no_versions_either(client: TestClient) -> None:  # type: ignore[type-arg]
    """aiohttp's own 400 for a request it cannot parse says ``Server: Crossroads`` too."""
    host, port = client.server.host, client.server.port
    for raw in (b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(raw)
        head = (await reader.read(4000)).decode("latin-1")
        writer.close()
        assert head.startswith("HTTP/1.0 400"), head
        assert "\r\nServer: Crossroads\r\n" in head, head
        assert "aiohttp" not in head and "Python" not in head
