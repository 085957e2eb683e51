"""The handoff through real websockets: consent, queue, match, chat both ways, end."""

from __future__ import annotations

import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from server.app import DB
from tests.integration.test_handoff_support import (
    connect_player,
    connect_staff,
    consent_frame,
    published_offer,
)


async def test_skeleton_flow_consent_queue_match_chat_end(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """A consenting player is matched with a counsellor, both exchange messages, and one ends."""
    client = seeded_client
    bundle = await published_offer(client)
    counsellor = await connect_staff(client, "counsellor3")
    player = await connect_player(client)
    assert player.welcome["state"]["phase"] == "idle"
    assert player.service["open"] is True

    await player.send(consent_frame(bundle, language="en", kind="survivor", kind_required=True))
    queued = await player.expect("queued")
    assert queued["position"] == 1

    offer = await counsellor.expect("offer")
    assert offer["preferences"]["kind"] == "survivor"
    await counsellor.send({"type": "accept", "offer_id": offer["offer_id"]})
    matched = await player.expect("matched")
    assert matched["counsellor"]["kind"] == "survivor"
    conv = matched["conversation_id"]
    assert (await counsellor.expect("matched"))["conversation_id"] == conv

    for i in range(2):
        await player.send({"type": "message", "client_id": f"p{i}", "text": f"hello {i}"})
        ack = await player.expect("ack")
        got = await counsellor.expect("message")
        assert got["text"] == f"hello {i}" and got["seq"] == ack["seq"]
        assert got["sender"] == "player"
        await counsellor.send(
            {"type": "message", "conversation_id": conv, "client_id": f"c{i}", "text": f"hi {i}"}
        )
        await counsellor.expect("ack")
        reply = await player.expect("message")
        assert reply["text"] == f"hi {i}" and reply["sender"] == "counsellor"
    await counsellor.send({"type": "end", "conversation_id": conv, "outcome": "talked"})
    ended = await player.expect("ended")
    assert ended["outcome"] == "talked" and ended["by"] == "counsellor"
    await counsellor.expect("ended")

    async with client.app[DB].engine.connect() as c:
        seqs = (await c.execute(sa.text("SELECT seq, body FROM chat_message ORDER BY seq"))).all()
        consents = (await c.execute(sa.text("SELECT * FROM consent_record"))).mappings().all()
    assert [s for s, _ in seqs] == [1, 2, 3, 4]
    assert all(b"hello" not in body and b"hi " not in body for _, body in seqs)
    assert len(consents) == 1
    assert set(consents[0]) == {
        "id",
        "session_id",
        "at",
        "bundle_hash",
        "offer_id",
        "offer_version",
        "choices",
    }
    await counsellor.close()


async def test_typing_and_read_marks_are_relayed_not_stored(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """Typing indicators and read marks reach the other side and leave no trace on disk."""
    client = seeded_client
    bundle = await published_offer(client)
    counsellor = await connect_staff(client, "counsellor3")
    player = await connect_player(client)
    await player.send(consent_frame(bundle, kind="survivor", kind_required=True))
    offer = await counsellor.expect("offer")
    await counsellor.send({"type": "accept", "offer_id": offer["offer_id"]})
    conv = (await player.expect("matched"))["conversation_id"]
    await player.send({"type": "typing", "on": True})
    assert await counsellor.expect("typing") == {
        "type": "typing",
        "conversation_id": conv,
        "on": True,
    }
    await counsellor.send({"type": "typing", "conversation_id": conv, "on": True})
    assert (await player.expect("typing"))["on"] is True
    await counsellor.send(
        {"type": "message", "conversation_id": conv, "client_id": "c1", "text": "hello"}
    )
    seq = (await player.expect("message"))["seq"]
    await player.send({"type": "read", "seq": seq})
    assert (await counsellor.expect("read"))["seq"] == seq
    await player.send({"type": "end"})
    ended = await counsellor.expect("ended")
    assert ended["by"] == "player" and ended["outcome"] == "player_ended"
    await player.send({"type": "typing", "on": True})
    assert (await player.expect("error"))["code"] == "not_in_conversation"
    async with client.app[DB].engine.connect() as c:
        stored = (await c.execute(sa.text("SELECT count(*) FROM chat_message"))).scalar()
    assert stored == 1
    await counsellor.close()
