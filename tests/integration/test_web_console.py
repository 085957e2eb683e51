"""Console and supervisor HTTP API: notes, canned responses, referrals, access and the board."""

from __future__ import annotations

import re
import uuid

from aiohttp.test_utils import TestClient

from server.auth import create_player_session
from server.chat.models import Conversation
from server.settings import Settings
from server.storage.db import Database
from server.storage.models import StaffAccount
from server.storage.types import utcnow
from server.web.models import ConversationNote, PartnerOrganisation
from tests.integration.test_web_support import page_csrf, sign_in, web_client  # noqa: F401


async def _staff_id(db: Database, username: str) -> int:
    from sqlmodel import select

    async with db.session() as session:
        row = (
            await session.exec(select(StaffAccount).where(StaffAccount.username == username))
        ).one()
        assert row.id is not None
        return row.id


async def _conversation(settings: Settings, counsellor: str, *, outcome: str | None = None) -> str:
    """A conversation held by ``counsellor`` (as the handoff gateway would store it)."""
    db = Database(settings.database_url)
    try:
        player, _ = await create_player_session(db, utcnow())
        conversation_id = uuid.uuid4().hex
        async with db.session() as session:
            session.add(
                Conversation(
                    id=conversation_id,
                    request_id=uuid.uuid4().hex,
                    session_id=player.id,
                    counsellor_id=await _staff_id(db, counsellor),
                    state="ended" if outcome else "active",
                    started_at=utcnow(),
                    ended_at=utcnow() if outcome else None,
                    outcome=outcome,
                )
            )
            await session.commit()
    finally:
        await db.dispose()
    return conversation_id


async def test_private_notes_are_encrypted_at_rest(
    web_client: TestClient,  # noqa: F811
    seeded_settings: Settings,
) -> None:
    """A counsellor's note reads back in the console but is stored only as ciphertext."""
    conversation_id = await _conversation(seeded_settings, "counsellor1")
    await sign_in(web_client, "counsellor1")
    token = await page_csrf(web_client, "/console")
    url = f"/console/api/conversations/{conversation_id}/notes"
    response = await web_client.post(
        url, json={"body": "Mentioned a brother in the group"}, headers={"X-CSRF-Token": token}
    )
    assert response.status == 201
    notes = (await (await web_client.get(url)).json())["notes"]
    assert [n["body"] for n in notes] == ["Mentioned a brother in the group"]
    db = Database(seeded_settings.database_url)
    try:
        from sqlmodel import select

        async with db.session() as session:
            stored = (await session.exec(select(ConversationNote))).one()
        assert b"brother" not in stored.body_encrypted
    finally:
        await db.dispose()


async def test_counsellor_cannot_open_a_colleagues_conversation(
    web_client: TestClient,  # noqa: F811
    seeded_settings: Settings,
) -> None:
    """Notes and transcript of another counsellor's conversation answer 403; unknown ids 404."""
    conversation_id = await _conversation(seeded_settings, "counsellor2")
    await sign_in(web_client, "counsellor1")
    response = await web_client.get(f"/console/api/conversations/{conversation_id}/notes")
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "not_your_conversation"
    page = await web_client.get(f"/supervisor/conversations/{conversation_id}")
    assert page.status == 403
    missing = await web_client.get("/console/api/conversations/nope/notes")
    assert missing.status == 404


