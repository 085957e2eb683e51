"""The ``Server:`` header names the product and no software versions."""

from __future__ import annotations

from aiohttp.test_utils import TestClient


async def test_server_header_names_no_versions(client: TestClient) -> None:  # type: ignore[type-arg]
    """Answers, errors and the player API all say ``Server: Crossroads`` without versions."""
    for path in ("/healthz", "/api/v1/organisation", "/no-such-page", "/login"):
        response = await client.get(path)
        assert response.headers["Server"] == "Crossroads", path
        assert "aiohttp" not in response.headers["Server"]
        assert response.headers["X-Request-Id"]
