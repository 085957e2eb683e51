"""Fixtures for the staff web tests: a seeded app client and sign-in helpers (no tests here)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import create_engine

from server.settings import Settings

FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


def ensure_web_tables(settings: Settings) -> None:
    """Create the web area's tables if the migration chain has not (harmless when it has)."""
    from sqlmodel import SQLModel

    import server.web.models as models

    path = settings.database_url.split("///", 1)[1]
    engine = create_engine(f"sqlite:///{path}")
    tables = [
        m.__table__  # type: ignore[attr-defined]
        for m in (
            models.LoginThrottle,
            models.RolePolicy,
            models.CannedResponse,
            models.ConversationNote,
            models.AuditLog,
            models.PartnerOrganisation,
            models.StaffShift,
            models.Debrief,
            models.SupervisorRequest,
            models.TotpUse,
            models.RecoveryCode,
        )
    ]
    SQLModel.metadata.create_all(engine, tables=tables)
    engine.dispose()


@pytest.fixture
async def web_client(
    aiohttp_client: Callable[..., Awaitable[TestClient]],  # type: ignore[type-arg]
    seeded_settings: Settings,
) -> TestClient:  # type: ignore[type-arg]
    """The whole app on a copy of the seeded demo database."""
    from server.app import create_app

    ensure_web_tables(seeded_settings)
    return await aiohttp_client(create_app(seeded_settings))


async def login_form_token(client: TestClient) -> str:  # type: ignore[type-arg]
    """Open the sign-in page (sets the double-submit cookie) and return its form token."""
    response = await client.get("/login")
    assert response.status == 200
    match = FORM_CSRF.search(await response.text())
    assert match is not None
    return match.group(1)


async def sign_in(
    client: TestClient,
    username: str,
    password: str | None = None,
    **extra: str,  # type: ignore[type-arg]
) -> Any:
    """Sign in through the HTML form; return the (unfollowed) response."""
    token = await login_form_token(client)
    return await client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": username,
            "password": password or f"demo-{username}",
            **extra,
        },
        allow_redirects=False,
    )


async def page_csrf(client: TestClient, path: str = "/account") -> str:  # type: ignore[type-arg]
    """The session CSRF token as a signed-in page carries it."""
    response = await client.get(path)
    assert response.status == 200, await response.text()
    match = META_CSRF.search(await response.text())
    assert match is not None and match.group(1)
    return match.group(1)


def db_path(settings: Settings) -> Path:
    """The SQLite file behind ``settings``."""
    return Path(settings.database_url.split("///", 1)[1])
