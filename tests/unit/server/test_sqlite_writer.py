"""The SQLite chat writer's child side, driven through its frames as the server drives it:
batches are encrypted and stored in one transaction, a refused batch leaves nothing behind
and says why, a confused request gets an error instead of a crash, and a closed pipe ends it."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

import msgpack
import pytest
from cryptography.fernet import Fernet

from server.chat.message_cipher import MessageCipher
from server.chat.sqlite_writer import serve

KEY = Fernet.generate_key().decode()
SCHEMA = """
CREATE TABLE chat_message (
    id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL, seq INTEGER NOT NULL,
    sender TEXT NOT NULL, client_id TEXT NOT NULL, body BLOB NOT NULL, at TEXT NOT NULL,
    UNIQUE (conversation_id, seq), UNIQUE (conversation_id, sender, client_id)
)
"""
AT = "2026-11-27 10:00:00.000000"


def frames(*requests: Any) -> io.BytesIO:
    out = b""
    for request in requests:
        body = msgpack.packb(request)
        out += len(body).to_bytes(4, "big") + body
    return io.BytesIO(out)


def replies(stream: io.BytesIO) -> list[Any]:
    data, out = stream.getvalue(), []
    while data:
        size = int.from_bytes(data[:4], "big")
        out.append(msgpack.unpackb(data[4 : 4 + size]))
        data = data[4 + size :]
    return out


@pytest.fixture
def database(tmp_path: Path) -> str:
    path = str(tmp_path / "chat.db")
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA)
    return path


def run(database: str, *requests: Any) -> list[Any]:
    out = io.BytesIO()
    opening = ["open", {"path": database, "pragmas": ["PRAGMA journal_mode=WAL"], "key": KEY}]
    assert serve(frames(opening, *requests), out) == 0
    answers = replies(out)
    assert answers[0] == ["ok", None]
    return answers[1:]


def rows(database: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as conn:
        return conn.execute(
            "SELECT conversation_id, seq, sender, client_id, body, at FROM chat_message ORDER BY id"
        ).fetchall()


def test_a_batch_is_stored_encrypted_and_loads_back(database: str) -> None:
    """Two messages go in as one batch; the table holds ciphertext that decrypts to them."""
    answers = run(
        database,
        ["insert", [["c1", 1, "player", "a", "hello", AT], ["c1", 2, "counsellor", "b", "hi", AT]]],
        ["load", ["c1", "c2"]],
    )
    assert answers[0] == ["ok", 2]
    assert answers[1] == [
        "ok",
        {"c1": [["player", "a", 1, AT], ["counsellor", "b", 2, AT]], "c2": []},
    ]
    stored = rows(database)
    assert [MessageCipher(KEY).decrypt("c1", r[4]) for r in stored] == ["hello", "hi"]
    assert all(b"hello" not in r[4] for r in stored)


def test_a_refused_batch_leaves_nothing_and_is_named_an_integrity_error(database: str) -> None:
    """A duplicate seq refuses the whole batch (its good row too), and the next batch works."""
    answers = run(
        database,
        ["insert", [["c1", 1, "player", "a", "first", AT]]],
        ["insert", [["c1", 2, "player", "b", "fine", AT], ["c1", 1, "player", "c", "clash", AT]]],
        ["insert", [["c1", 2, "player", "b", "fine", AT]]],
    )
    assert answers[0] == ["ok", 1]
    assert answers[1][:2] == ["error", "integrity"] and "UNIQUE" in answers[1][2]
    assert answers[2] == ["ok", 1]
    assert [r[1] for r in rows(database)] == [1, 2]


def test_confused_requests_get_errors_not_a_crash(database: str) -> None:
    """An unknown request and a malformed batch are answered with errors; serving goes on."""
    answers = run(
        database,
        ["shred", None],
        ["insert", [["c1", 1, "player"]]],
        ["insert", [["c1", 1, "player", "a", "still works", AT]]],
    )
    assert answers[0] == ["error", "failed", "unknown request 'shred'"]
    assert answers[1][:2] == ["error", "failed"]
    assert answers[2] == ["ok", 1]


def test_nothing_is_written_before_the_database_is_opened() -> None:
    """A batch before ``open`` is refused with a reason."""
    out = io.BytesIO()
    assert serve(frames(["insert", [["c1", 1, "player", "a", "x", AT]]]), out) == 0
    assert replies(out) == [["error", "failed", "'insert' before 'open'"]]


def test_a_closed_or_cut_pipe_ends_the_process_cleanly(database: str) -> None:
    """End of input, even in the middle of a frame, ends serving with exit code 0."""
    whole = frames(["insert", [["c1", 1, "player", "a", "x", AT]]]).getvalue()
    out = io.BytesIO()
    assert serve(io.BytesIO(whole[:-3]), out) == 0
    assert replies(out) == []
