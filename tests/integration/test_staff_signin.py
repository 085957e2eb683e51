"""One sign-in for both endpoints: login CSRF refused, every outcome audited with the address,
and a wrong current password on password change throttled like a wrong sign-in."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from server.app import DB
from tests.integration.test_web_support import page_csrf, sign_in, web_client  # noqa: F401


async def audit_rows(client: TestClient, action: str) -> list[Any]:  # type: ignore[type-arg]
    async with client.app[DB].engine.connect() as c:
        return list(
            (
                await c.execute(
                    sa.text(
                        "SELECT action, target, ip, detail, staff_id FROM audit_log "
                        "WHERE action LIKE :a ORDER BY id"
                    ),
                    {"a": action},
                )
            ).all()
        )


async def test_a_foreign_form_cannot_sign_a_browser_in(web_client: TestClient) -> None:  # noqa: F811
    """A form-encoded post to ``/auth/login`` (what a foreign page can send without a
    preflight) is refused with 415 and sets no cookie; so is JSON from a foreign Origin."""
    response = await web_client.post(
        "/auth/login", data={"username": "counsellor3", "password": "demo-counsellor3"}
    )
    assert response.status == 415
    assert (await response.json())["error"]["code"] == "json_required"
    assert "crossroads_session" not in response.cookies
    response = await web_client.post(
        "/auth/login",
        json={"username": "counsellor3", "password": "demo-counsellor3"},
        headers={"Origin": "http://attacker.example"},
    )
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "origin_not_allowed"
    assert "crossroads_session" not in response.cookies
    assert (await web_client.get("/console", allow_redirects=False)).status == 303


async def test_json_sign_in_and_out_are_audited_with_the_address(web_client: TestClient) -> None:  # noqa: F811
    """A JSON sign-in and sign-out each leave an audit row carrying the caller's address."""
    response = await web_client.post(
        "/auth/login", json={"username": "counsellor1", "password": "demo-counsellor1"}
    )
    assert response.status == 200
    csrf = (await response.json())["csrf_token"]
    response = await web_client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status == 200
    (signed_in,) = await audit_rows(web_client, "sign_in")
    assert signed_in.ip == "127.0.0.1" and '"json"' in str(signed_in.detail)
    (signed_out,) = await audit_rows(web_client, "sign_out")
    assert signed_out.ip == "127.0.0.1" and signed_out.staff_id == signed_in.staff_id


async def test_failed_sign_ins_that_lock_an_account_are_audited(web_client: TestClient) -> None:  # noqa: F811
    """Every failed sign-in is audited, on both endpoints, including the one that locked the
    account; a try while locked is audited as refused."""
    for _ in range(3):
        await sign_in(web_client, "counsellor2", "wrong-password")
    for _ in range(2):
        await web_client.post(
            "/auth/login", json={"username": "counsellor2", "password": "wrong-password"}
        )
    response = await web_client.post(
        "/auth/login", json={"username": "counsellor2", "password": "demo-counsellor2"}
    )
    assert response.status == 429
    failed = await audit_rows(web_client, "sign_in_failed")
    assert [(r.target, r.ip) for r in failed] == [("counsellor2", "127.0.0.1")] * 5
    assert "locked_seconds" in str(failed[-1].detail)
    assert "locked_seconds" not in str(failed[0].detail)
    (refused,) = await audit_rows(web_client, "sign_in_refused")
    assert refused.target == "counsellor2"


async def test_wrong_current_passwords_are_throttled_and_audited(web_client: TestClient) -> None:  # noqa: F811
    """Guessing the current password on the account page is locked after five tries (even
    the right one is then refused) and every wrong try is audited."""
    await sign_in(web_client, "counsellor4")
    statuses = []
    for guess in ["guess-1", "guess-2", "guess-3", "guess-4", "guess-5", "demo-counsellor4"]:
        csrf = await page_csrf(web_client)
        response = await web_client.post(
            "/account/password",
            data={
                "csrf_token": csrf,
                "current_password": guess,
                "new_password": "a-brand-new-password",
                "repeat_password": "a-brand-new-password",
            },
            allow_redirects=False,
        )
        statuses.append(response.status)
    assert statuses == [400, 400, 400, 400, 429, 429]
    rows = await audit_rows(web_client, "password_change_failed")
    assert len(rows) == 5 and all(r.ip == "127.0.0.1" for r in rows)
    assert await audit_rows(web_client, "password_changed") == []


