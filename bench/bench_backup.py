"""Backup benchmark: ``crossroads backup`` of a SQLite database holding 100,000 chat messages.

Prints figures only (no pass/fail). Run with ``make bench`` or
``python bench/bench_backup.py [--messages N]``. The database is migrated to head and filled
with 1,000 conversations of encrypted-size message bodies (about 200 bytes each, as Fernet
makes of a short chat line), in WAL mode as the server runs it; the backup reads it through
SQLite's online backup API while a reader holds it open, then restore puts it back.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.backup import backup, restore  # noqa: E402
from server.storage.migrate import upgrade  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def fill(db_file: Path, messages: int, conversations: int = 1000) -> None:
    """Add ``messages`` chat messages spread over ``conversations`` conversations."""
    con = sqlite3.connect(db_file)
    con.execute("PRAGMA journal_mode=WAL")
    at = T0.isoformat(sep=" ")
    for c in range(conversations):
        con.execute(
            "INSERT INTO player_session (id, token_hash, created_at, last_seen_at) "
            "VALUES (?, ?, ?, ?)",
            (f"s{c:035d}", f"{c:064x}", at, at),
        )
        con.execute(
            "INSERT INTO conversation (id, request_id, session_id, organisation, state, "
            "started_at) VALUES (?, ?, ?, 'demo', 'active', ?)",
            (f"c{c:031d}", f"r{c:031d}", f"s{c:035d}", at),
        )
    per = messages // conversations
    con.executemany(
        "INSERT INTO chat_message (conversation_id, seq, sender, client_id, body, at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            (f"c{n // per:031d}", n % per + 1, "player", f"m{n}", os.urandom(200), at)
            for n in range(per * conversations)
        ),
    )
    con.commit()
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db_file = root / "live" / "crossroads.db"
        url = f"sqlite+aiosqlite:///{db_file}"
        upgrade(url)
        fill(db_file, args.messages)
        keys = root / "live" / "ethics-keys"
        keys.mkdir()
        (keys / "bench.key").write_bytes(os.urandom(64))
        reader = sqlite3.connect(db_file)  # the server keeps the database open meanwhile
        reader.execute("SELECT count(*) FROM chat_message").fetchone()
        started = time.perf_counter()
        report = backup(url, keys, root / "backup", T0)
        took = time.perf_counter() - started
        reader.close()
        size_mb = report.database_bytes / 1e6
        print(
            f"backup of {report.chat_messages:,} chat messages ({size_mb:.1f} MB): "
            f"{took:.2f} s ({size_mb / took:.0f} MB/s, including SHA-256 of every file)"
        )
        started = time.perf_counter()
        restored = restore(root / "backup", f"sqlite+aiosqlite:///{root / 'new.db'}", root / "k")
        took = time.perf_counter() - started
        print(f"restore of the same backup (checked against its manifest): {took:.2f} s")
        assert restored.chat_messages == report.chat_messages


if __name__ == "__main__":
    main()
