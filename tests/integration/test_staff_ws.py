"""The staff socket: sign-in before upgrade, bad input, ownership, transfer, referral,
decline and supervisor requests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import aiohttp
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from server.app import DB
from server.gateways.common import HUB
from tests.conftest import staff_login
from tests.integration.test_handoff_support import (
    Staff,
    connect_player,
    connect_staff,
    consent_frame,
    published_offer,
    set_away_all,
)


async def test_staff_socket_needs_a_counselling_role(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """Without sign-in the upgrade is refused with 401; an author gets 403."""
    resp = await seeded_client.get("/ws/staff")
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "not_signed_in"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        login = await http.post(
            seeded_client.make_url("/auth/login"),
            json={"username": "author1", "password": "demo-author1"},
        )
        cookie = login.cookies["crossroads_session"].value
        resp = await http.get(
            seeded_client.make_url("/ws/staff"), headers={"Cookie": f"crossroads_session={cookie}"}
        )
        assert resp.status == 403


async def test_bad_staff_frames(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """Malformed JSON, unknown types and missing fields get error codes; the socket stays."""
    staff = await connect_staff(seeded_client, "counsellor1")
    for raw, code in [
        ("{nope", "bad_frame"),
        ('{"type": "consent"}', "unknown_type"),
        ('{"type": "accept"}', "missing_field"),
        ('{"type": "end", "conversation_id": "x", "outcome": "bored"}', "invalid_field"),
        (
            '{"type": "message", "conversation_id": "x", "client_id": "c", "text": "hi"}',
            "not_in_conversation",
        ),
        ('{"type": "accept", "offer_id": "nope"}', "offer_gone"),
    ]:
        await staff.ws.send_str(raw)
        err = await staff.expect("error")
        assert err["code"] == code, (raw, err)
    await staff.send({"type": "status", "status": "away"})
    assert (await staff.expect("status"))["status"] == "away"
    await staff.close()


async def test_binary_and_invalid_utf8_close_the_staff_socket(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """Binary frames on the JSON socket close 1003; invalid UTF-8 text closes 1007."""
    staff = await connect_staff(seeded_client, "counsellor1")
    await staff.ws.send_bytes(b"\x80")
    msg = await staff.ws.receive()
    assert msg.type == aiohttp.WSMsgType.CLOSE and staff.ws.close_code == 1003
    await staff.close()
    staff = await connect_staff(seeded_client, "counsellor1")
    await staff.ws.send_frame(b"\xff\xfe", aiohttp.WSMsgType.TEXT)
    msg = await staff.ws.receive()
    assert msg.type == aiohttp.WSMsgType.CLOSE and staff.ws.close_code == 1007
    await staff.close()


async def test_counsellor_cannot_write_into_a_colleagues_chat(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """Messages, ends and reads of someone else's conversation are refused; a supervisor
    may read it through the socket only under the transcript page's rule (once a supervisor
    is requested), and that read is audited with the supervisor's address."""
    bundle = await published_offer(seeded_client)
    c3 = await connect_staff(seeded_client, "counsellor3")
    player = await connect_player(seeded_client)
    await player.send(consent_frame(bundle, kind="survivor", kind_required=True))
    offer = await c3.expect("offer")
    await c3.send({"type": "accept", "offer_id": offer["offer_id"]})
    conv = (await c3.expect("matched"))["conversation_id"]
    sup = await connect_staff(seeded_client, "supervisor1")
    await sup.send({"type": "resume", "conversation_id": conv, "last_seq": 0})
    assert (await sup.expect("error"))["code"] == "not_your_conversation"
    csrf = await staff_login(seeded_client, "counsellor3")
    resp = await seeded_client.post(
        f"/console/api/conversations/{conv}/supervisor", headers={"X-CSRF-Token": csrf}
    )
    assert resp.status == 201, await resp.text()
    await sup.send({"type": "resume", "conversation_id": conv, "last_seq": 0})
    await sup.expect("resumed")
    async with seeded_client.app[DB].engine.connect() as c:
        audit = (
            await c.execute(
                sa.text(
                    "SELECT action, target, ip FROM audit_log WHERE target = :t "
                    "AND action = 'transcript_read'"
                ),
                {"t": conv},
            )
        ).all()
    assert [tuple(a) for a in audit] == [("transcript_read", conv, "127.0.0.1")]
    await sup.close()
    c2 = await connect_staff(seeded_client, "counsellor2")
    await c2.send({"type": "message", "conversation_id": conv, "client_id": "x", "text": "hi"})
    assert (await c2.expect("error"))["code"] == "not_your_conversation"
    await c2.send({"type": "end", "conversation_id": conv, "outcome": "talked"})
    assert (await c2.expect("error"))["code"] == "not_your_conversation"
    await c2.send({"type": "resume", "conversation_id": conv, "last_seq": 0})
    assert (await c2.expect("error"))["code"] == "not_your_conversation"
    await c2.close()
    await c3.close()