async def test_supervisor_reads_only_after_a_request_and_is_audited(
    web_client: TestClient,  # noqa: F811
    seeded_settings: Settings,
    aiohttp_client,
) -> None:
    """A supervisor may read a conversation once its counsellor asked; the read is audited."""
    from server.app import create_app

    conversation_id = await _conversation(seeded_settings, "counsellor1")
    supervisor = await aiohttp_client(create_app(seeded_settings))
    await sign_in(supervisor, "supervisor1")
    before = await supervisor.get(f"/supervisor/conversations/{conversation_id}")
    assert before.status == 403

    await sign_in(web_client, "counsellor1")
    token = await page_csrf(web_client, "/console")
    response = await web_client.post(
        f"/console/api/conversations/{conversation_id}/supervisor",
        json={},
        headers={"X-CSRF-Token": token},
    )
    assert response.status == 201
    state = await (await supervisor.get("/supervisor/api/state")).json()
    assert [r["conversation_id"] for r in state["supervisor_requests"]] == [conversation_id]
    after = await supervisor.get(f"/supervisor/conversations/{conversation_id}")
    assert after.status == 200
    assert "recorded in the audit log" in await after.text()
    follow = await supervisor.get(
        f"/supervisor/api/conversations/{conversation_id}/messages?after=0"
    )
    assert (await follow.json())["state"] == "active"
    denied = await web_client.get(
        f"/supervisor/api/conversations/{conversation_id}/messages?after=x"
    )
    assert denied.status == 400

    supervisor.session.cookie_jar.clear()
    await sign_in(supervisor, "admin1")
    admin_page = await (await supervisor.get("/admin")).text()
    assert "transcript_read" in admin_page


async def test_safeguarding_outcome_flags_a_debrief(
    web_client: TestClient,  # noqa: F811
    seeded_settings: Settings,
) -> None:
    """A conversation ended with a safeguarding concern shows as a debrief until marked done."""
    conversation_id = await _conversation(seeded_settings, "counsellor1", outcome="safeguarding")
    await sign_in(web_client, "supervisor1")
    state = await (await web_client.get("/supervisor/api/state")).json()
    assert [d["conversation_id"] for d in state["debriefs"]] == [conversation_id]
    token = await page_csrf(web_client, "/supervisor")
    done = await web_client.post(
        f"/supervisor/debriefs/{conversation_id}/done", json={}, headers={"X-CSRF-Token": token}
    )
    assert done.status == 200
    state = await (await web_client.get("/supervisor/api/state")).json()
    assert state["debriefs"] == []


async def test_supervisor_edits_caseload_cap(web_client: TestClient) -> None:  # noqa: F811
    """A supervisor changes a counsellor's cap; out-of-range values get a clear 400."""
    await sign_in(web_client, "supervisor1")
    state = await (await web_client.get("/supervisor/api/state")).json()
    sam = next(c for c in state["counsellors"] if c["display_name"].startswith("Sam"))
    token = await page_csrf(web_client, "/supervisor")
    bad = await web_client.post(
        f"/supervisor/caps/{sam['id']}", json={"capacity": 99}, headers={"X-CSRF-Token": token}
    )
    assert bad.status == 400
    ok = await web_client.post(
        f"/supervisor/caps/{sam['id']}", json={"capacity": 1}, headers={"X-CSRF-Token": token}
    )
    assert ok.status == 200
    state = await (await web_client.get("/supervisor/api/state")).json()
    assert next(c for c in state["counsellors"] if c["id"] == sam["id"])["capacity"] == 1


async def test_canned_responses_personal_and_shared(web_client: TestClient) -> None:  # noqa: F811
    """Counsellors see shared responses and their own, never a colleague's personal ones."""
    await sign_in(web_client, "admin1")
    token = await page_csrf(web_client, "/admin")
    await web_client.post(
        "/admin/canned",
        data={
            "csrf_token": token,
            "shortcut": "welcome",
            "title": "Welcome",
            "body": "Hi, I'm glad you wrote.",
        },
    )
    web_client.session.cookie_jar.clear()
    await sign_in(web_client, "counsellor2")
    token = await page_csrf(web_client, "/console")
    await web_client.post(
        "/console/api/canned",
        json={"shortcut": "mine", "title": "Mine", "body": "private text"},
        headers={"X-CSRF-Token": token},
    )
    bad = await web_client.post(
        "/console/api/canned",
        json={"shortcut": "has space", "title": "x", "body": "y"},
        headers={"X-CSRF-Token": token},
    )
    assert bad.status == 400
    web_client.session.cookie_jar.clear()
    await sign_in(web_client, "counsellor1")
    items = (await (await web_client.get("/console/api/canned")).json())["responses"]
    shortcuts = [i["shortcut"] for i in items]
    assert "welcome" in shortcuts and "mine" not in shortcuts
    assert not any(i["personal"] for i in items)


