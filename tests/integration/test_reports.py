"""Reports through real sockets: the agreed objective, feedback, report rows and endpoints."""

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


async def _matched(client: TestClient, counsellor: str, **choices):  # type: ignore[type-arg]
    bundle = await published_offer(client)
    staff = await connect_staff(client, counsellor)
    player = await connect_player(client)
    await player.send(consent_frame(bundle, kind="survivor", kind_required=True, **choices))
    offer = await staff.expect("offer")
    await staff.send({"type": "accept", "offer_id": offer["offer_id"]})
    conv = (await player.expect("matched"))["conversation_id"]
    await staff.expect("matched")
    return staff, player, conv, offer


async def test_objective_from_preferences_is_agreed_revised_and_met(
    seeded_client: TestClient,
) -> None:  # type: ignore[type-arg]
    """The player's pick reaches the offer card and both chats; the counsellor accepts it, proposes
    a revision the player accepts, ends with it met, and the report row records all of it."""
    client = seeded_client
    staff, player, conv, offer = await _matched(
        client, "counsellor3", objective="leave_group", objective_note="my cousin's group"
    )
    assert offer["preferences"]["objective"] == "leave_group"
    assert offer["preferences"]["objective_note"] == "my cousin's group"
    first = await staff.expect("objective")
    assert (first["by"], first["state"], first["objective"]) == (
        "player",
        "proposed",
        "leave_group",
    )
    assert (await player.expect("objective"))["proposal_id"] == first["proposal_id"]

    # The player cannot accept their own proposal.
    await player.send(
        {"type": "objective_answer", "proposal_id": first["proposal_id"], "accept": True}
    )
    assert (await player.expect("error"))["code"] == "own_proposal"

    await staff.send(
        {
            "type": "objective_answer",
            "conversation_id": conv,
            "proposal_id": first["proposal_id"],
            "accept": True,
        }
    )
    assert (await player.expect("objective"))["state"] == "agreed"
    assert (await staff.expect("objective"))["state"] == "agreed"

    await staff.send(
        {
            "type": "objective_propose",
            "conversation_id": conv,
            "objective": "understand",
            "note": "first, what happened",
        }
    )
    revised = await player.expect("objective")
    await staff.expect("objective")
    assert (revised["by"], revised["objective"], revised["note"]) == (
        "counsellor",
        "understand",
        "first, what happened",
    )
    await player.send(
        {"type": "objective_answer", "proposal_id": revised["proposal_id"], "accept": True}
    )
    assert (await staff.expect("objective"))["state"] == "agreed"

    await staff.send(
        {"type": "message", "conversation_id": conv, "client_id": "c1", "text": "hello"}
    )
    await player.expect("message")
    await player.send({"type": "message", "client_id": "p1", "text": "hi"})
    await staff.expect("message")
    await staff.send(
        {"type": "end", "conversation_id": conv, "outcome": "talked", "objective_met": True}
    )
    await player.expect("ended")

    await player.send({"type": "feedback", "conversation_id": conv, "helped": True})
    assert (await player.expect("feedback_recorded"))["conversation_id"] == conv
    await player.send({"type": "feedback", "conversation_id": conv, "helped": False})
    assert (await player.expect("error"))["code"] == "already_answered"

    async with client.app[DB].engine.connect() as c:
        row = (await c.execute(sa.text("SELECT * FROM report_request"))).mappings().one()
        steps = (
            await c.execute(
                sa.text("SELECT proposed_by, state, answered_at FROM objective_step ORDER BY id")
            )
        ).all()
        offers = (await c.execute(sa.text("SELECT kind, result FROM report_offer"))).all()
    assert row["kind"] == "survivor" and row["matched"] and row["completed"]
    assert (row["messages"], row["counsellor_messages"], row["answered"]) == (2, 1, 1)
    assert row["objective"] == "understand" and row["objective_agreed"] and row["objective_met"]
    assert row["helped"] is True or row["helped"] == 1
    assert row["first_reply_seconds"] is not None
    assert [(s[0], s[1]) for s in steps] == [("player", "agreed"), ("counsellor", "met")]
    assert all(s[2] is not None for s in steps)
    assert offers == [("survivor", "accepted")]
    assert "session_id" not in row and "note" not in row
    await staff.close()


