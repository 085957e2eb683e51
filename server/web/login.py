"""Sign-in, second factor, sign-out and the account page.

Both sign-in endpoints call :func:`server.web.signin.sign_in` (throttle, password, second
factor, audit). ``/login`` is the form, guarded against login CSRF by a pre-session
double-submit token; ``POST /auth/login`` takes JSON only (a foreign page cannot send a JSON
body without a CORS preflight, which this server never grants) and refuses a foreign
``Origin``. Every way of ending sessions or changing a password closes the account's staff
sockets at once (``server.web.live.account_changed``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

import pyotp
import segno
from aiohttp import web
from cryptography.fernet import InvalidToken
from sqlmodel import col, select

from server.auth import (
    SESSION_COOKIE,
    LoginResult,
    end_staff_sessions,
    hash_password,
    resolve_staff,
    set_session_cookie,
    verify_password,
)
from server.errors import json_error
from server.storage.models import StaffAccount, StaffSession, public_staff
from server.web import throttle
from server.web.common import (
    audit_request,
    client_ip,
    db_of,
    page_staff,
    pending_cipher,
    render,
    settings_of,
)
from server.web.live import account_changed
from server.web.models import utcnow
from server.web.security import LOGIN_CSRF_COOKIE, new_login_csrf, tokens_match
from server.web.signin import (
    SecondFactorNeeded,
    SignInRefused,
    locked_message,
    new_recovery_codes,
    role_requires_totp,
    second_factor,
    sign_in,
    totp_required,
    unused_recovery_codes,
)

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


async def login_page(request: web.Request) -> web.Response:
    """``GET /login``: the sign-in form (or straight on when already signed in)."""
    found = await resolve_staff(request)
    if found is not None:
        raise web.HTTPSeeOther(safe_next(request.query.get("next")) or home_for(found[1]))
    return await _login_form(request)


def _signed_in(request: web.Request, result: LoginResult, next_path: str | None) -> web.Response:
    response = redirect(next_path or home_for(result.account))
    set_session_cookie(response, request, result)
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/login")
    response.del_cookie(PENDING_COOKIE, path="/login")
    return response


_FORM_MESSAGES = {
    "invalid_credentials": "Unknown user name or wrong password.",
    "missing_credentials": "Enter your user name and password.",
}


async def login_submit(request: web.Request) -> web.StreamResponse:
    """``POST /login``: check the form's token, then :func:`sign_in`; TOTP or a session."""
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
    try:
        outcome = await sign_in(
            db_of(request),
            username,
            password,
            None,
            client_ip(request),
            utcnow(),
            hours=settings_of(request).session_hours,
            via="form",
        )
    except SignInRefused as exc:
        return await _login_form(
            request,
            error=_FORM_MESSAGES.get(exc.code, exc.message),
            status=exc.status,
            username=username,
            retry_after=exc.retry_after,
        )
    if isinstance(outcome, SecondFactorNeeded):
        account = outcome.account
        enrol = None if outcome.enrolled else pyotp.random_base32()
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
    return _signed_in(request, outcome, next_path)


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
        {
            "login_csrf": token,
            "error": error,
            "enrol_secret": enrol or "",
            "enrol_uri": uri,
            # segno draws the otpauth:// link as an SVG data URI (the CSP allows data: images)
            "enrol_qr": segno.make(uri, error="m").svg_data_uri(scale=5) if uri else "",
        },
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
    try:
        result = await second_factor(
            db_of(request),
            int(pending["staff_id"]),
            str(form.get("code", "")),
            client_ip(request),
            utcnow(),
            hours=settings_of(request).session_hours,
            enrol_secret=pending.get("enrol") or None,
        )
    except SignInRefused as exc:
        if exc.code == "not_signed_in":
            raise web.HTTPSeeOther("/login") from exc
        response = await _totp_form(request, pending, error=exc.message, status=exc.status)
        if exc.retry_after:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return _signed_in(request, result, safe_next(pending.get("next")))


async def sign_out(request: web.Request, *, everywhere: bool, via: str) -> int:
    """End this session (or every session of the account), audit it and close the sockets
    that ran under the ended sessions. Returns how many sessions ended (0: not signed in)."""
    found = await resolve_staff(request)
    if found is None:
        return 0
    row, account = found
    assert account.id is not None
    ended = await end_staff_sessions(
        db_of(request), staff_id=account.id, only=None if everywhere else row.id
    )
    await account_changed(request.app, account.id)
    async with db_of(request).session() as session:
        await audit_request(
            session,
            request,
            staff_id=account.id,
            action="sign_out_everywhere" if everywhere else "sign_out",
            detail={"via": via, "sessions": ended},
        )
        await session.commit()
    return ended


