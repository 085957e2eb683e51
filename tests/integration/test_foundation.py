"""The foundation over HTTP: health, anonymous sessions, staff sign-in, content and organisation."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.test_utils import TestClient

from server import content_api
from server.auth import SESSION_COOKIE, player_session_for_token
from server.storage.db import Database
from server.storage.types import utcnow
from tests.conftest import staff_login


async def test_health_reports_the_database(client: TestClient) -> None:  # type: ignore[type-arg]
    """The load balancer sees 200 with the database reachable and the chat writer well."""
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok", "chat_writer": "ok"}


async def test_player_session_is_anonymous_and_token_is_stored_hashed(
    client: TestClient,  # type: ignore[type-arg]
    db: Database,
) -> None:
    """A player gets a random token without giving anything; the server keeps only its hash."""
    response = await client.post("/api/v1/sessions")
    assert response.status == 201
    body = await response.json()
    assert set(body) == {"session_id", "token"}
    assert len(body["token"]) >= 40
    row = await player_session_for_token(db, body["token"])
    assert row is not None and row.id == body["session_id"]
    assert body["token"] not in row.token_hash
    assert await player_session_for_token(db, "not-a-token") is None


async def test_unknown_api_path_answers_json_error(client: TestClient) -> None:  # type: ignore[type-arg]
    """A client calling a path that does not exist gets a JSON error with a stable code."""
    response = await client.get("/api/v1/nothing-here")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_content_is_unavailable_until_something_is_published(client: TestClient) -> None:  # type: ignore[type-arg]
    """Before the board publishes anything, the game is told plainly that there is no content."""
    response = await client.get("/api/v1/content")
    assert response.status == 503
    assert (await response.json())["error"]["code"] == "no_published_content"


async def test_published_content_is_served_with_its_hash_and_cached(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """The game downloads the published bundle, can check its hash, and revalidates cheaply."""
    import hashlib

    response = await seeded_client.get("/api/v1/content")
    assert response.status == 200
    body = await response.read()
    digest = hashlib.sha256(body).hexdigest()
    assert response.headers["X-Content-Hash"] == digest
    again = await seeded_client.get("/api/v1/content", headers={"If-None-Match": f'"{digest}"'})
    assert again.status == 304


async def test_unpublish_rolls_back_to_the_previous_bundle(db: Database) -> None:
    """An emergency unpublish serves the previous bundle again, and then nothing."""
    now = utcnow()
    async with db.session() as session:
        first = await content_api.store_bundle(session, body=b'{"v":1}', now=now)
        second = await content_api.store_bundle(session, body=b'{"v":2}', now=now)
        await content_api.publish_bundle(session, bundle_hash=first, by_staff_id=None, now=now)
        await content_api.publish_bundle(
            session, bundle_hash=second, by_staff_id=None, now=now + timedelta(seconds=1)
        )
        assert await content_api.published_hash(session) == second
        _, now_serving = await content_api.unpublish_latest(
            session, by_staff_id=None, now=now, note="emergency"
        )
        assert now_serving == first
        assert await content_api.published_hash(session) == first
        await content_api.unpublish_latest(session, by_staff_id=None, now=now, note="again")
        assert await content_api.published_hash(session) is None


async def test_organisation_profile_says_who_runs_and_funds_the_service(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """The disclosure screen can show the operator, the funder and whether someone is there."""
    response = await seeded_client.get("/api/v1/organisation")
    assert response.status == 200
    org = await response.json()
    assert org["name"] == "Crossroads Exit Network (demo)"
    assert org["funder"] == "Demo Foundation for Civic Education"
    assert org["open_now"] is True
    assert org["next_opening"] is None  # already open: nothing to wait for
    assert isinstance(org["kinds_available_now"], list)


async def test_organisation_says_where_confidentiality_ends_and_retention(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """The offer's confidentiality and retention slots come from the profile and settings."""
    from server.app import SETTINGS

    org = await (await seeded_client.get("/api/v1/organisation")).json()
    assert org["emergency_contact"] == "the emergency services (112)"
    assert org["shares_identifying_details"] is False and org["tells_player_first"] is True
    assert org["retention_days"] == seeded_client.app[SETTINGS].retention_days


async def test_staff_sign_in_sets_a_strict_http_only_cookie(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """A counsellor signs in and gets an HttpOnly, SameSite=Strict session cookie."""
    response = await seeded_client.post(
        "/auth/login", json={"username": "counsellor1", "password": "demo-counsellor1"}
    )
    assert response.status == 200
    cookie = response.headers["Set-Cookie"]
    assert SESSION_COOKIE in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    body = await response.json()
    assert body["staff"]["username"] == "counsellor1"
    assert "password_hash" not in body["staff"]


async def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """A wrong password and an unknown user get the same answer, so names cannot be probed."""
    wrong = await seeded_client.post(
        "/auth/login", json={"username": "counsellor1", "password": "nope"}
    )
    unknown = await seeded_client.post("/auth/login", json={"username": "ghost", "password": "x"})
    assert wrong.status == unknown.status == 401
    assert (await wrong.json()) == (await unknown.json())


async def test_malformed_login_body_gets_a_specific_error(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """A client sending broken JSON or no password learns exactly what is wrong."""
    broken = await seeded_client.post(
        "/auth/login", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert (await broken.json())["error"]["code"] == "invalid_json"
    missing = await seeded_client.post("/auth/login", json={"username": "counsellor1"})
    assert (await missing.json())["error"]["code"] == "missing_credentials"


async def test_sign_out_everywhere_ends_every_session(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """Signing out everywhere also ends the session on the counsellor's other device."""
    import aiohttp

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        login = await other.post(
            seeded_client.make_url("/auth/login"),
            json={"username": "counsellor1", "password": "demo-counsellor1"},
        )
        other_csrf = (await login.json())["csrf_token"]
        csrf = await staff_login(seeded_client, "counsellor1")
        response = await seeded_client.post(
            "/auth/logout?everywhere=1", headers={"X-CSRF-Token": csrf}
        )
        assert response.status == 200
        assert (await response.json())["ended_sessions"] == 2
        from sqlmodel import select

        from server.app import DB
        from server.storage.models import StaffSession

        async with seeded_client.app[DB].session() as session:
            assert (await session.exec(select(StaffSession))).all() == []
        after = await other.post(
            seeded_client.make_url("/auth/logout"), headers={"X-CSRF-Token": other_csrf}
        )
        assert after.status in (401, 403)


def test_closed_service_says_when_it_opens_and_offers_no_counsellors() -> None:
    """Outside the hours the game is told the next opening, and no kind is shown as available."""
    from datetime import UTC, datetime

    from server.content_api import organisation_public
    from server.storage.models import Organisation

    org = Organisation(
        name="Exit Network",
        funder="City",
        timezone="Europe/Berlin",
        service_hours={"mon": [["09:00", "17:00"]]},
        updated_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    public = organisation_public(org, now=saturday, kinds_available=["peer"])
    assert public.open_now is False
    assert public.kinds_available_now == []
    assert public.next_opening == "2026-11-30T08:00:00+00:00"


async def test_session_flood_from_one_address_is_refused_with_retry_after(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    """Creating sessions in a loop gets 429 with Retry-After, not an endless supply of tokens."""
    statuses = [(await client.post("/api/v1/sessions")).status for _ in range(10)]
    assert statuses == [201] * 10
    refused = await client.post("/api/v1/sessions")
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert (await refused.json())["error"]["code"] == "too_many_sessions"
