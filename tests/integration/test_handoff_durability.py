"""Durable chat: idempotent retries, resume without gaps or duplicates, grace and re-queue,
erasure, and restore after a restart."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from server.app import DB
from server.gateways.common import HUB
from tests.integration.test_handoff_support import (
    Player,
    Staff,
    connect_player,
    connect_staff,
    consent_frame,
    published_offer,
)

KINDS = {"counsellor1": "professional", "counsellor2": "former", "counsellor3": "survivor"}


async def matched_pair(
    client: TestClient,  # type: ignore[type-arg]
    username: str = "counsellor3",
    *,
    required: bool = True,
) -> tuple[Player, Staff, str]:
    """A player matched with ``username``, both sockets open."""
    bundle = await published_offer(client)
    staff = await connect_staff(client, username)
    player = await connect_player(client)
    await player.send(consent_frame(bundle, kind=KINDS[username], kind_required=required))
    offer = await staff.expect("offer")
    await staff.send({"type": "accept", "offer_id": offer["offer_id"]})
    conv = (await player.expect("matched"))["conversation_id"]
    await staff.expect("matched")
    return player, staff, conv


async def test_retry_with_same_client_id_is_stored_once(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """Resending a message (lost ack) returns the same seq and the counsellor sees it once."""
    player, staff, conv = await matched_pair(seeded_client)
    await player.send({"type": "message", "client_id": "same", "text": "only once"})
    first = await player.expect("ack")
    await player.send({"type": "message", "client_id": "same", "text": "only once"})
    second = await player.expect("ack")
    assert first["seq"] == second["seq"] == 1
    await player.send({"type": "message", "client_id": "next", "text": "second"})
    await player.expect("ack")
    got = [await staff.expect("message"), await staff.expect("message")]
    assert [m["text"] for m in got] == ["only once", "second"]
    await staff.close()


async def test_resume_sends_exactly_the_missed_messages(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """A player who reconnects gets every message after its last seq, once, in order."""
    player, staff, conv = await matched_pair(seeded_client)
    for i in range(3):
        await staff.send(
            {"type": "message", "conversation_id": conv, "client_id": f"a{i}", "text": f"m{i}"}
        )
        await staff.expect("ack")
    assert (await player.expect("message"))["seq"] == 1
    token = player.token
    await player.ws.close()
    for i in range(3, 6):
        await staff.send(
            {"type": "message", "conversation_id": conv, "client_id": f"a{i}", "text": f"m{i}"}
        )
        await staff.expect("ack")
    again = await connect_player(seeded_client, token)
    state = again.welcome["state"]
    assert state["phase"] == "conversation" and state["last_seq"] == 6
    await again.send({"type": "resume", "conversation_id": conv, "last_seq": 1})
    seqs = []
    while True:
        frame = await again.recv()
        if frame["type"] == "resumed":
            break
        seqs.append(frame["seq"])
    assert seqs == [2, 3, 4, 5, 6] and frame["last_seq"] == 6
    # A live message after the replay arrives once.
    await staff.send({"type": "message", "conversation_id": conv, "client_id": "z", "text": "new"})
    assert (await again.expect("message"))["seq"] == 7
    await again.send({"type": "resume", "conversation_id": conv, "last_seq": 7})
    assert (await again.expect("resumed"))["last_seq"] == 7
    await staff.close()


async def test_resume_of_someone_elses_conversation_is_refused(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """A player cannot read another player's conversation by guessing its id."""
    _, staff, conv = await matched_pair(seeded_client)
    stranger = await connect_player(seeded_client)
    await stranger.send({"type": "resume", "conversation_id": conv, "last_seq": 0})
    assert (await stranger.expect("error"))["code"] == "unknown_conversation"
    await staff.close()