async def logout(request: web.Request) -> web.StreamResponse:
    """``POST /logout``: end this session; with ``everywhere=1``, every session of the account."""
    form = await request.post()
    await sign_out(request, everywhere=form.get("everywhere") == "1", via="form")
    response = redirect("/login?signed_out=1")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


def _foreign_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return False  # not a browser, or a same-origin request of an old browser
    allowed = {o.rstrip("/") for o in settings_of(request).allowed_origins}
    origin = origin.rstrip("/")
    return origin not in allowed and origin != f"{request.scheme}://{request.host}"


async def _json_body(request: web.Request) -> dict[str, Any]:
    """The JSON object of a sign-in request; anything else is refused with a clear code."""
    if _foreign_origin(request):
        raise SignInRefused(403, "origin_not_allowed", "Sign in from this service's own pages.")
    if request.content_type != "application/json":
        raise SignInRefused(
            415, "json_required", "Send the credentials as JSON (Content-Type: application/json)."
        )
    try:
        data = await request.json()
    except ValueError as exc:
        raise SignInRefused(400, "invalid_json", "The body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise SignInRefused(400, "invalid_body", "Send an object with username and password.")
    return data


async def json_login(request: web.Request) -> web.Response:
    """``POST /auth/login``: JSON ``{username, password, totp?}`` -> session cookie and CSRF."""
    try:
        data = await _json_body(request)
        username, password = data.get("username"), data.get("password")
        totp = data.get("totp", "")
        if not isinstance(username, str) or not isinstance(password, str):
            raise SignInRefused(
                400, "missing_credentials", "Both username and password are required."
            )
        if len(username) > 64 or len(password) > 1024:
            raise SignInRefused(400, "credentials_too_long", "Username or password is too long.")
        outcome = await sign_in(
            db_of(request),
            username,
            password,
            totp if isinstance(totp, str) else "",
            client_ip(request),
            utcnow(),
            hours=settings_of(request).session_hours,
            via="json",
        )
    except SignInRefused as exc:
        response = json_error(exc.status, exc.code, exc.message)
        if exc.retry_after:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    assert isinstance(outcome, LoginResult)  # a str totp never asks for a second step
    response = web.json_response(
        {"staff": public_staff(outcome.account), "csrf_token": outcome.csrf_token}
    )
    set_session_cookie(response, request, outcome)
    return response


async def json_logout(request: web.Request) -> web.Response:
    """``POST /auth/logout``: end this session (``?everywhere=1``: all of them), audited,
    closing the staff sockets of every session it ends."""
    everywhere = request.query.get("everywhere") in ("1", "true")
    if await resolve_staff(request) is None:
        return json_error(401, "not_signed_in", "Sign in first.")
    ended = await sign_out(request, everywhere=everywhere, via="json")
    response = web.json_response({"ended_sessions": ended})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def account_page(request: web.Request) -> web.Response:
    """``GET /account``: who am I, password change, second factor, sign out everywhere."""
    account = await page_staff(request)
    message = request.query.get("msg", "")
    return await _account(request, account, message=MESSAGES.get(message, ""))


async def _account(
    request: web.Request, account: StaffAccount, *, status: int = 200, **extra: Any
) -> web.Response:
    """The account page with what it always shows, plus ``extra`` (errors, new codes)."""
    async with db_of(request).session() as session:
        required = await totp_required(session, account) and not account.totp_secret
        role_requires = await role_requires_totp(session, account)
        left = await unused_recovery_codes(session, staff_id=account.id or 0)
    context: dict[str, Any] = {
        "account": account,
        "totp_on": bool(account.totp_secret),
        "totp_required_by_role": role_requires or required,
        "recovery_left": left,
        "message": "",
    }
    context.update(extra)
    return await render(request, "account.html", context, status=status)


async def recovery_codes(request: web.Request) -> web.StreamResponse:
    """``POST /account/recovery-codes``: a fresh set of one-time codes, shown once. Needs the
    current password (throttled and audited like a sign-in)."""
    account = await page_staff(request)
    form = await request.post()
    now = utcnow()
    ip = client_ip(request)
    async with db_of(request).session() as session:
        keys = (throttle.user_key(account.username), throttle.ip_key(ip))
        locked = await throttle.lockout_seconds(session, keys, now)
        if locked:
            return await _account(
                request, account, status=429, recovery_error=locked_message(locked)
            )
        if not account.totp_secret:
            return await _account(
                request,
                account,
                status=400,
                recovery_error="Turn on two-step sign-in first; recovery codes stand in for it.",
            )
        if not verify_password(account.password_hash, str(form.get("current_password", ""))):
            locked = await throttle.record_failure(
                session, username=account.username, address=ip, now=now
            )
            await audit_request(
                session,
                request,
                staff_id=account.id,
                action="recovery_codes_failed",
                detail={"reason": "wrong_current_password"},
            )
            await session.commit()
            return await _account(
                request,
                account,
                status=429 if locked else 400,
                recovery_error=locked_message(locked)
                if locked
                else "Your current password is not right.",
            )
        codes = await new_recovery_codes(session, staff_id=account.id or 0, now=now)
        await audit_request(session, request, staff_id=account.id, action="recovery_codes_created")
        await session.commit()
    return await _account(request, account, recovery_codes=codes)


MESSAGES = {
    "password_changed": "Your password was changed. Other sessions were signed out.",
    "totp_on": "Two-step sign-in is now on. You will be asked for a code when you sign in.",
    "totp_off": "Two-step sign-in is now off.",
}


async def change_password(request: web.Request) -> web.StreamResponse:
    """``POST /account/password``: needs the current password (throttled and audited like a
    sign-in); signs out every other session and closes the account's sockets."""
    account = await page_staff(request)
    form = await request.post()
    current = str(form.get("current_password", ""))
    new = str(form.get("new_password", ""))
    repeat = str(form.get("repeat_password", ""))
    now = utcnow()
    ip = client_ip(request)
    error = ""
    status = 400
    async with db_of(request).session() as session:
        keys = (throttle.user_key(account.username), throttle.ip_key(ip))
        locked = await throttle.lockout_seconds(session, keys, now)
        if locked:
            error, status = locked_message(locked), 429
        elif not verify_password(account.password_hash, current):
            locked = await throttle.record_failure(
                session, username=account.username, address=ip, now=now
            )
            await audit_request(
                session,
                request,
                staff_id=account.id,
                action="password_change_failed",
                detail={"reason": "wrong_current_password", "locked_seconds": locked},
            )
            await session.commit()
            error = locked_message(locked) if locked else "Your current password is not right."
            status = 429 if locked else 400
        elif len(new) < MIN_PASSWORD_LENGTH:
            error = f"Choose a new password of at least {MIN_PASSWORD_LENGTH} characters."
        elif new != repeat:
            error = "The two new passwords differ."
    if error:
        response = await _account(request, account, status=status, password_error=error)
        if status == 429:
            response.headers["Retry-After"] = str(locked)
        return response
    found = await resolve_staff(request)
    assert found is not None and account.id is not None
    async with db_of(request).session() as session:
        row = await session.get(StaffAccount, account.id)
        assert row is not None
        row.password_hash = hash_password(new)
        session.add(row)
        await audit_request(session, request, staff_id=account.id, action="password_changed")
        # Keep this session, end every other one.
        others = await session.exec(
            select(StaffSession).where(
                StaffSession.staff_id == account.id, col(StaffSession.id) != found[0].id
            )
        )
        for other in others.all():
            await session.delete(other)
        await session.commit()
    await account_changed(request.app, account.id)
    raise web.HTTPSeeOther("/account?msg=password_changed")


async def totp_disable(request: web.Request) -> web.StreamResponse:
    """``POST /account/totp/disable``: allowed only when no role of the account requires it."""
    account = await page_staff(request)
    form = await request.post()
    if not verify_password(account.password_hash, str(form.get("current_password", ""))):
        raise web.HTTPSeeOther("/account?msg=")
    async with db_of(request).session() as session:
        if await role_requires_totp(session, account):
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
    await account_changed(request.app, account.id or 0)
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


def setup_routes(app: web.Application) -> None:
    """Register sign-in, sign-out and account routes."""
    app.router.add_get("/login", login_page, name="web_login")
    app.router.add_post("/login", login_submit)
    app.router.add_get("/login/totp", totp_page, name="web_login_totp")
    app.router.add_post("/login/totp", totp_submit)
    app.router.add_post("/logout", logout, name="web_logout")
    app.router.add_post("/auth/login", json_login, name="auth_login")
    app.router.add_post("/auth/logout", json_logout, name="auth_logout")
    app.router.add_get("/account", account_page, name="web_account")
    app.router.add_post("/account/password", change_password)
    app.router.add_post("/account/totp/enable", totp_enrol_start)
    app.router.add_post("/account/totp/disable", totp_disable)
    app.router.add_post("/account/recovery-codes", recovery_codes)
