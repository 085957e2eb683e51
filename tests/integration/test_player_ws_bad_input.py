"""Bad input on the player socket: each gets its specific error or close code, and a
neighbouring connection is unaffected."""

from __future__ import annotations

import msgpack
import pytest
from aiohttp.test_utils import TestClient

from tests.integration.test_handoff_support import (
    Player,
    connect_player,
    connect_staff,
    consent_frame,
    published_offer,
)


async def neighbour_still_fine(client: TestClient, neighbour: Player) -> None:  # type: ignore[type-arg]
    """The neighbour can still use its socket normally."""
    await neighbour.send({"type": "leave_queue"})
    err = await neighbour.expect("error")
    assert err["code"] == "not_queued"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\xc1\x00garbage", "bad_frame"),
        (msgpack.packb([1, 2, 3]), "bad_frame"),
        (msgpack.packb({"type": "launch"}), "unknown_type"),
        (msgpack.packb({"type": "message", "client_id": 5, "text": "x"}), "invalid_field"),
        (msgpack.packb({"type": "message", "text": "x"}), "missing_field"),
        (msgpack.packb({"type": "message", "client_id": "a", "text": "x" * 4001}), "text_too_long"),
        (b"\x81\xa4type\xa7message", None),  # valid map, replaced below
        (b"\x82\xa4type\xa7message\xa4text\xa2\xff\xfe", "invalid_utf8"),
        (
            msgpack.packb({"type": "message", "client_id": "a", "text": "early"}),
            "not_in_conversation",
        ),
        (msgpack.packb({"type": "consent", "bundle_hash": "ab" * 32}), "missing_field"),
    ],
)
async def test_bad_frames_get_error_codes(
    seeded_client: TestClient,
    payload: bytes,
    code: str | None,  # type: ignore[type-arg]
) -> None:
    """Malformed, unknown, mistyped, incomplete, too long, invalid UTF-8 and out-of-order
    frames each get their own error code and the socket stays usable."""
    if code is None:
        payload, code = msgpack.packb({"type": "typing", "on": "yes"}), "invalid_field"
    neighbour = await connect_player(seeded_client)
    player = await connect_player(seeded_client)
    await player.ws.send_bytes(payload)
    err = await player.expect("error")
    assert err["code"] == code, err
    await neighbour_still_fine(seeded_client, neighbour)
    await neighbour_still_fine(seeded_client, player)


