"""The group-commit chat store on real databases (SQLite, and PostgreSQL where available):
batching, per-conversation seq, idempotent retries across restarts, failure isolation,
encryption at rest."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from server.chat.store import ChatStore
from server.settings import Settings
from server.storage.db import Database
from server.storage.types import UTCDateTime

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.fixture
async def db(any_database_url: str) -> AsyncIterator[Database]:
    """A migrated database: once SQLite, once PostgreSQL (the storage contract)."""
    database = Database(any_database_url)
    yield database
    await database.dispose()


async def seed(db: Database, conversations: list[str]) -> None:
    async with db.engine.begin() as c:
        await c.execute(
            sa.text(
                "INSERT INTO player_session (id, token_hash, created_at, last_seen_at) "
                "VALUES ('s1', 'h1', :t, :t)"
            ).bindparams(sa.bindparam("t", type_=UTCDateTime())),
            {"t": NOW},
        )
        for conv in conversations:
            await c.execute(
                sa.text(
                    "INSERT INTO conversation (id, request_id, session_id, organisation, state,"
                    " started_at) VALUES (:i, 'r', 's1', 'home', 'active', :t)"
                ).bindparams(sa.bindparam("t", type_=UTCDateTime())),
                {"i": conv, "t": NOW},
            )


async def test_messages_arriving_together_share_commits(db: Database, settings: Settings) -> None:
    """Fifty messages sent at once get gap-free seqs per conversation in a few commits."""
    convs = [f"c{i}" for i in range(5)]
    await seed(db, convs)
    store = ChatStore(db, settings.transcript_key)
    store.start()
    futures = [
        store.append(
            conversation_id=convs[i % 5],
            sender="player",
            client_id=f"m{i}",
            text=f"text {i}",
            at=NOW,
        )
        for i in range(50)
    ]
    stored = await asyncio.gather(*futures)
    await store.stop()
    for conv in convs:
        assert sorted(s.seq for s in stored if s.conversation_id == conv) == list(range(1, 11))
    assert store.batches <= 3


async def test_retry_after_restart_returns_the_original_seq(
    db: Database, settings: Settings
) -> None:
    """A retry with the same client id after a restart is not stored twice."""
    await seed(db, ["c1"])
    store = ChatStore(db, settings.transcript_key)
    store.start()
    first = await store.append(
        conversation_id="c1", sender="player", client_id="x", text="hi", at=NOW
    )
    await store.stop()
    store = ChatStore(db, settings.transcript_key)
    store.start()
    again = await store.append(
        conversation_id="c1", sender="player", client_id="x", text="hi", at=NOW
    )
    other = await store.append(
        conversation_id="c1", sender="counsellor", client_id="x", text="hello", at=NOW
    )
    await store.stop()
    assert again.duplicate and again.seq == first.seq == 1
    assert not other.duplicate and other.seq == 2


async def test_one_bad_write_does_not_sink_its_batch(db: Database, settings: Settings) -> None:
    """A message for a conversation that does not exist fails alone; its neighbours commit
    with gap-free seqs."""
    await seed(db, ["c1"])
    store = ChatStore(db, settings.transcript_key)
    store.start()
    futures = [
        store.append(conversation_id="c1", sender="player", client_id="a", text="1", at=NOW),
        store.append(conversation_id="gone", sender="player", client_id="b", text="2", at=NOW),
        store.append(conversation_id="c1", sender="player", client_id="c", text="3", at=NOW),
    ]
    results = await asyncio.gather(*futures, return_exceptions=True)
    await store.stop()
    assert isinstance(results[1], RuntimeError)
    assert [r.seq for r in (results[0], results[2])] == [1, 2]  # type: ignore[union-attr]
    store = ChatStore(db, settings.transcript_key)
    assert [m["seq"] for m in await store.messages_after("c1", 0)] == [1, 2]


async def test_text_is_encrypted_at_rest(db: Database, settings: Settings) -> None:
    """The database holds only ciphertext; reading back gives the text."""
    await seed(db, ["c1"])
    store = ChatStore(db, settings.transcript_key)
    store.start()
    await store.append(
        conversation_id="c1", sender="player", client_id="a", text="a secret worry", at=NOW
    )
    await store.stop()
    async with db.engine.connect() as c:
        body = (await c.execute(sa.text("SELECT body FROM chat_message"))).scalar()
    assert b"secret" not in body
    (msg,) = await store.messages_after("c1", 0)
    assert msg["text"] == "a secret worry" and msg["at"].startswith("2026-11-27T10:00:00")


@pytest.mark.parametrize("last", [0, 3, 5])
async def test_messages_after_returns_exactly_the_tail(
    db: Database, settings: Settings, last: int
) -> None:
    """Resume reads exactly the messages after the given seq, in order."""
    await seed(db, ["c1"])
    store = ChatStore(db, settings.transcript_key)
    store.start()
    for i in range(5):
        await store.append(
            conversation_id="c1", sender="player", client_id=f"{i}", text=f"{i}", at=NOW
        )
    await store.stop()
    assert [m["seq"] for m in await store.messages_after("c1", last)] == list(range(last + 1, 6))