async def test_referral_gives_partner_contact_text(
    web_client: TestClient,  # noqa: F811
    seeded_settings: Settings,
) -> None:
    """Referring sends the partner's name and contact; an unknown partner is a clear 404."""
    conversation_id = await _conversation(seeded_settings, "counsellor1")
    db = Database(seeded_settings.database_url)
    try:
        async with db.session() as session:
            partner = PartnerOrganisation(
                key="test-partner",
                name="Exit North",
                contact="+49 30 1234567",
                url="https://exit-north.example",
                created_at=utcnow(),
            )
            session.add(partner)
            await session.commit()
            await session.refresh(partner)
            partner_id = partner.id
    finally:
        await db.dispose()
    await sign_in(web_client, "counsellor1")
    token = await page_csrf(web_client, "/console")
    url = f"/console/api/conversations/{conversation_id}/referral"
    response = await web_client.post(
        url, json={"partner_id": partner_id}, headers={"X-CSRF-Token": token}
    )
    body = await response.json()
    assert response.status == 200
    assert "Exit North" in body["message"] and "+49 30 1234567" in body["message"]
    assert body["partner"]["key"] == "test-partner"
    missing = await web_client.post(url, json={"partner_id": 999}, headers={"X-CSRF-Token": token})
    assert missing.status == 404


async def test_admin_manages_staff_and_profile(web_client: TestClient) -> None:  # noqa: F811
    """An admin creates an account, sees a clear error for bad input, and edits the profile."""
    await sign_in(web_client, "admin1")
    token = await page_csrf(web_client, "/admin")
    bad = await web_client.post(
        "/admin/staff",
        data={"csrf_token": token, "username": "x y", "display_name": "X", "password": "short"},
    )
    assert bad.status == 400
    assert "user name" in await bad.text()
    created = await web_client.post(
        "/admin/staff",
        data={
            "csrf_token": token,
            "username": "counsellor9",
            "display_name": "Robin",
            "password": "a-long-password-9",
            "roles": "counsellor",
            "kind": "peer",
            "languages": "en, de",
            "capacity": "2",
        },
    )
    assert created.status == 200
    assert "counsellor9" in await created.text()
    profile = await web_client.post(
        "/admin/organisation",
        data={
            "csrf_token": token,
            "name": "Exit Network Test",
            "funder": "Test Foundation",
            "contact_url": "https://exit.example",
            "timezone": "Europe/Berlin",
            "hours_mon": "09:00-12:00, 13:00-17:00",
            "hours_sun": "00:00-24:00",
            "emergency_contact": "the police (110)",
            "shares_identifying_details": "yes",
            "tells_player_first": "no",
        },
    )
    assert profile.status == 200
    public = await (await web_client.get("/api/v1/organisation")).json()
    assert public["name"] == "Exit Network Test"
    assert public["service_hours"]["mon"] == [["09:00", "12:00"], ["13:00", "17:00"]]
    assert public["service_hours"]["sun"] == [["00:00", "24:00"]]
    # where confidentiality ends, exactly as every offer will state it
    assert public["emergency_contact"] == "the police (110)"
    assert public["shares_identifying_details"] is True
    assert public["tells_player_first"] is False
    wrong = await web_client.post(
        "/admin/organisation",
        data={"csrf_token": token, "name": "X", "funder": "Y", "hours_tue": "9 to 5"},
    )
    assert wrong.status == 400
    assert re.search(r"spans like 09:00-17:00", await wrong.text())


async def test_demo_partners_and_responses_seed_once(
    web_client: TestClient,  # noqa: F811
) -> None:
    """The demo seed adds partners and shared responses once; running it again adds nothing."""
    from server.app import DB
    from server.web.demo import seed_web_demo

    db = web_client.app[DB]
    await seed_web_demo(db, utcnow())
    assert await seed_web_demo(db, utcnow()) == []
    await sign_in(web_client, "counsellor1")
    partners = (await (await web_client.get("/console/api/partners")).json())["partners"]
    assert {"exit-north", "youth-line"} <= {p["key"] for p in partners}
    canned = (await (await web_client.get("/console/api/canned")).json())["responses"]
    assert {"welcome", "crisis"} <= {c["shortcut"] for c in canned}