async def test_decline_transfer_supervisor_and_referral(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """A declined request goes to a colleague, who can ask a supervisor, transfer, and refer."""
    bundle = await published_offer(seeded_client)
    async with seeded_client.app[DB].engine.begin() as c:
        await c.execute(
            sa.text(
                "INSERT INTO partner_organisation (key, name, description, contact, url, "
                "languages, active, created_at) VALUES ('partnerx', 'Partner X', '', '', "
                "'https://partner.example', '[\"en\"]', 1, CURRENT_TIMESTAMP)"
            )
        )
    c1 = await connect_staff(seeded_client, "counsellor1")
    player = await connect_player(seeded_client)
    await player.send(consent_frame(bundle, kind="professional"))
    offer = await c1.expect("offer")
    c2 = await connect_staff(seeded_client, "counsellor2")
    await c1.send({"type": "decline", "offer_id": offer["offer_id"]})
    assert (await c1.expect("offer_expired"))["reason"] == "declined"
    offer2 = await c2.expect("offer")
    assert offer2["request_id"] == offer["request_id"]
    await c2.send({"type": "accept", "offer_id": offer2["offer_id"]})
    conv = (await c2.expect("matched"))["conversation_id"]
    await player.expect("matched")

    sup = await connect_staff(seeded_client, "supervisor1")
    await c2.send({"type": "request_supervisor", "conversation_id": conv})
    req = await sup.expect("supervisor_requested")
    assert req["conversation_id"] == conv and req["by_staff_id"] == c2.welcome["staff"]["id"]

    await c2.send({"type": "transfer", "conversation_id": conv, "to_staff_id": 99999})
    assert (await c2.expect("error"))["code"] == "transfer_target_unavailable"
    c1_id = c1.welcome["staff"]["id"]
    await c2.send({"type": "transfer", "conversation_id": conv, "to_staff_id": c1_id})
    assert (await c2.expect("transferred"))["to_staff_id"] == c1_id
    assert (await c1.expect("matched"))["transferred_from"] == c2.welcome["staff"]["id"]
    assert (await player.expect("matched"))["transferred"] is True

    await c1.send({"type": "refer", "conversation_id": conv, "organisation_id": "nobody"})
    assert (await c1.expect("error"))["code"] == "unknown_organisation"
    await c1.send({"type": "refer", "conversation_id": conv, "organisation_id": "partnerx"})
    assert (await player.expect("ended"))["outcome"] == "referred"
    referred = await player.expect("referred")
    assert referred["organisation"]["name"] == "Partner X"
    # Partner X has no counsellor on this server: a handover with its contact, never a wait.
    assert referred["handover"] is True
    assert referred["organisation"]["contact_url"] == "https://partner.example"
    hub = seeded_client.app[HUB]
    assert hub.core.request_for_session(player.welcome["session_id"]) is None
    async with seeded_client.app[DB].engine.connect() as c:
        orgs = (await c.execute(sa.text("SELECT organisation FROM help_request"))).scalars()
        assert "partnerx" not in list(orgs)
    for s in (c1, c2, sup):
        await s.close()


async def test_referral_to_a_partner_with_counsellors_here_queues_the_player(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """A partner that has a counsellor on this server gets the player in its own queue, which
    that counsellor sees with its language and organisation (and the home counsellor not)."""
    bundle = await published_offer(seeded_client)
    async with seeded_client.app[DB].engine.begin() as c:
        await c.execute(
            sa.text(
                "INSERT INTO partner_organisation (key, name, description, contact, url, "
                "languages, active, created_at) VALUES ('partnery', 'Partner Y', '', '', "
                "'https://y.example', '[\"en\"]', 1, CURRENT_TIMESTAMP)"
            )
        )
        c4 = (
            await c.execute(sa.text("SELECT id FROM staff_account WHERE username = 'counsellor2'"))
        ).scalar_one()
        await c.execute(
            sa.text(
                "INSERT INTO partner_membership (staff_id, partner_key) VALUES (:s, 'partnery')"
            ),
            {"s": c4},
        )
    partner = await connect_staff(seeded_client, "counsellor2")
    await set_away_all(partner)
    c1 = await connect_staff(seeded_client, "counsellor1")
    player = await connect_player(seeded_client)
    await player.send(consent_frame(bundle, kind="professional"))
    offer = await c1.expect("offer")
    await c1.send({"type": "accept", "offer_id": offer["offer_id"]})
    conv = (await c1.expect("matched"))["conversation_id"]
    await c1.send({"type": "refer", "conversation_id": conv, "organisation_id": "partnery"})
    referred = await player.expect("referred")
    assert referred["handover"] is False
    queued = await player.expect("queued")
    if queued["organisation"] is None:  # the first queued frame, never read so far
        queued = await player.expect("queued")
    assert queued["organisation"]["id"] == "partnery"
    while True:
        queue = await partner.expect("queue", timeout=5)
        if queue["total"] == 1:
            break
    (item,) = queue["items"]
    assert item["organisation"] == "partnery" and item["language"] == "en"
    hub = seeded_client.app[HUB]
    c1_id = c1.welcome["staff"]["id"]
    assert hub.queue_snapshots([c1_id], datetime.now(UTC))[c1_id]["total"] == 0
    await partner.close()
    await c1.close()


async def test_counsellor_sees_when_the_player_goes_and_returns(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """A counsellor is told when the player's game disconnects and when it is back."""
    bundle = await published_offer(seeded_client)
    staff = await connect_staff(seeded_client, "counsellor3")
    player = await connect_player(seeded_client)
    await player.send(consent_frame(bundle, kind="survivor", kind_required=True))
    offer = await staff.expect("offer")
    assert offer["player_online"] is True
    await staff.send({"type": "accept", "offer_id": offer["offer_id"]})
    conv = (await staff.expect("matched"))["conversation_id"]
    await player.ws.close()
    gone = await staff.expect("player_presence")
    assert gone == {"type": "player_presence", "conversation_id": conv, "online": False}
    await connect_player(seeded_client, player.token)
    back = await staff.expect("player_presence")
    assert back["online"] is True
    await staff.close()


async def test_staff_see_the_anonymous_queue(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """Staff get the queue (choices and waiting time only, nothing identifying) as it changes."""
    bundle = await published_offer(seeded_client)
    staff = await connect_staff(seeded_client, "counsellor2")
    await staff.send({"type": "status", "status": "away"})
    await staff.expect("status")
    player = await connect_player(seeded_client)
    await player.send(consent_frame(bundle, language="de", crisis=True))
    await player.expect("queued")
    while True:
        queue = await staff.expect("queue", timeout=5)
        if queue["total"] == 1:
            break
    (item,) = queue["items"]
    assert item["preferences"]["crisis"] is True and item["offered"] is False
    assert set(item) == {
        "request_id",
        "organisation",
        "language",
        "preferences",
        "waited_seconds",
        "offered",
        "player_online",
    }
    await staff.close()


async def test_a_counsellor_socket_that_stops_reading_is_dropped(
    aiohttp_client,
    seeded_settings,  # type: ignore[no-untyped-def]
) -> None:
    """A console that stops reading its socket is disconnected instead of stalling the
    player who keeps writing to it; the player's messages are all acknowledged."""
    import socket
    from datetime import UTC, datetime

    from server.app import create_app

    settings = seeded_settings.model_copy(update={"messages_per_second": 100_000.0})
    client = await aiohttp_client(create_app(settings))
    bundle = await published_offer(client)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        login = await http.post(
            client.make_url("/auth/login"),
            json={"username": "counsellor3", "password": "demo-counsellor3"},
        )
        cookie = login.cookies["crossroads_session"].value
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", client.port))
    raw.sendall(
        (
            f"GET /ws/staff HTTP/1.1\r\nHost: 127.0.0.1:{client.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            f"Cookie: crossroads_session={cookie}\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += await asyncio.to_thread(raw.recv, 1)
    assert head.startswith(b"HTTP/1.1 101")
    # From here on the "console" never reads again.
    hub = client.app[HUB]
    player = await connect_player(client)
    await player.send(consent_frame(bundle, kind="survivor", kind_required=True))
    await player.expect("queued")
    (offer,) = hub.core.offers.values()
    await hub.execute(hub.core.accept(offer.id, offer.counsellor_id, datetime.now(UTC)))
    await player.expect("matched")
    text = "x" * 4000
    for i in range(1500):
        await player.send({"type": "message", "client_id": f"m{i}", "text": text})
    acked = 0
    while acked < 1500:
        frame = await player.recv(timeout=10)
        acked += frame["type"] == "ack"
    for _ in range(50):
        if not hub.staff:
            break
        await asyncio.sleep(0.1)
    assert not hub.staff, "the stalled console is still connected"
    raw.close()


async def test_a_last_message_sent_with_the_end_still_reaches_the_player_live(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """A counsellor's closing words, sent together with "end", arrive before the player's end."""
    bundle = await published_offer(seeded_client)
    counsellor = await connect_staff(seeded_client, "counsellor1")
    player = await connect_player(seeded_client)
    await player.send(consent_frame(bundle, kind="professional"))
    offer = await counsellor.expect("offer")
    await counsellor.send({"type": "accept", "offer_id": offer["offer_id"]})
    conv = (await counsellor.expect("matched"))["conversation_id"]
    await player.expect("matched")
    # No waiting for the ack: the end is processed while the message is being committed.
    await counsellor.send(
        {
            "type": "message",
            "conversation_id": conv,
            "client_id": "last-words",
            "text": "Take care. The door stays open.",
        }
    )
    await counsellor.send({"type": "end", "conversation_id": conv, "outcome": "talked"})
    message = await player.expect("message")
    assert message["text"] == "Take care. The door stays open."
    assert (await player.expect("ended"))["outcome"] == "talked"
    await counsellor.close()


async def test_status_belongs_to_a_sign_in(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """A counsellor who went away is away again after reconnecting under the same sign-in,
    but a new sign-in starts available, as docs/PROTOCOL.md says."""
    from tests.integration.test_staff_authority import open_console

    first, cookie, _ = await open_console(seeded_client, "counsellor4")
    await first.send({"type": "status", "status": "away"})
    assert (await first.expect("status"))["status"] == "away"
    await first.ws.close()
    ws = await first.session.ws_connect(
        seeded_client.make_url("/ws/staff"), headers={"Cookie": f"crossroads_session={cookie}"}
    )
    again = Staff(ws, first.session)
    welcome = await again.expect("welcome")
    assert welcome["staff"]["status"] == "away"
    assert welcome["staff"]["signed_in_at"] == first.welcome["staff"]["signed_in_at"]
    await again.close()
    fresh = await connect_staff(seeded_client, "counsellor4")
    assert fresh.welcome["staff"]["status"] == "available"
    await fresh.close()


async def test_a_counsellor_picks_a_waiting_player_they_can_serve(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """An away counsellor takes a waiting player from the queue with ``pick``; a request
    they cannot serve (a language they do not speak) is refused as ``request_unavailable``."""
    bundle = await published_offer(seeded_client)
    c3 = await connect_staff(seeded_client, "counsellor3")  # survivor, English only
    await set_away_all(c3)
    german = await connect_player(seeded_client)
    await german.send(consent_frame(bundle, language="de"))
    de_request = (await german.expect("queued"))["request_id"]
    english = await connect_player(seeded_client)
    await english.send(consent_frame(bundle, language="en"))
    en_request = (await english.expect("queued"))["request_id"]
    await c3.send({"type": "pick", "request_id": de_request})
    error = await c3.expect("error")
    assert error["code"] == "request_unavailable" and error["ref"] == de_request
    await c3.send({"type": "pick", "request_id": en_request})
    matched = await c3.expect("matched")
    assert matched["request_id"] == en_request
    assert (await english.expect("matched"))["conversation_id"] == matched["conversation_id"]
    await c3.close()
