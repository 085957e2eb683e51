"""Staff sign-in and request hardening: throttling, CSRF, headers, roles, sign-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
from aiohttp.test_utils import TestClient

from tests.integration.test_web_support import page_csrf, sign_in, web_client  # noqa: F401


async def test_security_headers_on_every_page(web_client: TestClient) -> None:  # noqa: F811
    """Pages carry a strict CSP without inline code, nosniff, no framing and no referrer."""
    response = await web_client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    static = await web_client.get("/static/web/app.css")
    assert static.status == 200
    assert static.headers["X-Content-Type-Options"] == "nosniff"


async def test_sign_in_sets_hardened_cookie_and_lands_on_console(web_client: TestClient) -> None:  # noqa: F811
    """A counsellor who signs in gets an HttpOnly, SameSite=Strict cookie and the console."""
    response = await sign_in(web_client, "counsellor1")
    assert response.status == 303
    assert response.headers["Location"] == "/console"
    cookie = response.cookies["crossroads_session"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    console = await web_client.get("/console")
    assert console.status == 200
    assert 'src="/static/web/console.js"' in await console.text()


async def test_wrong_password_is_throttled_then_locked(web_client: TestClient) -> None:  # noqa: F811
    """Five wrong passwords lock the account with 429 and Retry-After, even for the right one."""
    for _ in range(4):
        response = await sign_in(web_client, "counsellor2", "wrong-password")
        assert response.status == 401
        assert "Unknown user name or wrong password" in await response.text()
    response = await sign_in(web_client, "counsellor2", "wrong-password")
    assert response.status == 429
    assert int(response.headers["Retry-After"]) > 800
    response = await sign_in(web_client, "counsellor2")
    assert response.status == 429
    assert "paused" in await response.text()


async def test_json_login_is_throttled_too(web_client: TestClient) -> None:  # noqa: F811
    """The JSON sign-in endpoint shares the lockout, answering 429 with a stable code."""
    for _ in range(5):
        response = await web_client.post(
            "/auth/login", json={"username": "counsellor3", "password": "nope-nope-nope"}
        )
    assert response.status == 429
    body = await response.json()
    assert body["error"]["code"] == "too_many_attempts"
    assert "Retry-After" in response.headers


async def test_post_without_csrf_token_is_refused(web_client: TestClient) -> None:  # noqa: F811
    """A signed-in state change without the CSRF token gets 403 and changes nothing."""
    await sign_in(web_client, "counsellor1")
    response = await web_client.post(
        "/console/api/canned",
        json={"shortcut": "hi", "title": "Hi", "body": "Hello"},
    )
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "csrf_failed"
    token = await page_csrf(web_client)
    response = await web_client.post(
        "/console/api/canned",
        json={"shortcut": "hi", "title": "Hi", "body": "Hello"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status == 201


async def test_sign_in_form_needs_its_own_token(web_client: TestClient) -> None:  # noqa: F811
    """A sign-in POST forged from another site (no double-submit token) is refused."""
    response = await web_client.post(
        "/login",
        data={"username": "counsellor1", "password": "demo-counsellor1"},
        allow_redirects=False,
    )
    assert response.status == 403


async def test_counsellor_cannot_open_admin(web_client: TestClient) -> None:  # noqa: F811
    """A counsellor gets 403 on the administration and supervisor pages."""
    await sign_in(web_client, "counsellor1")
    assert (await web_client.get("/admin")).status == 403
    assert (await web_client.get("/supervisor")).status == 403
    assert (await web_client.get("/supervisor/api/state")).status == 403


async def test_signed_out_pages_redirect_to_sign_in(web_client: TestClient) -> None:  # noqa: F811
    """Without a session, a staff page sends the browser to the sign-in form."""
    response = await web_client.get("/console", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].replace("%2F", "/") == "/login?next=/console"


async def test_sign_out_everywhere_ends_all_sessions(
    aiohttp_client,
    seeded_settings,
    web_client: TestClient,  # noqa: F811
) -> None:
    """Signing out everywhere ends the sessions of the same account in other browsers."""
    from server.app import create_app

    other = await aiohttp_client(create_app(seeded_settings))
    await sign_in(other, "supervisor1")
    assert (await other.get("/supervisor")).status == 200
    await sign_in(web_client, "supervisor1")
    token = await page_csrf(web_client)
    response = await web_client.post(
        "/logout", data={"csrf_token": token, "everywhere": "1"}, allow_redirects=False
    )
    assert response.status == 303
    assert (await other.get("/supervisor", allow_redirects=False)).status == 303


async def test_totp_required_by_role(web_client: TestClient) -> None:  # noqa: F811
    """When admins require TOTP for a role, sign-in enrols and then asks for a valid code."""
    await sign_in(web_client, "admin1")
    token = await page_csrf(web_client, "/admin")
    response = await web_client.post(
        "/admin/policy",
        data={"csrf_token": token, "require_totp": "supervisor"},
        allow_redirects=False,
    )
    assert response.status == 303
    web_client.session.cookie_jar.clear()
    response = await sign_in(web_client, "supervisor1")
    assert response.status == 303 and response.headers["Location"] == "/login/totp"
    page = await web_client.get("/login/totp")
    text = await page.text()
    import re

    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', text).group(1)
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
    bad = await web_client.post(
        "/login/totp", data={"csrf_token": form_token, "code": "000000"}, allow_redirects=False
    )
    assert bad.status == 401
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', await bad.text()).group(1)
    good = await web_client.post(
        "/login/totp",
        data={"csrf_token": form_token, "code": pyotp.TOTP(secret).now()},
        allow_redirects=False,
    )
    assert good.status == 303 and good.headers["Location"] == "/console"
    assert (await web_client.get("/supervisor")).status == 200
    # The JSON endpoint now needs the code as well.
    response = await web_client.post(
        "/auth/login", json={"username": "supervisor1", "password": "demo-supervisor1"}
    )
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "totp_required"


async def test_password_change_keeps_this_session_only(
    aiohttp_client,
    seeded_settings,
    web_client: TestClient,  # noqa: F811
) -> None:
    """Changing one's password needs the current one and signs out every other session."""
    from server.app import create_app

    other = await aiohttp_client(create_app(seeded_settings))
    await sign_in(other, "counsellor4")
    await sign_in(web_client, "counsellor4")
    token = await page_csrf(web_client)
    wrong = await web_client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": "not-it",
            "new_password": "a-brand-new-passphrase",
            "repeat_password": "a-brand-new-passphrase",
        },
    )
    assert wrong.status == 400
    assert "current password is not right" in await wrong.text()
    done = await web_client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": "demo-counsellor4",
            "new_password": "a-brand-new-passphrase",
            "repeat_password": "a-brand-new-passphrase",
        },
        allow_redirects=False,
    )
    assert done.status == 303
    assert (await web_client.get("/account")).status == 200
    assert (await other.get("/account", allow_redirects=False)).status == 303
    web_client.session.cookie_jar.clear()
    assert (await sign_in(web_client, "counsellor4", "a-brand-new-passphrase")).status == 303


