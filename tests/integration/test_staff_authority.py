"""Staff authority reaches open sockets: every change to an account's rights (role removed,
account disabled, sign-out here or everywhere, password changed) closes its staff sockets
with a documented close code, and a counsellor who lost the role holds nothing any more."""

from __future__ import annotations

import json

import aiohttp
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from server.app import DB
from server.gateways.common import HUB
from tests.integration.test_handoff_support import (
    Staff,
    connect_player,
    consent_frame,
    published_offer,
)

CLOSE_WAIT = 3.0  # generous: the close is sent before the changing request answers


async def open_console(client: TestClient, username: str) -> tuple[Staff, str, str]:  # type: ignore[type-arg]
    """A signed-in staff socket with its own session: (socket, cookie token, CSRF token)."""
    http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
    resp = await http.post(
        client.make_url("/auth/login"),
        json={"username": username, "password": f"demo-{username}"},
    )
    assert resp.status == 200, await resp.text()
    cookie = resp.cookies["crossroads_session"].value
    csrf = (await resp.json())["csrf_token"]
    ws = await http.ws_connect(
        client.make_url("/ws/staff"), headers={"Cookie": f"crossroads_session={cookie}"}
    )
    staff = Staff(ws, http)
    staff.welcome = await staff.expect("welcome")
    return staff, cookie, csrf


async def close_code(staff: Staff, timeout: float = CLOSE_WAIT) -> int | None:
    """Read until the server closes the socket; the close code."""
    while True:
        msg = await staff.ws.receive(timeout=timeout)
        if msg.type == aiohttp.WSMsgType.CLOSE:
            return int(msg.data)  # the code in the server's close frame
        if msg.type == aiohttp.WSMsgType.CLOSED:
            return staff.ws.close_code
        if msg.type == aiohttp.WSMsgType.TEXT:
            staff.backlog.append(json.loads(msg.data))


async def admin_session(client: TestClient) -> str:  # type: ignore[type-arg]
    """Sign admin1 in on the test client's own cookie jar; its CSRF token."""
    resp = await client.post("/auth/login", json={"username": "admin1", "password": "demo-admin1"})
    assert resp.status == 200
    return str((await resp.json())["csrf_token"])


async def staff_id(client: TestClient, username: str) -> int:  # type: ignore[type-arg]
    async with client.app[DB].engine.connect() as c:
        value = (
            await c.execute(
                sa.text("SELECT id FROM staff_account WHERE username = :u"), {"u": username}
            )
        ).scalar_one()
    return int(value)


async def test_removing_the_counsellor_role_closes_the_socket_and_frees_the_player(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """An admin removing a counsellor's role closes that counsellor's socket with 4011 by the
    time the admin's page answers; the player goes back to the front of the queue at once
    (no grace period) and the former counsellor's frames reach nothing."""
    bundle = await published_offer(seeded_client)
    c3, _, _ = await open_console(seeded_client, "counsellor3")
    player = await connect_player(seeded_client)
    await player.send(consent_frame(bundle, kind="survivor", kind_required=True))
    offer = await c3.expect("offer")
    await c3.send({"type": "accept", "offer_id": offer["offer_id"]})
    conv = (await c3.expect("matched"))["conversation_id"]
    await player.expect("matched")
    csrf = await admin_session(seeded_client)
    sid = await staff_id(seeded_client, "counsellor3")
    form = aiohttp.FormData(
        [
            ("csrf_token", csrf),
            ("action", "save"),
            ("roles", "author"),
            ("display_name", "Miriam (survivor)"),
            ("kind", "survivor"),
            ("languages", "en"),
            ("capacity", "2"),
            ("active", "1"),
        ]
    )
    resp = await seeded_client.post(f"/admin/staff/{sid}", data=form, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    assert await close_code(c3, timeout=0.5) == 4011
    requeued = await player.expect("queued")
    if not requeued["requeued"]:  # the first queued frame, from before the match
        requeued = await player.expect("queued")
    assert requeued["requeued"] is True
    hub = seeded_client.app[HUB]
    req = hub.core.request_for_conversation(conv)
    assert req is not None and req.counsellor_id is None
    assert sid not in hub.core.counsellors
    await c3.session.close()


async def test_json_sign_out_everywhere_closes_every_socket(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """``POST /auth/logout?everywhere=1`` closes the sockets of all the account's sessions
    with 4001, and is audited with the caller's address."""
    first, cookie, csrf = await open_console(seeded_client, "counsellor1")
    second, _, _ = await open_console(seeded_client, "counsellor1")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        resp = await http.post(
            seeded_client.make_url("/auth/logout?everywhere=1"),
            headers={"Cookie": f"crossroads_session={cookie}", "X-CSRF-Token": csrf},
        )
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["ended_sessions"] == 2
    assert await close_code(first) == 4001
    assert await close_code(second) == 4001
    async with seeded_client.app[DB].engine.connect() as c:
        rows = (
            await c.execute(
                sa.text("SELECT action, ip FROM audit_log WHERE action LIKE 'sign_out%'")
            )
        ).all()
    assert [(r.action, r.ip != "") for r in rows] == [("sign_out_everywhere", True)]
    for s in (first, second):
        await s.session.close()


async def test_signing_out_one_session_closes_only_its_socket(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """A plain JSON sign-out ends this session's socket (4001); another session stays open."""
    mine, cookie, csrf = await open_console(seeded_client, "counsellor2")
    other, _, _ = await open_console(seeded_client, "counsellor2")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        resp = await http.post(
            seeded_client.make_url("/auth/logout"),
            headers={"Cookie": f"crossroads_session={cookie}", "X-CSRF-Token": csrf},
        )
        assert resp.status == 200
    assert await close_code(mine) == 4001
    await other.send({"type": "status", "status": "away"})
    assert (await other.expect("status"))["status"] == "away"
    for s in (mine, other):
        await s.session.close()


async def test_password_change_closes_the_accounts_sockets(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """Changing the password ends the other sessions (their sockets close with 4001) and
    closes this session's socket with 4011, so it reconnects under the new authority."""
    here, cookie, csrf = await open_console(seeded_client, "counsellor4")
    elsewhere, _, _ = await open_console(seeded_client, "counsellor4")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        resp = await http.post(
            seeded_client.make_url("/account/password"),
            headers={"Cookie": f"crossroads_session={cookie}"},
            data={
                "csrf_token": csrf,
                "current_password": "demo-counsellor4",
                "new_password": "a-much-longer-password",
                "repeat_password": "a-much-longer-password",
            },
            allow_redirects=False,
        )
        assert resp.status == 303, await resp.text()
    assert await close_code(elsewhere) == 4001
    assert await close_code(here) == 4011
    for s in (here, elsewhere):
        await s.session.close()


async def test_an_account_disabled_outside_the_web_pages_loses_its_socket(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """An account disabled by another process (the admin CLI writes the database directly)
    loses its socket too (4001): the server rechecks open sockets every half second."""
    staff, _, _ = await open_console(seeded_client, "counsellor3")
    async with seeded_client.app[DB].engine.begin() as c:
        await c.execute(
            sa.text("UPDATE staff_account SET active = :f WHERE username = 'counsellor3'"),
            {"f": False},
        )
    assert await close_code(staff) == 4001
    assert (
        await staff_id(seeded_client, "counsellor3") not in seeded_client.app[HUB].core.counsellors
    )
    await staff.session.close()
