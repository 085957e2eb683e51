"""The supervisor board and console API against live sockets: load, queue, caps, shifts."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient
from sqlmodel import select

from server.app import DB
from server.web.models import StaffShift
from server.web.shifts import shift_job
from tests.integration.test_handoff_support import (
    connect_player,
    connect_staff,
    consent_frame,
    published_offer,
)
from tests.integration.test_web_support import page_csrf, sign_in, web_client  # noqa: F401


def _row(state: dict, name: str) -> dict:
    return next(c for c in state["counsellors"] if c["display_name"].startswith(name))


async def test_board_follows_queue_load_caps_and_shifts(web_client: TestClient) -> None:  # noqa: F811
    """The board shows the waiting player, then the counsellor's load; caps apply live."""
    client = web_client
    bundle = await published_offer(client)
    counsellor = await connect_staff(client, "counsellor1")
    await counsellor.send({"type": "status", "status": "away"})
    await counsellor.expect("status")
    player = await connect_player(client)
    await player.send(consent_frame(bundle, language="en"))
    await player.expect("queued")

    await sign_in(client, "supervisor1")
    state = await (await client.get("/supervisor/api/state")).json()
    assert state["queue"]["length"] == 1
    assert state["queue"]["longest_wait_seconds"] >= 0
    assert _row(state, "Sam")["status"] == "away"

    await shift_job(client.app)
    async with client.app[DB].session() as session:
        shifts = (await session.exec(select(StaffShift))).all()
    assert len(shifts) == 1 and shifts[0].ended_at is None

    await counsellor.send({"type": "status", "status": "available"})
    while (await counsellor.expect("status"))["status"] != "available":
        pass
    offer = await counsellor.expect("offer")
    await counsellor.send({"type": "accept", "offer_id": offer["offer_id"]})
    conversation_id = (await counsellor.expect("matched"))["conversation_id"]
    state = await (await client.get("/supervisor/api/state")).json()
    sam = _row(state, "Sam")
    assert (sam["load"], sam["capacity"], sam["on_shift"]) == (1, 3, True)
    assert state["queue"]["length"] == 0

    token = await page_csrf(client, "/supervisor")
    response = await client.post(
        f"/supervisor/caps/{sam['id']}", json={"capacity": 1}, headers={"X-CSRF-Token": token}
    )
    assert response.status == 200
    state = await (await client.get("/supervisor/api/state")).json()
    assert _row(state, "Sam")["capacity"] == 1
    from server.web.live import presence

    assert presence(client.app)[sam["id"]]["capacity"] == 1

    # The counsellor asks for a supervisor: the player is told in the chat itself.
    client.session.cookie_jar.clear()
    await sign_in(client, "counsellor1")
    token = await page_csrf(client, "/console")
    response = await client.post(
        f"/console/api/conversations/{conversation_id}/supervisor",
        json={},
        headers={"X-CSRF-Token": token},
    )
    assert (await response.json())["player_told"] is True
    told = await player.expect("message")
    assert told["sender"] == "system" and "supervisor" in told["text"]
    shift = await (await client.get("/console/api/shift")).json()
    assert shift["on_shift"] is True and shift["break_due"] is False

    await counsellor.send({"type": "status", "status": "offline"})
    while (await counsellor.expect("status"))["status"] != "offline":
        pass
    await shift_job(client.app)
    async with client.app[DB].session() as session:
        shifts = (await session.exec(select(StaffShift))).all()
    assert shifts[0].ended_at is not None
    await counsellor.close()
    await player.ws.close()


async def test_board_counts_waiting_players_who_are_there_and_says_how_many_are_away(
    web_client: TestClient,  # noqa: F811
) -> None:
    """A supervisor sees the queue length of players who are there, and apart from it how many
    waiting players have closed their game."""
    client = web_client
    bundle = await published_offer(client)
    counsellor = await connect_staff(client, "counsellor1")
    await counsellor.send({"type": "status", "status": "away"})
    await counsellor.expect("status")
    here, gone = await connect_player(client), await connect_player(client)
    for player in (here, gone):
        await player.send(consent_frame(bundle, language="en"))
        await player.expect("queued")
    await sign_in(client, "supervisor1")
    state = await (await client.get("/supervisor/api/state")).json()
    assert (state["queue"]["length"], state["queue"]["away"]) == (2, 0)

    await gone.ws.close()
    for _ in range(200):
        state = await (await client.get("/supervisor/api/state")).json()
        if state["queue"]["away"]:
            break
        await asyncio.sleep(0.01)
    assert (state["queue"]["length"], state["queue"]["away"]) == (1, 1)
    assert state["queue"]["longest_wait_seconds"] >= 0
    await here.ws.close()
    await counsellor.close()


async def test_sign_out_everywhere_closes_live_consoles(web_client: TestClient) -> None:  # noqa: F811
    """Signing out everywhere also closes the account's open console sockets (code 4001)."""
    import aiohttp

    console = await connect_staff(web_client, "counsellor2")
    await sign_in(web_client, "counsellor2")
    token = await page_csrf(web_client)
    response = await web_client.post(
        "/logout", data={"csrf_token": token, "everywhere": "1"}, allow_redirects=False
    )
    assert response.status == 303
    while True:
        message = await console.ws.receive(timeout=5)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            break
    assert message.type == aiohttp.WSMsgType.CLOSE and message.data == 4001
    await console.session.close()