async def test_personal_totp_from_the_account_page(web_client: TestClient) -> None:  # noqa: F811
    """A counsellor turns on two-step sign-in; afterwards a code is needed to sign in."""
    import re

    await sign_in(web_client, "counsellor3")
    token = await page_csrf(web_client)
    response = await web_client.post(
        "/account/totp/enable", data={"csrf_token": token}, allow_redirects=False
    )
    assert response.status == 303 and response.headers["Location"] == "/login/totp"
    text = await (await web_client.get("/login/totp")).text()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', text).group(1)
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
    used = pyotp.TOTP(secret).now()
    response = await web_client.post(
        "/login/totp",
        data={"csrf_token": form_token, "code": used},
        allow_redirects=False,
    )
    assert response.status == 303 and response.headers["Location"] == "/account?msg=totp_on"
    web_client.session.cookie_jar.clear()
    response = await sign_in(web_client, "counsellor3")
    assert response.headers["Location"] == "/login/totp"
    credentials = {"username": "counsellor3", "password": "demo-counsellor3"}
    replay = await web_client.post("/auth/login", json={**credentials, "totp": used})
    assert replay.status == 401, "a code must work only once"
    following = pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30))
    json_login = await web_client.post("/auth/login", json={**credentials, "totp": following})
    assert json_login.status == 200


async def test_idle_session_ends_after_thirty_minutes(
    web_client: TestClient,  # noqa: F811
) -> None:
    """A session left unused for over 30 minutes is ended; the next page asks to sign in."""
    from sqlmodel import select

    from server.app import DB
    from server.storage.models import StaffSession
    from server.storage.types import utcnow

    await sign_in(web_client, "admin1")
    assert (await web_client.get("/admin")).status == 200
    async with web_client.app[DB].session() as session:
        for row in (await session.exec(select(StaffSession))).all():
            row.last_seen_at = utcnow() - timedelta(minutes=31)
            session.add(row)
        await session.commit()
    response = await web_client.get("/admin", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/login")


async def test_each_role_lands_on_its_own_page(web_client: TestClient) -> None:  # noqa: F811
    """After sign-in, counsellors, supervisors, board members and admins land where they work."""
    expected = {
        "counsellor1": "/console",
        "supervisor1": "/console",
        "board1": "/board",
        "author1": "/board",
        "admin1": "/admin",
    }
    for username, home in expected.items():
        web_client.session.cookie_jar.clear()
        response = await sign_in(web_client, username)
        assert response.headers["Location"] == home, username
