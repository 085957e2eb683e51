"""Sign-in, second factor, sign-out and the account page.

``/login`` checks a pre-session double-submit token, the throttle (per account and per
address), the password (``server.auth.authenticate``) and, where the account or one of its
roles requires it, a TOTP code (pyotp). Only then is a session opened. ``POST /auth/login``
(the lead's JSON endpoint) is wrapped by :func:`login_guard_middleware` with the same rules.
"""

from __future__ import annotations

import hmac
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import pyotp
from aiohttp import web
from aiohttp.typedefs import Handler
from cryptography.fernet import InvalidToken
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth import (
    SESSION_COOKIE,
    AuthenticationFailed,
    authenticate,
    end_staff_sessions,
    hash_password,
    open_staff_session,
    resolve_staff,
    set_session_cookie,
    verify_password,
)
from server.errors import json_error
from server.storage.models import StaffAccount, StaffSession
from server.web import throttle
from server.web.common import (
    audit,
    audit_request,
    client_ip,
    db_of,
    page_staff,
    pending_cipher,
    render,
    settings_of,
)
from server.web.live import close_staff_sockets
from server.web.models import RolePolicy, TotpUse, utcnow
from server.web.security import LOGIN_CSRF_COOKIE, new_login_csrf, tokens_match

PENDING_COOKIE = "crossroads_pending_totp"
PENDING_TTL_SECONDS = 300
MIN_PASSWORD_LENGTH = 12
TOTP_ISSUER = "Crossroads"


def redirect(location: str) -> web.Response:
    """A 303 to ``location`` that can carry cookies (returned, not raised)."""
    return web.Response(status=303, headers={"Location": location})


def home_for(account: StaffAccount) -> str:
    """Where an account lands after signing in."""
    if account.has_role("counsellor") and "counsellor" in account.roles:
        return "/console"
    if account.has_role("supervisor") and "supervisor" in account.roles:
        return "/supervisor"
    if "admin" in account.roles:
        return "/admin"
    if "reviewer" in account.roles or "author" in account.roles:
        return "/board"  # the ethics board's pages (server.board)
    return "/account"


