"""The counsellors' rota opens and closes the chat, shapes bookable slots, and is edited on
``/admin/rota`` and with ``crossroads admin rota-*``."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from server.app import DB
from server.gateways.common import HUB
from server.settings import Settings
from tests.conftest import staff_login
from tests.integration.test_handoff_support import (
    connect_player,
    consent_frame,
    published_offer,
)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAY = {day: [["00:00", "23:59"]] for day in DAYS}


async def sql(client: TestClient, statement: str, **params: object) -> None:  # type: ignore[type-arg]
    """Run one SQL statement on the app's database and make the service re-read."""
    async with client.app[DB].engine.begin() as c:
        await c.execute(sa.text(statement), params)
    client.app[HUB].service.invalidate()


async def rota_in_two_days(client: TestClient, *, capacity: int = 3) -> datetime:  # type: ignore[type-arg]
    """Hours all day (UTC); only counsellor1 rostered, 10:00-12:00 two days from now."""
    day = datetime.now(UTC).date() + timedelta(days=2)
    await sql(
        client,
        "UPDATE organisation SET service_hours = :h, timezone = 'UTC'",
        h=json.dumps(ALL_DAY),
    )
    await sql(client, "DELETE FROM rota_shift")
    await sql(
        client,
        'INSERT INTO rota_shift (staff_id, weekday, start, "end", created_at) '
        "SELECT id, :day, '10:00', '12:00', :now FROM staff_account WHERE username = 'counsellor1'",
        day=DAYS[day.weekday()],
        now=datetime.now(UTC).replace(tzinfo=None),
    )
    await sql(
        client, "UPDATE staff_account SET capacity = :c WHERE username = 'counsellor1'", c=capacity
    )
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