async def test_oversized_frame_closes_with_1009(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """A frame over 16 KiB closes that socket with 1009; the neighbour goes on."""
    neighbour = await connect_player(seeded_client)
    player = await connect_player(seeded_client)
    await player.ws.send_bytes(msgpack.packb({"type": "message", "text": "x" * 20000}))
    assert await player.closed() == 1009
    await neighbour_still_fine(seeded_client, neighbour)


async def test_text_frame_on_player_socket_closes_1003(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """A JSON text frame on the msgpack socket is unsupported data (1003)."""
    player = await connect_player(seeded_client)
    await player.ws.send_str('{"type": "leave_queue"}')
    assert await player.closed() == 1003


async def test_first_frame_must_be_hello(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """Talking before hello gets hello_required and close 4009."""
    player = await connect_player(seeded_client, hello=False)
    await player.send({"type": "leave_queue"})
    assert (await player.expect("error"))["code"] == "hello_required"
    assert await player.closed() == 4009


async def test_bad_token_and_version(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """An unknown token closes with 4001; a wrong protocol version with 4005."""
    player = await connect_player(seeded_client, hello=False)
    await player.send({"type": "hello", "v": 1, "token": "not-a-real-token"})
    assert (await player.expect("error"))["code"] == "unauthenticated"
    assert await player.closed() == 4001
    player = await connect_player(seeded_client, hello=False)
    await player.send({"type": "hello", "v": 2, "token": "x"})
    assert (await player.expect("error"))["code"] == "unsupported_version"
    assert await player.closed() == 4005


async def test_too_many_connections_per_token(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """A fourth socket for one token is refused with 4030; the first three keep working."""
    first = await connect_player(seeded_client)
    for _ in range(2):
        await connect_player(seeded_client, first.token)
    extra = await connect_player(seeded_client, first.token, hello=False)
    await extra.send({"type": "hello", "v": 1, "token": first.token})
    assert (await extra.expect("error"))["code"] == "too_many_connections"
    assert await extra.closed() == 4030
    await neighbour_still_fine(seeded_client, first)


async def test_flood_is_rate_limited_then_closed(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """Over 10 frames a second are dropped with rate_limited; a sustained flood closes 4029."""
    neighbour = await connect_player(seeded_client)
    player = await connect_player(seeded_client)
    for i in range(200):
        if player.ws.closed:  # the server may close before the flood is over
            break
        await player.send({"type": "typing", "on": bool(i % 2)})
    close = await player.closed()
    codes = [f.get("code") for f in player.backlog if f["type"] == "error"]
    assert "rate_limited" in codes
    assert close == 4029
    await neighbour_still_fine(seeded_client, neighbour)


async def test_foreign_origin_refused_before_upgrade(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """A browser page from another site cannot open the player socket (HTTP 403)."""
    resp = await seeded_client.get(
        "/ws/player",
        headers={
            "Origin": "https://evil.example",
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "origin_not_allowed"
    ok = await seeded_client.ws_connect("/ws/player", headers={"Origin": "http://127.0.0.1:8080"})
    await ok.close()


async def test_consent_checks(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """Consent must be an explicit yes for a published offer, and only once at a time."""
    bundle = await published_offer(seeded_client)
    player = await connect_player(seeded_client)
    await player.send({**consent_frame(bundle), "consent": False})
    assert (await player.expect("error"))["code"] == "consent_required"
    await player.send({**consent_frame(bundle), "offer_version": 99})
    assert (await player.expect("error"))["code"] == "unknown_offer"
    await player.send({**consent_frame(bundle), "bundle_hash": "0" * 64})
    assert (await player.expect("error"))["code"] == "unknown_offer"
    await player.send(consent_frame(bundle, kind_required=True))
    assert (await player.expect("error"))["code"] == "invalid_field"
    await player.send(consent_frame(bundle))
    await player.expect("queued")
    await player.send(consent_frame(bundle))
    assert (await player.expect("error"))["code"] == "already_queued"
    await player.send({"type": "leave_queue"})
    await player.expect("left")


async def test_accept_by_wrong_counsellor(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """A counsellor cannot accept an offer made to a colleague; the offer stays valid."""
    bundle = await published_offer(seeded_client)
    c3 = await connect_staff(seeded_client, "counsellor3")
    c2 = await connect_staff(seeded_client, "counsellor2")
    player = await connect_player(seeded_client)
    await player.send(consent_frame(bundle, kind="survivor", kind_required=True))
    offer = await c3.expect("offer")
    await c2.send({"type": "accept", "offer_id": offer["offer_id"]})
    err = await c2.expect("error")
    assert err["code"] == "not_your_offer" and err["ref"] == offer["offer_id"]
    await c3.send({"type": "accept", "offer_id": offer["offer_id"]})
    await player.expect("matched")
    await c2.close()
    await c3.close()


async def test_silent_socket_is_closed_after_the_hello_timeout(
    seeded_client: TestClient,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A socket that never says hello is closed with 4008."""
    import server.gateways.player as player_gateway

    monkeypatch.setattr(player_gateway, "HELLO_TIMEOUT", 0.2)
    silent = await connect_player(seeded_client, hello=False)
    assert await silent.closed() == 4008


async def test_choices_nobody_here_can_serve_are_refused_at_consent(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """A language no counsellor of this service speaks is answered ``no_counsellor`` at once
    (nothing queued), instead of a wait in a queue nobody serves."""
    from server.gateways.common import HUB
    from tests.integration.test_handoff_support import (
        connect_player,
        consent_frame,
        published_offer,
    )

    bundle = await published_offer(seeded_client)
    player = await connect_player(seeded_client)
    await player.send(consent_frame(bundle, language="tr"))
    error = await player.expect("error")
    assert error["code"] == "no_counsellor" and "language" in error["message"]
    assert seeded_client.app[HUB].core.request_for_session(player.welcome["session_id"]) is None
    await player.send(consent_frame(bundle, language="en"))
    assert (await player.expect("queued"))["position"] == 1