async def test_dropped_counsellor_grace_then_requeue_front(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """When the counsellor's socket drops the player is told, and after the grace period is
    re-queued at the front and matched with another counsellor who sees the history."""
    hub = seeded_client.app[HUB]
    hub.core.grace = __import__("datetime").timedelta(seconds=0.5)
    player, staff, conv = await matched_pair(seeded_client, "counsellor2", required=False)
    await player.send({"type": "message", "client_id": "before", "text": "are you there"})
    await player.expect("ack")
    await staff.close()
    lost = await player.expect("counsellor_lost")
    assert lost["conversation_id"] == conv
    queued = await player.expect("queued", timeout=5)
    if not queued["requeued"]:  # the original queued frame, never read so far
        queued = await player.expect("queued", timeout=5)
    assert queued["requeued"] is True and queued["position"] == 1
    other = await connect_staff(seeded_client, "counsellor1")
    offer = await other.expect("offer")
    await other.send({"type": "accept", "offer_id": offer["offer_id"]})
    matched = await player.expect("matched")
    assert matched["conversation_id"] == conv
    await other.send({"type": "resume", "conversation_id": conv, "last_seq": 0})
    history = await other.expect("message")
    assert history["text"] == "are you there"
    await other.close()


async def test_counsellor_back_within_grace(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """A counsellor who reconnects quickly keeps the conversation; the player hears so."""
    player, staff, conv = await matched_pair(seeded_client)
    await staff.close()
    await player.expect("counsellor_lost")
    staff = await connect_staff(seeded_client, "counsellor3")
    assert [c["conversation_id"] for c in staff.welcome["conversations"]] == [conv]
    await player.expect("counsellor_back")
    await staff.close()


async def test_offer_expires_and_goes_to_next_counsellor(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """An unanswered offer expires, that counsellor is set away, and a colleague gets it."""
    hub = seeded_client.app[HUB]
    hub.core.offer_timeout = __import__("datetime").timedelta(seconds=0.3)
    bundle = await published_offer(seeded_client)
    c3 = await connect_staff(seeded_client, "counsellor3")
    player = await connect_player(seeded_client)
    await player.send(consent_frame(bundle, language="en", gender="female", age_band="41+"))
    first = await c3.expect("offer")
    c1 = await connect_staff(seeded_client, "counsellor1")
    expired = await c3.expect("offer_expired")
    assert expired == {"type": "offer_expired", "offer_id": first["offer_id"], "reason": "expired"}
    assert (await c3.expect("status"))["status"] == "away"
    second = await c1.expect("offer")
    assert second["request_id"] == first["request_id"]
    await c1.close()
    await c3.close()


async def test_erase_deletes_everything_tied_to_the_token(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """Erasure deletes messages, consent, requests and notes about the conversation; the
    counsellor sees the chat end."""
    player, staff, conv = await matched_pair(seeded_client)
    await player.send({"type": "message", "client_id": "x", "text": "forget me"})
    await player.expect("ack")
    async with seeded_client.app[DB].engine.begin() as c:  # a counsellor's private note
        await c.execute(
            sa.text(
                "INSERT INTO conversation_note (conversation_id, staff_id, body_encrypted, "
                "created_at) VALUES (:c, :s, :b, CURRENT_TIMESTAMP)"
            ),
            {"c": conv, "s": staff.welcome["staff"]["id"], "b": b"x"},
        )
    await player.send({"type": "erase"})
    await player.expect("erased")
    assert await player.closed() == 4010
    assert (await staff.expect("ended"))["outcome"] == "erased"
    async with seeded_client.app[DB].engine.connect() as c:
        for table in (
            "chat_message",
            "consent_record",
            "help_request",
            "conversation",
            "conversation_note",
        ):
            n = (await c.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar()
            assert n == 0, table
    await staff.close()


async def test_http_erasure_with_bearer_token(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """DELETE /api/v1/sessions/me with the token erases; the token stops working."""
    bundle = await published_offer(seeded_client)
    player = await connect_player(seeded_client)
    await player.send(consent_frame(bundle))
    await player.expect("queued")
    resp = await seeded_client.delete(
        "/api/v1/sessions/me", headers={"Authorization": f"Bearer {player.token}"}
    )
    assert resp.status == 200, await resp.text()
    erased = (await resp.json())["erased"]
    assert erased["consent_records"] == 1 and erased["requests"] == 1
    resp = await seeded_client.delete(
        "/api/v1/sessions/me", headers={"Authorization": f"Bearer {player.token}"}
    )
    assert resp.status == 401


async def test_restart_restores_queue_and_conversation(
    aiohttp_client,
    seeded_settings,  # type: ignore[no-untyped-def]
) -> None:
    """After a restart the waiting player keeps their place and the live conversation resumes."""
    from server.app import create_app

    client = await aiohttp_client(create_app(seeded_settings))
    player, staff, conv = await matched_pair(client)
    await player.send({"type": "message", "client_id": "k", "text": "kept"})
    await player.expect("ack")
    bundle = await published_offer(client)
    waiting = await connect_player(client)
    await waiting.send(consent_frame(bundle, language="de", kind="former", kind_required=True))
    req_id = (await waiting.expect("queued"))["request_id"]
    await staff.close()
    await client.close()

    client = await aiohttp_client(create_app(seeded_settings))
    again = await connect_player(client, waiting.token)
    assert again.welcome["state"]["request_id"] == req_id
    back = await connect_player(client, player.token)
    assert back.welcome["state"]["conversation_id"] == conv
    staff = await connect_staff(client, "counsellor3")
    assert [c["conversation_id"] for c in staff.welcome["conversations"]] == [conv]
    await staff.send({"type": "resume", "conversation_id": conv, "last_seq": 0})
    assert (await staff.expect("message"))["text"] == "kept"
    await staff.close()
    await asyncio.sleep(0)


async def test_shutdown_closes_sockets_with_going_away(
    aiohttp_client,
    seeded_settings,  # type: ignore[no-untyped-def]
) -> None:
    """When the server shuts down, clients see close 1001 and know to reconnect."""
    from server.app import create_app

    client = await aiohttp_client(create_app(seeded_settings))
    player = await connect_player(client)
    closing = asyncio.create_task(player.closed(timeout=10))
    await client.server.close()
    assert await closing == 1001


async def test_health_turns_degraded_while_chat_writes_fail_and_recovers(
    seeded_client: TestClient,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While messages cannot be stored (here: the writer process fails every batch), the
    player is told to retry and /healthz says 503 with the reason; once writes work again
    the retry is stored and health is back to 200."""
    from server.chat.sqlite_writer import WriterError, WriterProcess

    player, staff, _conv = await matched_pair(seeded_client)
    real_call = WriterProcess.call

    async def broken(self: WriterProcess, op: str, arg: object) -> object:
        if op == "insert":
            raise WriterError("disk I/O error")
        return await real_call(self, op, arg)

    monkeypatch.setattr(WriterProcess, "call", broken)
    await player.send({"type": "message", "client_id": "m1", "text": "are you there?"})
    refused = await player.expect("error")
    assert refused["ref"] == "m1" and "retry" in refused["message"]
    health = await seeded_client.get("/healthz")
    assert health.status == 503
    body = await health.json()
    assert body["status"] == "degraded" and "disk I/O error" in body["chat_writer"]

    monkeypatch.setattr(WriterProcess, "call", real_call)
    await player.send({"type": "message", "client_id": "m1", "text": "are you there?"})
    assert (await player.expect("ack"))["seq"] == 1
    assert (await staff.expect("message"))["text"] == "are you there?"
    health = await seeded_client.get("/healthz")
    assert health.status == 200 and (await health.json())["chat_writer"] == "ok"
    await staff.close()
