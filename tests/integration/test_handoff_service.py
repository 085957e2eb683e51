"""Service hours and bookings: closed means hours and slots, a booking enters the queue at
the front when its slot starts; wait estimates are honest."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from server.app import DB
from server.gateways.common import HUB
from tests.conftest import staff_login
from tests.integration.test_handoff_support import (
    connect_player,
    connect_staff,
    consent_frame,
    published_offer,
)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


async def close_today(client: TestClient) -> None:  # type: ignore[type-arg]
    other = DAYS[(datetime.now(UTC).weekday() + 3) % 7]
    async with client.app[DB].engine.begin() as c:
        await c.execute(
            sa.text("UPDATE organisation SET service_hours = :h, timezone = 'UTC'"),
            {"h": json.dumps({other: [["09:00", "17:00"]]})},
        )
    client.app[HUB].service.invalidate()


async def test_closed_service_offers_booking_then_queue_at_slot(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """Outside hours a chat request is refused with the hours and slots; a booked slot
    enters the queue at the front when it starts."""
    await close_today(seeded_client)
    bundle = await published_offer(seeded_client)
    early = await connect_player(seeded_client)
    assert early.service["open"] is False and early.service["slots"]
    await early.send(consent_frame(bundle))
    assert (await early.expect("error"))["code"] == "service_closed"
    service = await early.expect("service")
    slot = service["slots"][0]
    await early.send(
        {**consent_frame(bundle, format="booking"), "slot": "2020-01-01T00:00:00+00:00"}
    )
    assert (await early.expect("error"))["code"] == "slot_unavailable"
    await early.send({**consent_frame(bundle, format="booking"), "slot": slot})
    booked = await early.expect("booked")
    assert booked["slot"] == slot

    again = await connect_player(seeded_client, early.token)
    assert again.welcome["state"]["phase"] == "booked"

    # A crisis request goes through even when closed if a counsellor is connected.
    staff = await connect_staff(seeded_client, "counsellor1")
    await staff.send({"type": "status", "status": "away"})
    await staff.expect("status")
    crisis = await connect_player(seeded_client)
    await crisis.send(consent_frame(bundle, crisis=True))
    assert (await crisis.expect("queued"))["position"] == 1

    # The slot starts: the booking enters the queue ahead of the normal queue.
    async with seeded_client.app[DB].engine.begin() as c:
        await c.execute(
            sa.text("UPDATE booking SET slot_at = :t"),
            {"t": (datetime.now(UTC) - timedelta(minutes=1)).replace(tzinfo=None)},
        )
    hub = seeded_client.app[HUB]
    assert await hub.enqueue_due_bookings(datetime.now(UTC)) == 1
    queued = await again.expect("queued")
    assert queued["position"] == 2  # only the crisis request is ahead
    waiting = hub.core.waiting()
    assert [r.session_id for r in waiting][0] != again.welcome["session_id"]  # crisis first
    assert waiting[1].session_id == again.welcome["session_id"]
    await staff.close()


async def test_wait_estimate_is_unknown_without_basis(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """With nobody on shift and no history, the player is told the wait is unknown."""
    bundle = await published_offer(seeded_client)
    player = await connect_player(seeded_client)
    await player.send(consent_frame(bundle, language="de"))
    queued = await player.expect("queued")
    assert queued["estimate_seconds"] is None


async def test_leave_queue_and_queue_updates(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """A player behind someone moves up when the first leaves, and is told so."""
    bundle = await published_offer(seeded_client)
    first = await connect_player(seeded_client)
    second = await connect_player(seeded_client)
    await first.send(consent_frame(bundle, language="de"))
    assert (await first.expect("queued"))["position"] == 1
    await second.send(consent_frame(bundle, language="de"))
    assert (await second.expect("queued"))["position"] == 2
    await first.send({"type": "leave_queue"})
    await first.expect("left")
    update = await second.expect("queue_update", timeout=5)
    assert update["position"] == 1


async def test_organisation_shows_kinds_available_now(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """The public profile lists the counsellor kinds a player can reach right now."""
    resp = await seeded_client.get("/api/v1/organisation")
    assert (await resp.json())["kinds_available_now"] == []
    staff = await connect_staff(seeded_client, "counsellor2")
    resp = await seeded_client.get("/api/v1/organisation")
    assert (await resp.json())["kinds_available_now"] == ["former"]
    await staff.send({"type": "status", "status": "away"})
    await staff.expect("status")
    resp = await seeded_client.get("/api/v1/organisation")
    assert (await resp.json())["kinds_available_now"] == []
    await staff.close()


async def test_retention_purge_job_deletes_old_ended_conversations(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """Ended conversations older than the retention period disappear with their messages;
    recent ones stay."""
    from server.chat.jobs import retention_purge_job

    bundle = await published_offer(seeded_client)
    staff = await connect_staff(seeded_client, "counsellor3")
    ids = []
    for _ in range(2):
        player = await connect_player(seeded_client)
        await player.send(consent_frame(bundle, kind="survivor", kind_required=True))
        offer = await staff.expect("offer")
        await staff.send({"type": "accept", "offer_id": offer["offer_id"]})
        conv = (await player.expect("matched"))["conversation_id"]
        await player.send({"type": "message", "client_id": "m", "text": "hello"})
        await player.expect("ack")
        await staff.send({"type": "end", "conversation_id": conv, "outcome": "talked"})
        await player.expect("ended")
        ids.append(conv)
    old = (datetime.now(UTC) - timedelta(days=31)).replace(tzinfo=None)
    async with seeded_client.app[DB].engine.begin() as c:
        await c.execute(
            sa.text("UPDATE conversation SET ended_at = :t WHERE id = :i"), {"t": old, "i": ids[0]}
        )
    counts = await retention_purge_job(seeded_client.app)
    assert counts["conversations"] == 1 and counts["messages"] == 1
    async with seeded_client.app[DB].engine.connect() as c:
        left = (await c.execute(sa.text("SELECT id FROM conversation"))).scalars().all()
    assert left == [ids[1]]
    await staff.close()


async def test_bookings_job_enters_due_bookings(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """The scheduled job puts a connected player's due booking into the queue."""
    from server.chat.jobs import bookings_due_job, schedule_jobs

    await close_today(seeded_client)
    bundle = await published_offer(seeded_client)
    player = await connect_player(seeded_client)
    slot = player.service["slots"][0]
    await player.send({**consent_frame(bundle, format="booking"), "slot": slot})
    await player.expect("booked")
    assert await bookings_due_job(seeded_client.app) == 0
    async with seeded_client.app[DB].engine.begin() as c:
        await c.execute(
            sa.text("UPDATE booking SET slot_at = :t"),
            {"t": (datetime.now(UTC) - timedelta(minutes=2)).replace(tzinfo=None)},
        )
    assert await bookings_due_job(seeded_client.app) == 1
    assert (await player.expect("queued"))["position"] == 1

    class FakeScheduler:
        def __init__(self) -> None:
            self.ids: list[str] = []

        def add_job(self, *args: object, **kwargs: object) -> None:
            self.ids.append(str(kwargs["id"]))

    fake = FakeScheduler()
    schedule_jobs(fake, seeded_client.app)
    assert fake.ids == [
        "handoff.bookings_due",
        "handoff.booking_reminders",
        "handoff.retention_purge",
    ]