async def test_every_transcript_read_through_the_api_is_audited(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """Following a conversation with ``?after=N`` leaves an audit row for each read that
    returned messages (not only the first read from the start)."""
    from tests.conftest import staff_login
    from tests.integration.test_handoff_support import (
        connect_player,
        connect_staff,
        consent_frame,
        published_offer,
    )

    bundle = await published_offer(seeded_client)
    staff = await connect_staff(seeded_client, "counsellor3")
    player = await connect_player(seeded_client)
    await player.send(consent_frame(bundle, kind="survivor", kind_required=True))
    offer = await staff.expect("offer")
    await staff.send({"type": "accept", "offer_id": offer["offer_id"]})
    conv = (await staff.expect("matched"))["conversation_id"]
    for text in ("one", "two"):
        await player.send({"type": "message", "client_id": text, "text": text})
        await player.expect("ack")
    await staff_login(seeded_client, "counsellor3")
    url = f"/supervisor/api/conversations/{conv}/messages"
    body = await (await seeded_client.get(url, params={"after": "1"})).json()
    assert [m["text"] for m in body["messages"]] == ["two"]
    empty = await (await seeded_client.get(url, params={"after": "2"})).json()
    assert empty["messages"] == []
    rows = await audit_rows(seeded_client, "transcript_read")
    assert [(r.target, r.ip) for r in rows] == [(conv, "127.0.0.1")]
    assert '"after": 1' in str(rows[0].detail) or "'after': 1" in str(rows[0].detail)
    await staff.close()


async def test_totp_enrolment_shows_a_qr_code_and_recovery_codes_work_once(
    web_client: TestClient,  # noqa: F811
) -> None:
    """Enrolling shows the set-up as a QR code (an SVG of the otpauth link); afterwards ten
    one-time recovery codes can be created, one of them signs in instead of a TOTP code,
    and the same one is refused the second time."""
    import re
    import urllib.parse

    import pyotp

    await sign_in(web_client, "counsellor3")
    token = await page_csrf(web_client)
    await web_client.post("/account/totp/enable", data={"csrf_token": token})
    page = await (await web_client.get("/login/totp")).text()
    qr = re.search(r'id="totp-qr" src="([^"]+)"', page)
    assert qr is not None and qr.group(1).startswith("data:image/svg+xml")
    svg = urllib.parse.unquote(qr.group(1).split(",", 1)[1].replace("&#39;", "'"))
    assert "<svg" in svg and "<path" in svg
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)  # type: ignore[union-attr]
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    await web_client.post(
        "/login/totp", data={"csrf_token": form_token, "code": pyotp.TOTP(secret).now()}
    )
    csrf = await page_csrf(web_client)
    wrong = await web_client.post(
        "/account/recovery-codes", data={"csrf_token": csrf, "current_password": "nope"}
    )
    assert wrong.status == 400
    made = await web_client.post(
        "/account/recovery-codes",
        data={"csrf_token": csrf, "current_password": "demo-counsellor3"},
    )
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", await made.text())
    assert len(codes) == 10 and len(set(codes)) == 10
    web_client.session.cookie_jar.clear()

    async def second_step(code: str) -> Any:
        await sign_in(web_client, "counsellor3")
        text = await (await web_client.get("/login/totp")).text()
        step_token = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)  # type: ignore[union-attr]
        return await web_client.post(
            "/login/totp", data={"csrf_token": step_token, "code": code}, allow_redirects=False
        )

    assert (await second_step(codes[0].upper())).status == 303
    web_client.session.cookie_jar.clear()
    assert (await second_step(codes[0])).status == 401
    used = await audit_rows(web_client, "recovery_code_used")
    assert len(used) == 1 and '"left": 9' in str(used[0].detail).replace("'", '"')
