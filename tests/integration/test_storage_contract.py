"""The storage contract, run on SQLite and on PostgreSQL: the same behaviour on both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server import content_api
from server.auth import LoginResult, create_player_session, player_session_for_token
from server.demo import seed_organisation, seed_staff
from server.settings import Settings
from server.storage.db import Database
from server.storage.migrate import schema_is_current
from server.web.signin import sign_in


async def test_migrations_reach_head_on_both_databases(any_database_url: str) -> None:
    """`crossroads db upgrade` leaves either database at the newest schema."""
    assert schema_is_current(any_database_url)


async def test_timestamps_come_back_as_aware_utc(any_database_url: str) -> None:
    """A time stored from Berlin comes back as the same instant in UTC, never naive."""
    db = Database(any_database_url)
    try:
        from zoneinfo import ZoneInfo

        berlin = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
        row, token = await create_player_session(db, berlin)
        found = await player_session_for_token(db, token)
        assert found is not None
        assert found.created_at == berlin and found.created_at.tzinfo is not None
        assert found.created_at.utcoffset() == timedelta(0)
    finally:
        await db.dispose()


async def test_staff_login_and_publication_stack_behave_the_same(any_database_url: str) -> None:
    """Seeding, signing in and publish/unpublish give identical results on both databases."""
    db = Database(any_database_url)
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    try:
        assert await seed_organisation(db, now)
        assert "counsellor1" in await seed_staff(db, now)
        assert await seed_staff(db, now) == []
        result = await sign_in(
            db, "counsellor1", "demo-counsellor1", "", "test", now, hours=1, via="json"
        )
        assert isinstance(result, LoginResult) and result.account.kind == "professional"
        async with db.session() as session:
            a = await content_api.store_bundle(session, body=b'{"a":1}', now=now)
            assert await content_api.store_bundle(session, body=b'{"a":1}', now=now) == a
            await content_api.publish_bundle(session, bundle_hash=a, by_staff_id=None, now=now)
            await session.commit()
        async with db.session() as session:
            assert await content_api.published_hash(session) == a
            with pytest.raises(LookupError):
                await content_api.publish_bundle(
                    session, bundle_hash="0" * 64, by_staff_id=None, now=now
                )
    finally:
        await db.dispose()


async def test_usernames_are_unique(any_database_url: str) -> None:
    """Two staff accounts can never share a username, whichever database runs."""
    db = Database(any_database_url)
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    try:
        await seed_staff(db, now)
        with pytest.raises(sa.exc.IntegrityError):
            async with db.session() as session:
                await session.exec(  # type: ignore[call-overload]
                    sa.text(
                        "INSERT INTO staff_account (username, display_name, capacity, active, "
                        "password_hash, roles, languages, created_at) VALUES ('counsellor1', 'x', "
                        "1, true, 'x', '[]', '[]', :now)"
                    ).bindparams(now=now.replace(tzinfo=None))
                )
                await session.commit()
    finally:
        await db.dispose()


def test_settings_accept_a_postgres_url(postgres_base_url: str) -> None:
    """An operator can point Crossroads at PostgreSQL with one variable."""
    settings = Settings(dev_mode=True, database_url=f"{postgres_base_url}/postgres")
    assert not settings.is_sqlite