def safe_next(value: str | None) -> str | None:
    """Only same-site relative paths are followed after sign-in (no open redirects)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    parsed = urlparse(value)
    if parsed.scheme or parsed.netloc:
        return None
    return value


async def totp_required(session: AsyncSession, account: StaffAccount) -> bool:
    """True when the account has TOTP set up or one of its roles requires it."""
    if account.totp_secret:
        return True
    if not account.roles:
        return False
    rows = await session.exec(
        select(RolePolicy).where(
            col(RolePolicy.role).in_(account.roles), col(RolePolicy.require_totp).is_(True)
        )
    )
    return rows.first() is not None


def totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step a six-digit code belongs to (one step of clock drift either way)."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def use_totp(
    session: AsyncSession, *, staff_id: int, secret: str, code: str, now: datetime
) -> bool:
    """Accept a code once: a replay of the same (or an older) step is refused."""
    step = totp_step(secret, code, now)
    if step is None:
        return False
    row = await session.get(TotpUse, staff_id)
    if row is not None and step <= row.last_step:
        return False
    if row is None:
        row = TotpUse(staff_id=staff_id, last_step=step)
    row.last_step = step
    session.add(row)
    await session.commit()
    return True


def _set_login_csrf(response: web.StreamResponse, request: web.Request, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/login",
        secure=settings_of(request).secure_cookies,
        httponly=True,
        samesite="Strict",
    )


async def _login_form(
    request: web.Request,
    *,
    error: str = "",
    status: int = 200,
    username: str = "",
    retry_after: int = 0,
) -> web.Response:
    token = new_login_csrf()
    response = await render(
        request,
        "login.html",
        {
            "login_csrf": token,
            "error": error,
            "username": username,
            "next": safe_next(request.query.get("next")) or "",
            "retry_after": retry_after,
            "signed_out": request.query.get("signed_out") == "1" and not error,
        },
        status=status,
    )
    _set_login_csrf(response, request, token)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _locked_message(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return (
        "Too many failed sign-in attempts. For your safety, sign-in is paused for about "
        f"{minutes} minute{'s' if minutes != 1 else ''}. Try again later or ask an administrator."
    )


async def login_page(request: web.Request) -> web.Response:
    """``GET /login``: the sign-in form (or straight on when already signed in)."""
    found = await resolve_staff(request)
    if found is not None:
        raise web.HTTPSeeOther(safe_next(request.query.get("next")) or home_for(found[1]))
    return await _login_form(request)


async def _finish_sign_in(
    request: web.Request, session: AsyncSession, account: StaffAccount, next_path: str | None
) -> web.Response:
    now = utcnow()
    result = await open_staff_session(
        session, account, now=now, hours=settings_of(request).session_hours
    )
    await audit(session, now=now, staff_id=account.id, action="sign_in", ip=client_ip(request))
    await session.commit()
    await throttle.record_success(session, username=account.username)
    response = redirect(next_path or home_for(account))
    set_session_cookie(response, request, result)
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/login")
    response.del_cookie(PENDING_COOKIE, path="/login")
    return response


async def login_submit(request: web.Request) -> web.StreamResponse:
    """``POST /login``: check token, throttle and password; then TOTP or a session."""
    form = await request.post()
    username = str(form.get("username", "")).strip()[:64]
    password = str(form.get("password", ""))[:1024]
    next_path = safe_next(str(form.get("next", "")))
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), str(form.get("csrf_token", ""))):
        return await _login_form(
            request,
            error="The sign-in form expired. Please enter your details again.",
            status=403,
            username=username,
        )
    if not username or not password:
        return await _login_form(
            request, error="Enter your user name and password.", status=400, username=username
        )
    now = utcnow()
    ip = client_ip(request)
    async with db_of(request).session() as session:
        keys = (throttle.user_key(username), throttle.ip_key(ip))
        locked = await throttle.lockout_seconds(session, keys, now)
        if locked:
            return await _login_form(
                request,
                error=_locked_message(locked),
                status=429,
                username=username,
                retry_after=locked,
            )
        try:
            account = await authenticate(session, username, password)
        except AuthenticationFailed:
            await session.rollback()
            locked = await throttle.record_failure(session, username=username, address=ip, now=now)
            await audit(
                session,
                now=now,
                staff_id=None,
                action="sign_in_failed",
                target=username,
                ip=ip,
            )
            await session.commit()
            if locked:
                return await _login_form(
                    request,
                    error=_locked_message(locked),
                    status=429,
                    username=username,
                    retry_after=locked,
                )
            return await _login_form(
                request,
                error="Unknown user name or wrong password.",
                status=401,
                username=username,
            )
        await session.commit()  # a rehashed password, if any
        if await totp_required(session, account):
            enrol = None if account.totp_secret else pyotp.random_base32()
            pending = {"staff_id": account.id, "next": next_path, "enrol": enrol}
            token = pending_cipher(settings_of(request)).encrypt(json.dumps(pending).encode())
            response = redirect("/login/totp")
            response.set_cookie(
                PENDING_COOKIE,
                token.decode(),
                max_age=PENDING_TTL_SECONDS,
                path="/login",
                secure=settings_of(request).secure_cookies,
                httponly=True,
                samesite="Strict",
            )
            return response
        return await _finish_sign_in(request, session, account, next_path)


def _pending(request: web.Request) -> dict[str, Any] | None:
    raw = request.cookies.get(PENDING_COOKIE)
    if not raw:
        return None
    try:
        data = pending_cipher(settings_of(request)).decrypt(raw.encode(), ttl=PENDING_TTL_SECONDS)
    except InvalidToken:
        return None
    value = json.loads(data)
    return value if isinstance(value, dict) else None


async def _totp_form(
    request: web.Request, pending: dict[str, Any], *, error: str = "", status: int = 200
) -> web.Response:
    token = new_login_csrf()
    enrol = pending.get("enrol")
    uri = ""
    if enrol:
        async with db_of(request).session() as session:
            account = await session.get(StaffAccount, pending["staff_id"])
        name = account.username if account else "staff"
        uri = pyotp.TOTP(enrol).provisioning_uri(name=name, issuer_name=TOTP_ISSUER)
    response = await render(
        request,
        "totp.html",
        {"login_csrf": token, "error": error, "enrol_secret": enrol or "", "enrol_uri": uri},
        status=status,
    )
    _set_login_csrf(response, request, token)
    return response


async def totp_page(request: web.Request) -> web.StreamResponse:
    """``GET /login/totp``: ask for the six-digit code (and show the secret when enrolling)."""
    pending = _pending(request)
    if pending is None:
        raise web.HTTPSeeOther("/login")
    return await _totp_form(request, pending)


async def totp_submit(request: web.Request) -> web.StreamResponse:
    """``POST /login/totp``: verify the code, then open the session."""
    pending = _pending(request)
    if pending is None:
        raise web.HTTPSeeOther("/login")
    form = await request.post()
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), str(form.get("csrf_token", ""))):
        return await _totp_form(
            request, pending, error="The form expired. Please enter the code again.", status=403
        )
    now = utcnow()
    ip = client_ip(request)
    async with db_of(request).session() as session:
        account = await session.get(StaffAccount, pending["staff_id"])
        if account is None or not account.active:
            raise web.HTTPSeeOther("/login")
        keys = (throttle.user_key(account.username), throttle.ip_key(ip))
        locked = await throttle.lockout_seconds(session, keys, now)
        if locked:
            response = await _totp_form(request, pending, error=_locked_message(locked), status=429)
            response.headers["Retry-After"] = str(locked)
            return response
        secret = pending.get("enrol") or account.totp_secret or ""
        assert account.id is not None
        if not await use_totp(
            session, staff_id=account.id, secret=secret, code=str(form.get("code", "")), now=now
        ):
            locked = await throttle.record_failure(
                session, username=account.username, address=ip, now=now
            )
            if locked:
                response = await _totp_form(
                    request, pending, error=_locked_message(locked), status=429
                )
                response.headers["Retry-After"] = str(locked)
                return response
            return await _totp_form(
                request, pending, error="That code did not match. Try the current one.", status=401
            )
        if pending.get("enrol"):
            account.totp_secret = pending["enrol"]
            session.add(account)
            await audit(session, now=now, staff_id=account.id, action="totp_enrolled", ip=ip)
        return await _finish_sign_in(request, session, account, safe_next(pending.get("next")))


async def logout(request: web.Request) -> web.StreamResponse:
    """``POST /logout``: end this session; with ``everywhere=1``, every session of the account."""
    found = await resolve_staff(request)
    if found is not None:
        row, account = found
        assert account.id is not None
        form = await request.post()
        everywhere = form.get("everywhere") == "1"
        await end_staff_sessions(
            db_of(request), staff_id=account.id, only=None if everywhere else row.id
        )
        if everywhere:
            await close_staff_sockets(request.app, account.id)
        async with db_of(request).session() as session:
            await audit_request(
                session,
                request,
                staff_id=account.id,
                action="sign_out_everywhere" if everywhere else "sign_out",
            )
            await session.commit()
    response = redirect("/login?signed_out=1")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def account_page(request: web.Request) -> web.Response:
    """``GET /account``: who am I, password change, second factor, sign out everywhere."""
    account = await page_staff(request)
    async with db_of(request).session() as session:
        required = await totp_required(session, account) and not account.totp_secret
        role_requires = False
        if account.roles:
            rows = await session.exec(
                select(RolePolicy).where(
                    col(RolePolicy.role).in_(account.roles), col(RolePolicy.require_totp).is_(True)
                )
            )
            role_requires = rows.first() is not None
    message = request.query.get("msg", "")
    return await render(
        request,
        "account.html",
        {
            "account": account,
            "totp_on": bool(account.totp_secret),
            "totp_required_by_role": role_requires or required,
            "message": MESSAGES.get(message, ""),
        },
    )


MESSAGES = {
    "password_changed": "Your password was changed. Other sessions were signed out.",
    "totp_on": "Two-step sign-in is now on. You will be asked for a code when you sign in.",
    "totp_off": "Two-step sign-in is now off.",
}


async def change_password(request: web.Request) -> web.StreamResponse:
    """``POST /account/password``: needs the current password; signs out other sessions."""
    account = await page_staff(request)
    form = await request.post()
    current = str(form.get("current_password", ""))
    new = str(form.get("new_password", ""))
    repeat = str(form.get("repeat_password", ""))
    error = ""
    if not verify_password(account.password_hash, current):
        error = "Your current password is not right."
    elif len(new) < MIN_PASSWORD_LENGTH:
        error = f"Choose a new password of at least {MIN_PASSWORD_LENGTH} characters."
    elif new != repeat:
        error = "The two new passwords differ."
    if error:
        return await render(
            request,
            "account.html",
            {
                "account": account,
                "totp_on": bool(account.totp_secret),
                "totp_required_by_role": False,
                "password_error": error,
                "message": "",
            },
            status=400,
        )
    found = await resolve_staff(request)
    assert found is not None and account.id is not None
    async with db_of(request).session() as session:
        row = await session.get(StaffAccount, account.id)
        assert row is not None
        row.password_hash = hash_password(new)
        session.add(row)
        await audit_request(
            session,
            request,
            staff_id=account.id,
            action="password_changed",
        )
        await session.commit()
    # Keep this session, end every other one.
    async with db_of(request).session() as session:
        others = await session.exec(
            select(StaffSession).where(
                StaffSession.staff_id == account.id, col(StaffSession.id) != found[0].id
            )
        )
        for other in others.all():
            await session.delete(other)
        await session.commit()
    raise web.HTTPSeeOther("/account?msg=password_changed")


async def totp_disable(request: web.Request) -> web.StreamResponse:
    """``POST /account/totp/disable``: allowed only when no role of the account requires it."""
    account = await page_staff(request)
    form = await request.post()
    if not verify_password(account.password_hash, str(form.get("current_password", ""))):
        raise web.HTTPSeeOther("/account?msg=")
    async with db_of(request).session() as session:
        rows = await session.exec(
            select(RolePolicy).where(
                col(RolePolicy.role).in_(account.roles), col(RolePolicy.require_totp).is_(True)
            )
        )
        if rows.first() is not None:
            raise web.HTTPForbidden(text="Your role requires two-step sign-in.")
        row = await session.get(StaffAccount, account.id)
        assert row is not None
        row.totp_secret = None
        session.add(row)
        await audit_request(
            session,
            request,
            staff_id=account.id,
            action="totp_disabled",
        )
        await session.commit()
    raise web.HTTPSeeOther("/account?msg=totp_off")


async def totp_enrol_start(request: web.Request) -> web.StreamResponse:
    """``POST /account/totp/enable``: sign out into the enrolment step of the sign-in flow."""
    account = await page_staff(request)
    found = await resolve_staff(request)
    assert found is not None
    pending = {
        "staff_id": account.id,
        "next": "/account?msg=totp_on",
        "enrol": pyotp.random_base32(),
    }
    token = pending_cipher(settings_of(request)).encrypt(json.dumps(pending).encode())
    await end_staff_sessions(db_of(request), staff_id=account.id or 0, only=found[0].id)
    response = redirect("/login/totp")
    response.del_cookie(SESSION_COOKIE, path="/")
    response.set_cookie(
        PENDING_COOKIE,
        token.decode(),
        max_age=PENDING_TTL_SECONDS,
        path="/login",
        secure=settings_of(request).secure_cookies,
        httponly=True,
        samesite="Strict",
    )
    return response


# --- the lead's JSON sign-in gets the same throttle and second factor ------------------------


async def _json_credentials(request: web.Request) -> dict[str, str]:
    try:
        if request.content_type == "application/json":
            data = await request.json()
        else:
            data = dict(await request.post())
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)}


@web.middleware
async def login_guard_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Throttle ``POST /auth/login`` and demand ``totp`` for accounts that need a second factor."""
    if request.method != "POST" or request.path != "/auth/login":
        return await handler(request)
    creds = await _json_credentials(request)
    username = creds.get("username", "")[:64]
    password = creds.get("password", "")[:1024]
    now = utcnow()
    ip = client_ip(request)
    async with db_of(request).session() as session:
        keys = (throttle.user_key(username), throttle.ip_key(ip))
        locked = await throttle.lockout_seconds(session, keys, now)
        if locked:
            response = json_error(429, "too_many_attempts", _locked_message(locked))
            response.headers["Retry-After"] = str(locked)
            return response
        named = (
            await session.exec(select(StaffAccount).where(StaffAccount.username == username))
        ).first()
        # Only accounts with a second factor need the password checked here as well; the
        # lead's handler checks it (once) for everyone else.
        if username and password and named is not None and await totp_required(session, named):
            try:
                account: StaffAccount | None = await authenticate(session, username, password)
            except AuthenticationFailed:
                account = None
            if account is not None:
                if not account.totp_secret:
                    return json_error(
                        403,
                        "totp_enrolment_required",
                        "Your role requires two-step sign-in. Sign in at /login to set it up.",
                    )
                if not await use_totp(
                    session,
                    staff_id=account.id or 0,
                    secret=account.totp_secret,
                    code=creds.get("totp", ""),
                    now=now,
                ):
                    locked = await throttle.record_failure(
                        session, username=username, address=ip, now=now
                    )
                    if locked:
                        response = json_error(429, "too_many_attempts", _locked_message(locked))
                        response.headers["Retry-After"] = str(locked)
                        return response
                    return json_error(
                        401, "totp_required", "Send the current six-digit code as 'totp'."
                    )
    try:
        result = await handler(request)
    except web.HTTPException as exc:
        if exc.status == 401 and username:
            async with db_of(request).session() as session:
                locked = await throttle.record_failure(
                    session, username=username, address=ip, now=now
                )
            if locked:
                response = json_error(429, "too_many_attempts", _locked_message(locked))
                response.headers["Retry-After"] = str(locked)
                return response
        raise
    if result.status == 200 and username:
        async with db_of(request).session() as session:
            await throttle.record_success(session, username=username)
    return result


def setup_routes(app: web.Application) -> None:
    """Register sign-in, sign-out and account routes."""
    app.router.add_get("/login", login_page, name="web_login")
    app.router.add_post("/login", login_submit)
    app.router.add_get("/login/totp", totp_page, name="web_login_totp")
    app.router.add_post("/login/totp", totp_submit)
    app.router.add_post("/logout", logout, name="web_logout")
    app.router.add_get("/account", account_page, name="web_account")
    app.router.add_post("/account/password", change_password)
    app.router.add_post("/account/totp/enable", totp_enrol_start)
    app.router.add_post("/account/totp/disable", totp_disable)
