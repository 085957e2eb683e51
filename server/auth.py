"""Who is calling: staff sign-in with server-side sessions, and anonymous player tokens.

Staff passwords are argon2id hashes (argon2-cffi); the session cookie holds a random token
whose SHA-256 is the session row's id, so a stolen database cannot be replayed as cookies.
Players get a random bearer token and nothing else; only its SHA-256 is stored.
The staff web area signs people in through these functions (``server.web.signin``, with
throttling, TOTP, CSRF and audit) and serves both sign-in endpoints.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.errors import error_body, json_error_exception
from server.ratelimit import KeyedRateLimiter
from server.storage.db import Database
from server.storage.models import PlayerSession, StaffAccount, StaffSession
from server.storage.types import utcnow

SESSION_COOKIE = "crossroads_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

_hasher = PasswordHasher()  # argon2id with the library's current RFC 9106 defaults
# A real hash of a random password, so unknown usernames cost as much as wrong passwords.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

STAFF_KEY: web.RequestKey[StaffAccount | None] = web.RequestKey("crossroads_staff", object)  # type: ignore[arg-type]
STAFF_SESSION_KEY: web.RequestKey[StaffSession | None] = web.RequestKey(
    "crossroads_staff_session",
    object,  # type: ignore[arg-type]
)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises on a malformed hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    """The SHA-256 hex digest under which a bearer or cookie token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


class AuthenticationFailed(Exception):
    """The caller gave a wrong username or password (the caller's fault)."""


@dataclass(frozen=True)
class LoginResult:
    """A fresh staff session: the account, the cookie token and its CSRF token."""

    account: StaffAccount
    cookie_token: str
    csrf_token: str
    expires_at: datetime


async def authenticate(session: AsyncSession, username: str, password: str) -> StaffAccount:
    """The active account for these credentials, or :class:`AuthenticationFailed`."""
    account = (
        await session.exec(select(StaffAccount).where(StaffAccount.username == username))
    ).first()
    if account is None or not account.active:
        verify_password(_DUMMY_HASH, password)  # same cost as a real check
        raise AuthenticationFailed("unknown username or wrong password")
    if not verify_password(account.password_hash, password):
        raise AuthenticationFailed("unknown username or wrong password")
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
        session.add(account)
    return account


async def open_staff_session(
    session: AsyncSession, account: StaffAccount, *, now: datetime, hours: int
) -> LoginResult:
    """Create a server-side session for ``account`` (the caller commits)."""
    assert account.id is not None
    cookie_token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=hours)
    session.add(
        StaffSession(
            id=token_digest(cookie_token),
            staff_id=account.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=expires,
            last_seen_at=now,
        )
    )
    return LoginResult(account, cookie_token, csrf, expires)


async def staff_session_for_cookie(
    db: Database, cookie_token: str | None, now: datetime, *, idle: timedelta | None = None
) -> tuple[StaffSession, StaffAccount] | None:
    """The live session and active account behind a cookie token, if any.

    A session past its expiry, or unused for longer than ``idle``, is ended here: every
    request reads the session through this one function, so no page can skip the rule.
    """
    if not cookie_token or len(cookie_token) > 128:
        return None
    async with db.session() as session:
        row = await session.get(StaffSession, token_digest(cookie_token))
        if row is None:
            return None
        if row.expires_at <= now or (idle is not None and now - row.last_seen_at > idle):
            await session.delete(row)
            await session.commit()
            return None
        account = await session.get(StaffAccount, row.staff_id)
        if account is None or not account.active:
            return None
        if (now - row.last_seen_at) > timedelta(minutes=1):
            row.last_seen_at = now
            session.add(row)
            await session.commit()
        return row, account


async def end_staff_sessions(db: Database, *, staff_id: int, only: str | None = None) -> int:
    """Sign out one session (``only`` = its id) or all of a staff member's sessions."""
    async with db.session() as session:
        statement = delete(StaffSession).where(col(StaffSession.staff_id) == staff_id)
        if only is not None:
            statement = statement.where(col(StaffSession.id) == only)
        result = await session.exec(statement)
        await session.commit()
        return int(result.rowcount or 0)


def _db(request: web.Request) -> Database:
    from server.app import DB

    return request.app[DB]


