"""The group-commit chat store on real databases (SQLite, and PostgreSQL where available):
batching, per-conversation seq, idempotent retries across restarts, failure isolation,
encryption at rest."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from server.chat.message_cipher import UNREADABLE
from server.chat.sqlite_writer import WriterGone, WriterProcess
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


# --------------------------------------------------------------------- the writer process
# On SQLite the messages are written by a child process (server.chat.sqlite_writer).


@pytest.fixture
async def sqlite_db(settings: Settings) -> AsyncIterator[Database]:
    """The test's migrated SQLite database: the writer process serves SQLite only
    (PostgreSQL is written from the event loop through asyncpg)."""
    database = Database(settings.database_url)
    yield database
    await database.dispose()


async def send(store: ChatStore, conv: str, ids: range) -> list[Any]:
    futures = [
        store.append(conversation_id=conv, sender="player", client_id=f"m{i}", text=f"{i}", at=NOW)
        for i in ids
    ]
    return await asyncio.gather(*futures)


async def stored_seqs(db: Database, conv: str) -> list[tuple[int, str]]:
    async with db.engine.connect() as c:
        rows = await c.execute(
            sa.text(
                "SELECT seq, client_id FROM chat_message WHERE conversation_id = :c ORDER BY seq"
            ),
            {"c": conv},
        )
        return [(r.seq, r.client_id) for r in rows]


async def test_a_killed_writer_process_is_replaced_and_loses_nothing(
    sqlite_db: Database, settings: Settings
) -> None:
    """The writer process is killed between batches: the next batch starts a new one, and
    every acknowledged message is stored exactly once with gap-free seqs."""
    db = sqlite_db
    await seed(db, ["c1"])
    store = ChatStore(db, settings.transcript_key)
    store.start()
    first = await send(store, "c1", range(0, 20))
    old = store.writer_pid()
    assert old is not None
    os.kill(old, signal.SIGKILL)
    await asyncio.sleep(0.1)
    second = await send(store, "c1", range(20, 40))
    again = await send(store, "c1", range(10, 15))  # retries of acknowledged messages
    new = store.writer_pid()
    await store.stop()
    assert new is not None and new != old
    assert [s.seq for s in first + second] == list(range(1, 41))
    assert [(s.seq, s.duplicate) for s in again] == [(i, True) for i in range(11, 16)]
    assert await stored_seqs(db, "c1") == [(i + 1, f"m{i}") for i in range(40)]


async def test_a_writer_lost_after_its_commit_does_not_store_twice(
    sqlite_db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer commits a batch and dies before answering: the server cannot know the
    batch is stored, retries it, recognises every message by its client id, and answers
    with the original seqs. Nothing is stored twice and nothing is lost."""
    db = sqlite_db
    await seed(db, ["c1"])
    store = ChatStore(db, settings.transcript_key)
    store.start()
    await send(store, "c1", range(0, 3))
    real_call = WriterProcess.call
    died = False

    async def commit_then_die(self: WriterProcess, op: str, arg: Any) -> Any:
        nonlocal died
        result = await real_call(self, op, arg)
        if op == "insert" and not died:
            died = True
            await self.stop()
            raise WriterGone("the chat writer process stopped (killed in the test)")
        return result

    monkeypatch.setattr(WriterProcess, "call", commit_then_die)
    lost_answer = await send(store, "c1", range(3, 8))
    await store.stop()
    assert died
    assert [(s.seq, s.duplicate) for s in lost_answer] == [(i, True) for i in range(4, 9)]
    assert await stored_seqs(db, "c1") == [(i + 1, f"m{i}") for i in range(8)]


async def test_stopping_the_store_ends_the_writer_process(
    sqlite_db: Database, settings: Settings
) -> None:
    """A clean stop stores everything still queued, then the child exits on its own."""
    db = sqlite_db
    await seed(db, ["c1"])
    store = ChatStore(db, settings.transcript_key)
    store.start()
    await send(store, "c1", range(0, 1))
    pid = store.writer_pid()
    assert pid is not None
    pending = asyncio.ensure_future(send(store, "c1", range(1, 51)))
    await asyncio.sleep(0)
    await store.stop()
    assert [s.seq for s in await pending] == list(range(2, 52))
    assert not Path(f"/proc/{pid}").exists()


async def test_chats_stay_readable_across_a_transcript_key_rotation(
    db: Database, settings: Settings
) -> None:
    """Messages written under the old key resume after rotation; new ones use the new key;
    once the old key is removed, its messages read as a clear placeholder, not an error."""
    await seed(db, ["c1"])
    old, new = settings.transcript_key, Fernet.generate_key().decode()
    store = ChatStore(db, old)
    store.start()
    await store.append(conversation_id="c1", sender="player", client_id="a", text="before", at=NOW)
    await store.stop()
    rotated = ChatStore(db, new, previous_keys=[old])
    rotated.start()
    await rotated.append(conversation_id="c1", sender="player", client_id="b", text="after", at=NOW)
    await rotated.stop()
    assert [m["text"] for m in await rotated.messages_after("c1", 0)] == ["before", "after"]
    dropped = ChatStore(db, new)
    assert [m["text"] for m in await dropped.messages_after("c1", 0)] == [UNREADABLE, "after"]


async def test_a_writer_that_cannot_open_its_database_fails_each_message_clearly(
    tmp_path: Path, settings: Settings
) -> None:
    """If the database file cannot be opened, messages fail (their senders get an error),
    no half-started writer process is left behind, and the store still stops cleanly."""
    import shutil

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'chat.db'}")
    shutil.rmtree(tmp_path / "gone")  # Database() created the folder; take it away again
    store = ChatStore(db, settings.transcript_key)
    store.start()
    with pytest.raises(RuntimeError, match="write failed"):
        await store.append(conversation_id="c1", sender="player", client_id="a", text="x", at=NOW)
    assert store.writer_pid() is None
    await store.stop()
    await db.dispose()
