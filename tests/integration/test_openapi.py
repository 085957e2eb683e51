"""The OpenAPI 3.1 description at /api/v1/openapi.json covers the HTTP API, and a bounded
schemathesis run against a live server finds no 5xx and no answer that breaks its schema."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from server.app import create_app
from server.openapi import build_document
from tests.conftest import make_settings
from tests.e2e.server_process import free_port

#: Examples per operation: enough to reach every documented branch, bounded for the suite.
EXAMPLES = 12


class LiveServer:
    """The whole app on a free loopback port, served from its own thread and event loop."""

    def __init__(self, db_file: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = make_settings(
            db_file, port=self.port, public_url=self.url, metrics_token="openapi-metrics-token"
        )
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        # No access log: its last line could come after the test ended and pytest's
        # capturing handler closed.
        self.runner = web.AppRunner(create_app(self.settings), access_log=None)

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)

    async def _start(self) -> None:
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, seeded_template: Path) -> Iterator[LiveServer]:
    """A seeded server for the whole schemathesis run."""
    folder = tmp_path_factory.mktemp("openapi")
    shutil.copyfile(seeded_template, folder / "crossroads.db")
    server = LiveServer(folder / "crossroads.db")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def staff_headers(live: LiveServer) -> dict[str, str]:
    """A signed-in admin's cookie and CSRF token, so staff operations are exercised too."""
    response = requests.post(
        f"{live.url}/auth/login",
        json={"username": "admin1", "password": "demo-admin1"},
        headers={"Origin": live.url},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    cookie = response.cookies["crossroads_session"]
    return {
        "Cookie": f"crossroads_session={cookie}",
        "X-CSRF-Token": response.json()["csrf_token"],
        "Origin": live.url,
    }


@pytest.fixture(scope="module")
def player_headers(live: LiveServer) -> dict[str, str]:
    """A real player session's bearer token (from POST /api/v1/sessions, one of the ten a
    minute allowed, so the fuzz of that endpoint still meets both 201 and 429)."""
    response = requests.post(f"{live.url}/api/v1/sessions", timeout=10)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _player_operations() -> set[tuple[str, str]]:
    """(METHOD, path) of every operation whose security is the player token."""
    return {
        (method.upper(), path)
        for path, operations in build_document()["paths"].items()
        for method, entry in operations.items()
        if any("playerToken" in scheme for scheme in entry.get("security", []))
    }


@pytest.fixture(scope="module")
def api_schema(live: LiveServer) -> Any:
    """The description as the server serves it."""
    return schemathesis.openapi.from_url(f"{live.url}/api/v1/openapi.json")


def _fuzz(operation: Any, headers: dict[str, str]) -> Callable[[], None]:
    """A Hypothesis test of one operation: bounded examples, 5xx and schema checks."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: Any) -> None:
        case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )

    return check  # type: ignore[no-any-return]


def test_no_operation_answers_5xx_or_off_schema(
    live: LiveServer,
    api_schema: Any,
    staff_headers: dict[str, str],
    player_headers: dict[str, str],
) -> None:
    """Generated requests to every operation never get a 5xx or an answer off its schema, a
    player's operations signed in with a real session token too."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    player_ops = _player_operations()
    assert player_ops, "no operation takes the player token"
    for operation in operations:
        if (operation.method.upper(), operation.path) in player_ops:
            headers = player_headers
        elif operation.path == "/auth/logout":
            headers = {}
        else:
            headers = staff_headers
        _fuzz(operation, headers)()
    # the token reached its operations: the erasure ran signed in, so it is refused now
    again = requests.delete(f"{live.url}/api/v1/sessions/me", headers=player_headers, timeout=10)
    assert again.status_code == 401, again.text


#: Where the app's JSON routes live (the rest are HTML pages and forms).
JSON_PREFIXES = (
    "/api/",
    "/auth/",
    "/healthz",
    "/metrics",
    "/console/api/",
    "/supervisor/api/",
    "/reports/api",
)


def test_every_api_route_is_described() -> None:
    """Each JSON route of the app is in the document, and nothing else is."""
    app = create_app(make_settings(Path("unused.db")))
    routes = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith(JSON_PREFIXES)
        and route.method != "HEAD"
    }
    document = build_document()
    described = {
        (method, path) for path, operations in document["paths"].items() for method in operations
    }
    assert document["openapi"] == "3.1.0"
    assert routes == described