async def resolve_staff(request: web.Request) -> tuple[StaffSession, StaffAccount] | None:
    """Look up (once per request) the staff session behind the request's cookie."""
    if STAFF_KEY in request:
        account = request[STAFF_KEY]
        row = request[STAFF_SESSION_KEY]
        return (row, account) if account is not None and row is not None else None
    from server.app import SETTINGS

    found = await staff_session_for_cookie(
        _db(request),
        request.cookies.get(SESSION_COOKIE),
        utcnow(),
        idle=timedelta(minutes=request.app[SETTINGS].session_idle_minutes),
    )
    request[STAFF_KEY] = found[1] if found else None
    request[STAFF_SESSION_KEY] = found[0] if found else None
    return found


async def current_staff(request: web.Request) -> StaffAccount | None:
    """The signed-in staff member, or None."""
    found = await resolve_staff(request)
    return found[1] if found else None


async def current_csrf(request: web.Request) -> str | None:
    """The CSRF token bound to the caller's staff session, or None when signed out."""
    found = await resolve_staff(request)
    return found[0].csrf_token if found else None


async def require_role(request: web.Request, *roles: str) -> StaffAccount:
    """The signed-in staff member holding one of ``roles``; 401 or 403 otherwise."""
    account = await current_staff(request)
    if account is None:
        raise json_error_exception(401, "not_signed_in", "Sign in first.")
    if roles and not account.has_role(*roles):
        raise json_error_exception(
            403, "forbidden", f"This needs one of the roles: {', '.join(roles)}."
        )
    return account


def set_session_cookie(
    response: web.StreamResponse, request: web.Request, result: LoginResult
) -> None:
    """Attach the session cookie with the flags the threat model asks for."""
    from server.app import SETTINGS

    settings = request.app[SETTINGS]
    response.set_cookie(
        SESSION_COOKIE,
        result.cookie_token,
        max_age=settings.session_hours * 3600,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="Strict",
    )


# --- anonymous players ---------------------------------------------------------------------


async def create_player_session(db: Database, now: datetime) -> tuple[PlayerSession, str]:
    """A new anonymous player session and its bearer token (shown once, stored hashed)."""
    token = secrets.token_urlsafe(32)
    row = PlayerSession(
        id=str(uuid.uuid4()), token_hash=token_digest(token), created_at=now, last_seen_at=now
    )
    async with db.session() as session:
        session.add(row)
        await session.commit()
    return row, token


async def player_session_for_token(db: Database, token: str | None) -> PlayerSession | None:
    """The player session a bearer token belongs to, or None for unknown or malformed tokens."""
    if not token or not isinstance(token, str) or len(token) > 128:
        return None
    async with db.session() as session:
        return (
            await session.exec(
                select(PlayerSession).where(PlayerSession.token_hash == token_digest(token))
            )
        ).first()


def bearer_token(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, if present."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


# --- HTTP handlers ---------------------------------------------------------------------------


SESSION_LIMITER: web.AppKey[KeyedRateLimiter] = web.AppKey(
    "crossroads_session_limiter", KeyedRateLimiter
)


async def create_player_session_handler(request: web.Request) -> web.Response:
    """``POST /api/v1/sessions``: a new anonymous player session. No body, no personal data.

    Limited per client address, so nobody can fill the queue with fresh anonymous sessions.
    """
    limiter = request.app[SESSION_LIMITER]
    address = (request.remote or "unknown")[:64]
    now = time.monotonic()
    if not limiter.allow(address, now):
        return web.json_response(
            error_body(
                "too_many_sessions",
                "Too many new sessions from this address; please wait a moment.",
            ),
            status=429,
            headers={"Retry-After": str(limiter.retry_after(address, now))},
        )
    row, token = await create_player_session(_db(request), utcnow())
    return web.json_response({"session_id": row.id, "token": token}, status=201)


def setup(app: web.Application) -> None:
    """Register the anonymous session route (staff sign-in lives in ``server.web.login``)."""
    from server.app import SETTINGS

    per_minute = app[SETTINGS].sessions_per_minute
    app[SESSION_LIMITER] = KeyedRateLimiter(rate=per_minute / 60.0, burst=per_minute)
    app.router.add_post("/api/v1/sessions", create_player_session_handler, name="player_sessions")
