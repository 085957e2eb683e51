"""HTTP hardening for every response and every state change (OWASP ASVS L2).

* ``on_response_prepare`` adds a strict Content-Security-Policy, ``nosniff``,
  ``frame-ancestors 'none'``, ``Referrer-Policy: no-referrer`` and ``no-store`` caching.
* ``csrf_middleware`` refuses POST/PUT/PATCH/DELETE without the session's CSRF token
  (form field ``csrf_token`` or header ``X-CSRF-Token``), except the bearer-token player API.
"""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web
from aiohttp.typedefs import Handler

from server.auth import current_csrf

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: Paths whose POSTs carry no staff session: the player API authenticates by bearer token, and
#: sign-in itself is guarded by a pre-session double-submit token plus throttling.
CSRF_EXEMPT_PREFIXES = ("/api/v1/",)
CSRF_EXEMPT_PATHS = frozenset({"/login", "/login/totp", "/auth/login"})

LOGIN_CSRF_COOKIE = "crossroads_login_csrf"


def content_security_policy(host: str) -> str:
    """The one policy for all pages: only our own files, no inline code, no framing."""
    sockets = f" ws://{host} wss://{host}" if host else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"font-src 'self'; connect-src 'self'{sockets}; media-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Signal handler run just before any response's headers go out."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(request.host))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.scheme == "https" or request.headers.get("X-Forwarded-Proto") == "https":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if not request.path.startswith(("/static/", "/api/v1/content", "/api/v1/organisation")):
        # Staff pages show sensitive data: never keep them in a shared cache or history.
        # (Public content and the organisation profile keep their own caching headers.)
        headers.setdefault("Cache-Control", "no-store")


def _wants_json(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    ctype = request.headers.get("Content-Type", "")
    return (
        "application/json" in ctype
        or ("application/json" in accept and "text/html" not in accept)
        or request.path.startswith(("/console/api/", "/supervisor/api/", "/admin/api/"))
    )


def forbidden(request: web.Request, code: str, message: str) -> web.Response:
    """A 403 that says why, as JSON for scripts and as a short page for browsers."""
    if _wants_json(request):
        return web.json_response({"error": {"code": code, "message": message}}, status=403)
    body = (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Refused</title>"
        '<link rel=stylesheet href="/static/web/app.css"></head><body class="page-error">'
        "<main class=card><h1>Request refused</h1><p>"
        + _escape(message)
        + '</p><p><a href="/">Back to the start page</a></p>'
        "</main></body></html>"
    )
    return web.Response(status=403, text=body, content_type="text/html")


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


async def submitted_token(request: web.Request) -> str:
    """The CSRF token sent with a request: the header first, else the form field."""
    header = request.headers.get("X-CSRF-Token")
    if header:
        return header
    ctype = request.content_type
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()  # cached; handlers can read it again
        value = form.get("csrf_token")
        if isinstance(value, str):
            return value
    return ""


def tokens_match(expected: str | None, given: str) -> bool:
    """Constant-time comparison that never matches an empty token."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse state changes that do not carry the signed-in session's CSRF token."""
    if request.method not in STATE_CHANGING:
        return await handler(request)
    path = request.path
    if path.startswith(CSRF_EXEMPT_PREFIXES) or path in CSRF_EXEMPT_PATHS:
        return await handler(request)
    expected = await current_csrf(request)
    if expected is None and path == "/logout":
        # Already signed out (expired or ended elsewhere): nothing to protect, just say so.
        return web.Response(status=303, headers={"Location": "/login?signed_out=1"})
    if expected is None:
        return forbidden(
            request,
            "not_signed_in",
            "You are not signed in (or your session ended). Sign in again, then retry.",
        )
    if not tokens_match(expected, await submitted_token(request)):
        return forbidden(
            request,
            "csrf_failed",
            "This request did not carry a valid security token (CSRF). Reload the page and "
            "try again; if it keeps happening, sign out and in again.",
        )
    return await handler(request)


def new_login_csrf() -> str:
    """A fresh token for the double-submit check on the sign-in form."""
    return secrets.token_urlsafe(32)
