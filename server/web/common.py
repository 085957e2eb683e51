"""Shared helpers of the staff pages: app keys, role gates, rendering, audit and note crypto.

Pages call :func:`page_staff` (redirects to sign-in, or a 403 page for the wrong role) and
JSON endpoints call :func:`api_staff` (JSON 401/403). Every transcript read goes through
:func:`audit`, so supervisors' and admins' reads are visible afterwards.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth import current_csrf, current_staff
from server.settings import Settings
from server.storage.db import Database
from server.storage.models import StaffAccount
from server.storage.types import utcnow
from server.web.models import AuditLog

JINJA_KEY: web.AppKey[jinja2.Environment] = web.AppKey("crossroads_web_jinja", jinja2.Environment)

ROLE_LABELS = {
    "counsellor": "Counsellor",
    "supervisor": "Supervisor",
    "author": "Author",
    "reviewer": "Ethics board",
    "admin": "Administrator",
}
OUTCOMES = {
    "talked": "Talked",
    "referred": "Referred to a partner",
    "no_response": "No response",
    "safeguarding": "Safeguarding concern",
}


def settings_of(request: web.Request) -> Settings:
    """The process settings."""
    from server.app import SETTINGS

    return request.app[SETTINGS]


def db_of(request: web.Request) -> Database:
    """The database handle."""
    from server.app import DB

    return request.app[DB]


def client_ip(request: web.Request) -> str:
    """The peer address (a reverse proxy must be configured to set it; we do not trust XFF)."""
    return (request.remote or "unknown")[:64]


class JSONError(web.HTTPException):
    """Raise-able JSON error (status set per instance)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status_code = status
        super().__init__(
            text=f'{{"error": {{"code": "{code}", "message": {_json_str(message)}}}}}',
            content_type="application/json",
        )


def _json_str(text: str) -> str:
    import json

    return json.dumps(text)


def _forbidden_page(request: web.Request, roles: tuple[str, ...]) -> web.HTTPException:
    needed = ", ".join(ROLE_LABELS.get(r, r) for r in roles)
    env = request.app[JINJA_KEY]
    body = env.get_template("error.html").render(
        title="Not for your role",
        message=f"This page is for: {needed}. Ask an administrator if you need access.",
        staff=None,
        csrf_token="",
        nav=[],
    )
    return web.HTTPForbidden(text=body, content_type="text/html")


async def page_staff(request: web.Request, *roles: str) -> StaffAccount:
    """The signed-in staff member for an HTML page; redirect to sign-in, 403 on a wrong role."""
    account = await current_staff(request)
    if account is None:
        target = request.path_qs if request.method == "GET" else "/"
        raise web.HTTPSeeOther("/login?" + _urlencode({"next": target}))
    if roles and not account.has_role(*roles):
        raise _forbidden_page(request, roles)
    return account


async def api_staff(request: web.Request, *roles: str) -> StaffAccount:
    """The signed-in staff member for a JSON endpoint; JSON 401/403 otherwise."""
    account = await current_staff(request)
    if account is None:
        raise JSONError(401, "not_signed_in", "Sign in first.")
    if roles and not account.has_role(*roles):
        raise JSONError(
            403,
            "forbidden",
            "This needs one of the roles: " + ", ".join(ROLE_LABELS.get(r, r) for r in roles),
        )
    return account


def _urlencode(data: Mapping[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(data)


def nav_for(account: StaffAccount | None) -> list[tuple[str, str]]:
    """The navigation links this account may follow."""
    if account is None:
        return []
    links: list[tuple[str, str]] = []
    if account.has_role("counsellor"):
        links.append(("/console", "Console"))
    if account.has_role("supervisor"):
        links.append(("/supervisor", "Supervisor board"))
        links.append(("/admin/rota", "Rota"))
    if account.has_role("reviewer", "author"):
        links.append(("/board", "Ethics board"))
    if account.has_role("supervisor", "reviewer", "counsellor", "admin"):
        links.append(("/reports", "Reports"))
    if account.has_role("admin"):
        links.append(("/admin", "Administration"))
    links.append(("/account", "My account"))
    return links


async def render(
    request: web.Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> web.Response:
    """Render a page with the signed-in account, its CSRF token and navigation."""
    account = await current_staff(request)
    base = {
        "staff": account,
        "csrf_token": await current_csrf(request) or "",
        "nav": nav_for(account),
        "path": request.path,
        "roles": ROLE_LABELS,
        "outcomes": OUTCOMES,
        "dev_mode": settings_of(request).dev_mode,
    }
    base.update(context)
    response = aiohttp_jinja2.render_template(
        template, request, base, app_key=JINJA_KEY, status=status
    )
    return response


async def audit(
    session: AsyncSession,
    *,
    now: datetime,
    staff_id: int | None,
    action: str,
    target: str = "",
    ip: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit record (the caller commits)."""
    session.add(
        AuditLog(
            at=now,
            staff_id=staff_id,
            action=action,
            target=target[:200],
            ip=ip[:64],
            detail=detail or {},
        )
    )


async def audit_request(
    session: AsyncSession,
    request: web.Request,
    *,
    staff_id: int | None,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """:func:`audit` for an action taken through ``request``: now, from the caller's address."""
    await audit(
        session,
        now=utcnow(),
        staff_id=staff_id,
        action=action,
        target=target,
        ip=client_ip(request),
        detail=detail,
    )


def note_cipher(settings: Settings) -> MultiFernet:
    """The cipher for private notes: encrypts with the transcript key, also decrypts with
    the keys rotated out of it (``CROSSROADS_TRANSCRIPT_KEYS_PREVIOUS``)."""
    keys = (settings.transcript_key, *settings.transcript_keys_previous)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt_note(settings: Settings, text: str) -> bytes:
    """Encrypt a note body for storage."""
    return note_cipher(settings).encrypt(text.encode())


def decrypt_note(settings: Settings, token: bytes) -> str:
    """Decrypt a stored note; a note under a rotated-away key reads as a clear placeholder."""
    try:
        return note_cipher(settings).decrypt(bytes(token)).decode()
    except InvalidToken:
        return "[this note was encrypted with a key this server no longer has]"


def pending_cipher(settings: Settings) -> Fernet:
    """A cipher, derived from the secret key, for short-lived sign-in state in cookies."""
    digest = hashlib.sha256(b"crossroads-web-pending:" + settings.secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))
