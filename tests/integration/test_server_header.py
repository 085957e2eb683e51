"""Every answer says ``Server: Crossroads`` without versions and carries its request id."""

from __future__ import annotations

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