async def test_booking_reminder_reaches_the_player_once_and_tells_the_counsellors(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """Ten minutes before a booked slot the player's game is reminded, once; a player whose
    game was closed is reminded when it connects in those minutes; counsellors learn how
    many booked conversations start then (no player data), once per slot."""
    from server.chat.jobs import booking_reminders_job

    await close_today(seeded_client)
    bundle = await published_offer(seeded_client)
    staff = await connect_staff(seeded_client, "counsellor1")
    first, second = await connect_player(seeded_client), await connect_player(seeded_client)
    booked = []
    for player in (first, second):
        await player.send(
            {**consent_frame(bundle, format="booking"), "slot": first.service["slots"][0]}
        )
        booked.append((await player.expect("booked"))["booking_id"])
    # A slot far away: nobody is reminded yet.
    assert await booking_reminders_job(seeded_client.app) == 0
    slot = (datetime.now(UTC) + timedelta(minutes=8)).replace(second=0, microsecond=0)
    async with seeded_client.app[DB].engine.begin() as c:
        await c.execute(
            sa.text("UPDATE booking SET slot_at = :t"), {"t": slot.replace(tzinfo=None)}
        )
    await second.ws.close()

    assert await booking_reminders_job(seeded_client.app) == 1
    reminder = await first.expect("booking_reminder")
    assert reminder["booking_id"] == booked[0]
    assert datetime.fromisoformat(reminder["slot_at"]) == slot
    assert 6 <= reminder["starts_in_minutes"] <= 8
    soon = await staff.expect("bookings_soon")
    assert soon["count"] == 2 and datetime.fromisoformat(soon["slot_at"]) == slot
    assert set(soon) == {"type", "slot_at", "organisation", "count"}

    assert await booking_reminders_job(seeded_client.app) == 0  # once per booking
    back = await connect_player(seeded_client, token=second.token)
    assert await booking_reminders_job(seeded_client.app) == 1
    assert (await back.expect("booking_reminder"))["booking_id"] == booked[1]
    with pytest.raises(TimeoutError):
        await staff.expect("bookings_soon", timeout=0.3)  # the counsellors heard once
    await staff.close()
    # The supervisor board lists the slot with its count, and nothing about the players.
    await staff_login(seeded_client, "supervisor1")
    state = await (await seeded_client.get("/supervisor/api/state")).json()
    assert state["bookings"] == [{"slot_at": slot.isoformat(), "organisation": "home", "count": 2}]


async def test_wait_estimate_uses_history_after_restart(
    aiohttp_client,
    seeded_settings,  # type: ignore[no-untyped-def]
) -> None:
    """Handling times of recent conversations survive a restart, so estimates stay honest
    numbers instead of falling back to unknown."""
    from server.app import create_app

    client = await aiohttp_client(create_app(seeded_settings))
    bundle = await published_offer(client)
    staff = await connect_staff(client, "counsellor3")
    for _ in range(3):
        player = await connect_player(client)
        await player.send(consent_frame(bundle, kind="survivor", kind_required=True))
        offer = await staff.expect("offer")
        await staff.send({"type": "accept", "offer_id": offer["offer_id"]})
        conv = (await player.expect("matched"))["conversation_id"]
        await staff.send({"type": "end", "conversation_id": conv, "outcome": "talked"})
        await player.expect("ended")
    async with client.app[DB].engine.begin() as c:  # make them ten minutes long
        await c.execute(
            sa.text("UPDATE conversation SET started_at = :t"),
            {"t": (datetime.now(UTC) - timedelta(minutes=10)).replace(tzinfo=None)},
        )
    await staff.close()
    await client.close()

    client = await aiohttp_client(create_app(seeded_settings))
    staff = await connect_staff(client, "counsellor3")  # capacity 2, both taken below
    waiting = []
    for _ in range(3):
        player = await connect_player(client)
        await player.send(consent_frame(bundle, kind="survivor", kind_required=True))
        waiting.append(await player.expect("queued"))
    offers = [await staff.expect("offer") for _ in range(2)]
    for offer in offers:
        await staff.send({"type": "accept", "offer_id": offer["offer_id"]})
    assert waiting[2]["position"] == 3
    assert waiting[2]["estimate_seconds"] is not None and waiting[2]["estimate_seconds"] > 0
    await staff.close()


async def test_waiting_player_who_left_the_game_leaves_the_queue(
    seeded_client: TestClient,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A waiting player whose game stays closed is taken out of the queue, so no counsellor
    is offered somebody who is gone; players still connected keep their place."""
    monkeypatch.setattr(seeded_client.app[HUB].core, "abandon_after", timedelta(seconds=0.3))
    bundle = await published_offer(seeded_client)
    gone = await connect_player(seeded_client)
    await gone.send(consent_frame(bundle, language="de"))
    await gone.expect("queued")
    stays = await connect_player(seeded_client)
    await stays.send(consent_frame(bundle, language="de"))
    assert (await stays.expect("queued"))["position"] == 2
    await gone.ws.close()
    update = await stays.expect("queue_update", timeout=5)
    assert update["position"] == 1
    hub = seeded_client.app[HUB]
    states: list[str] = []
    for _ in range(50):
        async with seeded_client.app[DB].engine.connect() as c:
            states = list((await c.execute(sa.text("SELECT state FROM help_request"))).scalars())
        if "left" in states:
            break
        await asyncio.sleep(0.1)
    assert [r.session_id for r in hub.core.waiting()] == [stays.welcome["session_id"]]
    assert sorted(states) == ["left", "waiting"]


async def test_cancel_booking(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """A player can cancel their booking; someone else's booking id is unknown to them."""
    await close_today(seeded_client)
    bundle = await published_offer(seeded_client)
    player = await connect_player(seeded_client)
    await player.send(
        {**consent_frame(bundle, format="booking"), "slot": player.service["slots"][0]}
    )
    booking_id = (await player.expect("booked"))["booking_id"]
    other = await connect_player(seeded_client)
    await other.send({"type": "cancel_booking", "booking_id": booking_id})
    assert (await other.expect("error"))["code"] == "unknown_booking"
    await player.send({"type": "cancel_booking", "booking_id": booking_id})
    assert (await player.expect("booking_cancelled"))["booking_id"] == booking_id
    again = await connect_player(seeded_client, player.token)
    assert again.welcome["state"]["phase"] == "idle"


async def test_an_offer_to_a_player_who_goes_away_is_withdrawn(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """An offer card never stands for a player whose game has closed: it is withdrawn at once
    and the counsellor's slot goes to the live player waiting behind."""
    bundle = await published_offer(seeded_client)
    staff = await connect_staff(seeded_client, "counsellor3")
    gone = await connect_player(seeded_client)
    await gone.send(consent_frame(bundle, kind="survivor", kind_required=True))
    offer = await staff.expect("offer")
    here = await connect_player(seeded_client)
    await here.send(consent_frame(bundle, kind="survivor", kind_required=True))
    await here.expect("queued")
    await gone.ws.close()
    expired = await staff.expect("offer_expired")
    assert expired == {
        "type": "offer_expired",
        "offer_id": offer["offer_id"],
        "reason": "player_gone",
    }
    nxt = await staff.expect("offer")
    assert nxt["request_id"] != offer["request_id"] and nxt["player_online"] is True
    await staff.close()


async def test_a_requeued_conversation_whose_player_is_gone_is_dropped(
    seeded_client: TestClient,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A player who closed the game mid-chat is not left 'waiting' when the counsellor drops:
    the re-queued request falls under the same rule as any waiting player who left."""
    core = seeded_client.app[HUB].core
    monkeypatch.setattr(core, "grace", timedelta(seconds=0.2))
    monkeypatch.setattr(core, "abandon_after", timedelta(seconds=0.6))
    bundle = await published_offer(seeded_client)
    staff = await connect_staff(seeded_client, "counsellor3")
    player = await connect_player(seeded_client)
    await player.send(consent_frame(bundle, kind="survivor", kind_required=True))
    offer = await staff.expect("offer")
    await staff.send({"type": "accept", "offer_id": offer["offer_id"]})
    await staff.expect("matched")
    await player.ws.close()
    await staff.close()
    states: list[str] = []
    for _ in range(50):
        async with seeded_client.app[DB].engine.connect() as c:
            states = list((await c.execute(sa.text("SELECT state FROM help_request"))).scalars())
        if states == ["left"]:
            break
        await asyncio.sleep(0.1)
    assert states == ["left"]
    assert core.waiting() == []
    again = await connect_staff(seeded_client, "counsellor3")
    with pytest.raises(TimeoutError):
        await again.expect("offer", timeout=0.5)
    await again.close()