async def test_objective_frames_are_checked_at_the_edge(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """An unknown objective, a note over 140 characters, a colleague's conversation and feedback
    on a live chat each get a specific error and break nothing."""
    client = seeded_client
    staff, player, conv, _ = await _matched(client, "counsellor3")
    await player.send({"type": "objective_propose", "objective": "world_peace"})
    assert (await player.expect("error"))["code"] == "invalid_field"
    await player.send({"type": "objective_propose", "objective": "other", "note": "x" * 141})
    assert (await player.expect("error"))["code"] == "invalid_field"
    await player.send({"type": "feedback", "conversation_id": conv, "helped": True})
    assert (await player.expect("error"))["code"] == "invalid_state"
    colleague = await connect_staff(client, "counsellor1")
    await colleague.send(
        {"type": "objective_propose", "conversation_id": conv, "objective": "talk"}
    )
    assert (await colleague.expect("error"))["code"] == "not_your_conversation"
    await player.send({"type": "objective_propose", "objective": "talk"})
    assert (await staff.expect("objective"))["objective"] == "talk"
    await staff.close()
    await colleague.close()


async def test_report_endpoints_enforce_roles(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """Supervisors and board members get everyone's figures; a counsellor gets only their own;
    an author is refused; a bad range is a 400 with a specific code."""
    client = seeded_client
    staff, player, conv, _ = await _matched(client, "counsellor3")
    await staff.send({"type": "end", "conversation_id": conv, "outcome": "talked"})
    await player.expect("ended")
    await staff.close()

    await staff_login(client, "supervisor1")
    resp = await client.get("/reports/api")
    assert resp.status == 200
    doc = await resp.json()
    assert doc["format"] == "crossroads-report" and doc["version"] == 1
    assert doc["measures"]["conversations"]["values"][-1][-1] is None  # one conversation: hidden
    page = await client.get("/reports")
    assert page.status == 200
    assert "Conversations delivered" in await page.text()
    bad = await client.get("/reports/api?from=2026-12-10&to=2026-12-01")
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid_range"
    for edge in ("to=9999-12-31", "to=0001-01-01", "from=9999-12-31"):
        bad = await client.get(f"/reports/api?{edge}")
        assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid_date", edge
    await client.post("/logout", data={})

    client.session.cookie_jar.clear()
    await staff_login(client, "counsellor1")
    own = await (await client.get("/reports/api")).json()
    assert own["programme"] == "own figures"
    # counsellor3's offer is in the supervisor's figures (hidden as a small count) but not here.
    assert doc["measures"]["offers_made"]["values"][-1][-1] is None
    assert own["measures"]["offers_made"]["values"][-1][-1] == 0
    client.session.cookie_jar.clear()
    await staff_login(client, "author1")
    assert (await client.get("/reports/api")).status == 403


async def test_objective_survives_a_reconnect_and_goes_with_erasure(
    seeded_client: TestClient,
) -> None:  # type: ignore[type-arg]
    """A resuming console gets the agreed objective and the open proposal again; a stranger's
    feedback on the conversation is refused; the player's erasure deletes every objective step
    (their note included) but leaves the anonymous report counts."""
    client = seeded_client
    staff, player, conv, _ = await _matched(
        client, "counsellor3", objective="help_friend", objective_note="my brother"
    )
    first = await staff.expect("objective")
    await staff.send(
        {
            "type": "objective_answer",
            "conversation_id": conv,
            "proposal_id": first["proposal_id"],
            "accept": True,
        }
    )
    await staff.expect("objective")
    await player.send({"type": "objective_propose", "objective": "talk"})
    await staff.expect("objective")
    await staff.close()

    again = await connect_staff(client, "counsellor3")
    await again.send({"type": "resume", "conversation_id": conv, "last_seq": 0})
    agreed = await again.expect("objective")
    open_ = await again.expect("objective")
    assert (agreed["state"], agreed["note"]) == ("agreed", "my brother")
    assert (open_["state"], open_["objective"]) == ("proposed", "talk")

    stranger = await connect_player(client)
    await stranger.send({"type": "feedback", "conversation_id": conv, "helped": False})
    assert (await stranger.expect("error"))["code"] == "unknown_conversation"

    await again.send({"type": "end", "conversation_id": conv, "outcome": "talked"})
    await player.expect("ended")
    await player.send({"type": "erase"})
    await player.expect("erased")
    async with client.app[DB].engine.connect() as c:
        steps = (await c.execute(sa.text("SELECT COUNT(*) FROM objective_step"))).scalar()
        reports = (await c.execute(sa.text("SELECT COUNT(*) FROM report_request"))).scalar()
    assert steps == 0 and reports == 1
    await again.close()