async def test_nobody_rostered_means_closed_with_slots_only_in_rostered_time(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """With nobody rostered now, a chat request is refused and only rostered slots are offered."""
    start = await rota_in_two_days(seeded_client)
    bundle = await published_offer(seeded_client)
    player = await connect_player(seeded_client)
    assert player.service["open"] is False
    await player.send(consent_frame(bundle))
    assert (await player.expect("error"))["code"] == "service_closed"
    service = await player.expect("service")
    slots = [datetime.fromisoformat(s) for s in service["slots"]]
    assert slots == [start + timedelta(minutes=30 * i) for i in range(4)]
    assert service["next_open"] == start.isoformat()

    org = await (await seeded_client.get("/api/v1/organisation")).json()
    assert org["open_now"] is False
    assert org["next_opening"] == start.isoformat()


async def test_a_full_slot_is_no_longer_offered(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """When the rostered counsellors' caseload for a slot is booked up, others cannot pick it."""
    start = await rota_in_two_days(seeded_client, capacity=1)
    bundle = await published_offer(seeded_client)
    first = await connect_player(seeded_client)
    await first.send({**consent_frame(bundle, format="booking"), "slot": start.isoformat()})
    assert (await first.expect("booked"))["slot"] == start.isoformat()
    seeded_client.app[HUB].service.invalidate()
    second = await connect_player(seeded_client)
    assert start.isoformat() not in second.service["slots"]
    assert (start + timedelta(minutes=30)).isoformat() in second.service["slots"]


async def test_two_players_racing_for_the_last_place_cannot_both_get_it(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """With room for one, two players booking the same slot at once: one booked, one told no."""
    start = await rota_in_two_days(seeded_client, capacity=1)
    bundle = await published_offer(seeded_client)
    players = [await connect_player(seeded_client) for _ in range(2)]
    for player in players:  # both saw the slot offered; neither waits for the other
        assert start.isoformat() in player.service["slots"]
        await player.send({**consent_frame(bundle, format="booking"), "slot": start.isoformat()})
    outcomes = []
    for player in players:
        frame = await player.recv()
        while frame["type"] not in ("booked", "error"):
            frame = await player.recv()
        outcomes.append(frame["type"] if frame["type"] == "booked" else frame["code"])
    assert sorted(outcomes) == ["booked", "slot_unavailable"]
    async with seeded_client.app[DB].engine.connect() as c:
        taken = (await c.execute(sa.text("SELECT count(*) FROM booking"))).scalar()
        consents = (await c.execute(sa.text("SELECT count(*) FROM consent_record"))).scalar()
    assert taken == 1 and consents == 1  # no consent record for the refused booking


async def test_booking_enters_the_queue_at_the_front_at_its_time(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """A player who booked a rostered slot goes ahead of the queue when the slot starts."""
    from server.chat.jobs import bookings_due_job

    start = await rota_in_two_days(seeded_client)
    bundle = await published_offer(seeded_client)
    booker = await connect_player(seeded_client)
    await booker.send({**consent_frame(bundle, format="booking"), "slot": start.isoformat()})
    await booker.expect("booked")
    assert await bookings_due_job(seeded_client.app) == 0  # not yet

    # Now someone is rostered (an extra shift today) and another player is already waiting.
    await sql(
        seeded_client,
        'INSERT INTO rota_exception (staff_id, on_date, kind, start, "end", note, created_at) '
        "SELECT id, :on, 'add', '00:00', '24:00', '', :now FROM staff_account "
        "WHERE username = 'counsellor2'",
        on=datetime.now(UTC).date(),
        now=datetime.now(UTC).replace(tzinfo=None),
    )
    waiting = await connect_player(seeded_client)
    assert waiting.service["open"] is True
    await waiting.send(consent_frame(bundle))
    assert (await waiting.expect("queued"))["position"] == 1

    # The slot starts.
    await sql(
        seeded_client,
        "UPDATE booking SET slot_at = :t",
        t=(datetime.now(UTC) - timedelta(minutes=1)).replace(tzinfo=None),
    )
    assert await bookings_due_job(seeded_client.app) == 1
    assert (await booker.expect("queued"))["position"] == 1
    assert (await waiting.expect("queue_update"))["position"] == 2


async def test_players_are_told_when_the_rota_closes_the_chat(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """A connected player gets a fresh service frame when the rota leaves nobody on duty."""
    from server.chat.jobs import announce_service_job

    player = await connect_player(seeded_client)
    assert player.service["open"] is True
    assert await announce_service_job(seeded_client.app) is False  # first run only records
    await rota_in_two_days(seeded_client)
    assert await announce_service_job(seeded_client.app) is True
    frame = await player.expect("service")
    assert frame["open"] is False and frame["slots"]
    assert await announce_service_job(seeded_client.app) is False  # no change, no frame


async def test_admin_adds_a_shift_with_csrf_and_is_refused_without(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """An admin adds a weekly shift on the rota page; the same form without its token is refused."""
    csrf = await staff_login(seeded_client, "admin1")
    page = await seeded_client.get("/admin/rota")
    assert page.status == 200
    assert "Rostered now" in await page.text()
    form = {"username": "counsellor3", "weekday": "sun", "start": "08:00", "end": "12:00"}
    refused = await seeded_client.post("/admin/rota/shifts", data=form, allow_redirects=False)
    assert refused.status == 403
    done = await seeded_client.post(
        "/admin/rota/shifts", data={**form, "csrf_token": csrf}, allow_redirects=False
    )
    assert done.status == 303
    async with seeded_client.app[DB].engine.connect() as c:
        rows = (
            await c.execute(
                sa.text(
                    'SELECT start, "end" FROM rota_shift '
                    "WHERE weekday = 'sun' AND start = '08:00'"
                )
            )
        ).all()
    assert [tuple(r) for r in rows] == [("08:00", "12:00")]
    bad = await seeded_client.post(
        "/admin/rota/shifts",
        data={**form, "start": "18:00", "end": "09:00", "csrf_token": csrf},
        allow_redirects=False,
    )
    assert bad.status == 400 and "ends before it starts" in await bad.text()


async def test_counsellor_cannot_open_the_rota_page_but_a_supervisor_can(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """Counsellors are refused /admin/rota; supervisors open it and see the rota on the board."""
    await staff_login(seeded_client, "counsellor1")
    assert (await seeded_client.get("/admin/rota")).status == 403
    await seeded_client.post("/logout", allow_redirects=False)
    seeded_client.session.cookie_jar.clear()
    await staff_login(seeded_client, "supervisor1")
    assert (await seeded_client.get("/admin/rota")).status == 200
    state = await (await seeded_client.get("/supervisor/api/state")).json()
    assert state["rota_defined"] is True
    assert "Sam (professional)" in state["rostered_now"]


def test_rota_cli_adds_lists_and_removes(
    monkeypatch: pytest.MonkeyPatch, seeded_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """An operator manages the rota from the command line and sees clear errors for typos."""
    from server.cli import main

    monkeypatch.setenv("CROSSROADS_DEV_MODE", "true")
    monkeypatch.setenv("CROSSROADS_DATABASE_URL", seeded_settings.database_url)
    monkeypatch.setenv("CROSSROADS_ETHICS_KEY_DIR", str(Path(seeded_settings.ethics_key_dir)))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    add = ["admin", "rota-add", "--staff", "counsellor4", "--day", "mon"]
    assert main([*add, "--start", "09:00", "--end", "17:00"]) == 0
    out = capsys.readouterr().out
    assert "counsellor4 mon 09:00-17:00 every week" in out
    shift_id = out.split("rota shift ")[1].split(":")[0]
    assert (
        main(["admin", "rota-add", "--staff", "counsellor4", "--date", "2030-01-02", "--cancel"])
        == 0
    )
    assert "cancel the whole day on 2030-01-02" in capsys.readouterr().out
    assert main(["admin", "rota-list"]) == 0
    listing = capsys.readouterr().out
    assert f"shift {shift_id}" in listing and "2030-01-02 cancel whole day" in listing
    assert main(["admin", "rota-remove", shift_id]) == 0
    assert main(["admin", "rota-remove", shift_id]) == 1
    assert main([*add, "--start", "17:00", "--end", "09:00"]) == 1
    assert (
        main(
            [
                "admin",
                "rota-add",
                "--staff",
                "admin1",
                "--day",
                "mon",
                "--start",
                "09:00",
                "--end",
                "10:00",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "ends before it starts" in err and "not a counsellor" in err
