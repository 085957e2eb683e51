"""A counsellor's past conversations: listed after they end, searchable over their own text
only, and every search that shows text is audited like a transcript read."""

from __future__ import annotations

import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from server.app import DB
from tests.conftest import staff_login
from tests.integration.test_handoff_support import (
    connect_player,
    connect_staff,
    consent_frame,
    published_offer,
)


async def test_past_conversations_and_search(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """An ended chat stays in the counsellor's history; a search finds it by a word the
    player wrote (with a snippet) and is audited; a colleague neither lists nor finds it."""
    bundle = await published_offer(seeded_client)
    staff = await connect_staff(seeded_client, "counsellor3")
    player = await connect_player(seeded_client)
    await player.send(consent_frame(bundle, kind="survivor", kind_required=True))
    offer = await staff.expect("offer")
    await staff.send({"type": "accept", "offer_id": offer["offer_id"]})
    conv = (await staff.expect("matched"))["conversation_id"]
    await player.send(
        {"type": "message", "client_id": "m1", "text": "I keep thinking about Apples"}
    )
    await player.expect("ack")
    await staff.send({"type": "end", "conversation_id": conv, "outcome": "talked"})
    await staff.expect("ended")
    await staff.close()

    await staff_login(seeded_client, "counsellor3")
    listed = await (await seeded_client.get("/console/api/history")).json()
    assert [c["conversation_id"] for c in listed["conversations"]] == [conv]
    assert listed["conversations"][0]["messages"] == 1
    assert listed["conversations"][0]["outcome"] == "talked"
    found = await (await seeded_client.get("/console/api/history", params={"q": "apples"})).json()
    (hit,) = found["conversations"]
    assert hit["conversation_id"] == conv and "Apples" in hit["snippet"]
    none = await (await seeded_client.get("/console/api/history", params={"q": "pears"})).json()
    assert none["conversations"] == []
    async with seeded_client.app[DB].engine.connect() as c:
        reads = (
            await c.execute(
                sa.text("SELECT target, ip FROM audit_log WHERE action = 'transcript_read'")
            )
        ).all()
    assert [tuple(r) for r in reads] == [(conv, "127.0.0.1")]

    seeded_client.session.cookie_jar.clear()
    await staff_login(seeded_client, "counsellor1")
    other = await (await seeded_client.get("/console/api/history", params={"q": "apples"})).json()
    assert other["conversations"] == []
    assert (await (await seeded_client.get("/console/api/history")).json())["conversations"] == []
    bad = await seeded_client.get("/console/api/history", params={"before": "soon"})
    assert bad.status == 400
