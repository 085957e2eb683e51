"""Backup and restore of a SQLite deployment: the database, the ethics key folder, a manifest.

``backup`` copies the database while the server runs, through SQLite's online backup API
(one consistent snapshot of every committed transaction, acknowledged chat messages
included), copies the ethics signing keys, and writes ``manifest.json`` with the SHA-256 of
every file, so ``restore`` can refuse a damaged or incomplete backup. ``restore`` refuses a
database a running server has open, and one that holds a schema unless forced
(docs/OPERATIONS.md). PostgreSQL deployments use ``pg_dump`` instead (same document).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

MANIFEST = "manifest.json"
DATABASE_FILE = "crossroads.db"
KEYS_FOLDER = "ethics-keys"
FORMAT = "crossroads-backup"
FORMAT_VERSION = 1


class BackupError(Exception):
    """The operator asked for something that cannot be done safely; the message says why."""


@dataclass(frozen=True)
class BackupReport:
    """What a backup or restore wrote."""

    folder: Path
    database_bytes: int
    key_files: int
    revision: str | None
    chat_messages: int


def sqlite_file(database_url: str) -> Path:
    """The file of a SQLite URL; a :class:`BackupError` for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"{url.get_backend_name()} databases are backed up with pg_dump "
            "(see docs/OPERATIONS.md, section Backups); this command handles SQLite"
        )
    if url.database in (None, "", ":memory:"):
        raise BackupError("an in-memory database cannot be backed up")
    return Path(url.database)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _facts(db_file: Path) -> tuple[str | None, int]:
    """The Alembic revision and the number of chat messages of a database file."""
    with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True) as con:
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master")}
        revision = (
            con.execute("SELECT version_num FROM alembic_version").fetchone()
            if "alembic_version" in tables
            else None
        )
        messages = (
            con.execute("SELECT count(*) FROM chat_message").fetchone()[0]
            if "chat_message" in tables
            else 0
        )
    con.close()
    return (revision[0] if revision else None), int(messages)


def _package_version() -> str:
    try:
        return version("crossroads")
    except PackageNotFoundError:
        return "unknown"


def backup(database_url: str, key_dir: Path, target: Path, now: datetime) -> BackupReport:
    """Copy the live database and the key folder into the new folder ``target``."""
    source = sqlite_file(database_url)
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not an empty folder; choose a new one")
    target.mkdir(parents=True, exist_ok=True)
    copy = target / DATABASE_FILE
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(copy)
    try:
        src.backup(dst)  # all pages in one step: one snapshot, however busy the server is
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        dst.close()
        src.close()
    _fsync(copy)
    keys: dict[str, str] = {}
    if key_dir.is_dir():
        (target / KEYS_FOLDER).mkdir(mode=0o700)
        for key in sorted(p for p in key_dir.iterdir() if p.is_file()):
            shutil.copy2(key, target / KEYS_FOLDER / key.name)
            _fsync(target / KEYS_FOLDER / key.name)
            keys[key.name] = _sha256(key)
    revision, messages = _facts(copy)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": now.astimezone(UTC).isoformat(),
        "crossroads_version": _package_version(),
        "alembic_revision": revision,
        "database": {
            "file": DATABASE_FILE,
            "bytes": copy.stat().st_size,
            "sha256": _sha256(copy),
            "chat_messages": messages,
        },
        "ethics_keys": keys,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    _fsync(target / MANIFEST)
    return BackupReport(target, copy.stat().st_size, len(keys), revision, messages)


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a backup folder, checked against the files it lists."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{folder} is not a Crossroads backup (no {MANIFEST})") from exc
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder / MANIFEST} cannot be read: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{folder / MANIFEST} is not a Crossroads backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"backup format {manifest.get('format_version')!r} is not supported "
            f"(this version reads {FORMAT_VERSION})"
        )
    database = folder / DATABASE_FILE
    if not database.is_file() or _sha256(database) != manifest["database"]["sha256"]:
        raise BackupError(f"{database} is missing or differs from the manifest; not restoring it")
    for name, digest in manifest["ethics_keys"].items():
        key = folder / KEYS_FOLDER / name
        if Path(name).name != name or not key.is_file() or _sha256(key) != digest:
            raise BackupError(f"ethics key {name} is missing or differs from the manifest")
    return manifest


def holds_schema(db_file: Path) -> bool:
    """True when the file is a database with tables in it (one worth not overwriting)."""
    if not db_file.exists():
        return False
    if db_file.stat().st_size == 0:
        return False
    try:
        with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True) as con:
            found = con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        con.close()
    except sqlite3.DatabaseError:
        return True  # unreadable, but something is there: not ours to destroy unasked
    return bool(found)


def in_use(db_file: Path) -> bool:
    """True while another connection (a running server) has the database open.

    Every connection to a WAL database holds a shared lock on it, so an exclusive lock can
    only be had when nobody else is connected; the probe takes it and lets go at once.
    """
    if not db_file.exists():
        return False
    probe = sqlite3.connect(db_file, timeout=0, isolation_level=None)
    try:
        probe.execute("PRAGMA locking_mode=EXCLUSIVE")
        probe.execute("BEGIN EXCLUSIVE")
        probe.execute("ROLLBACK")
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()
    return False


def restore(folder: Path, database_url: str, key_dir: Path, *, force: bool = False) -> BackupReport:
    """Put a backup in place of the configured database and add its ethics keys.

    A database a running server has open is never replaced, ``force`` or not; without
    ``force`` a database that holds a schema is not replaced either. Keys already in the key
    folder are kept (a key is never deleted); one whose content differs from the backup's
    copy is replaced only with ``force``.
    """
    manifest = read_manifest(folder)
    target = sqlite_file(database_url)
    if in_use(target):
        raise BackupError(f"{target} is in use by a running server; stop it first")
    if holds_schema(target) and not force:
        raise BackupError(
            f"{target} already holds a database; stop the server and pass --force to replace it"
        )
    conflicts = [
        name
        for name in manifest["ethics_keys"]
        if (key_dir / name).is_file() and _sha256(key_dir / name) != manifest["ethics_keys"][name]
    ]
    if conflicts and not force:
        raise BackupError(
            f"the key folder {key_dir} holds different keys named {', '.join(conflicts)}; "
            "pass --force to replace them"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(folder / DATABASE_FILE, staged)
    _fsync(staged)
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(staged, target)
    if manifest["ethics_keys"]:
        key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in manifest["ethics_keys"]:
        shutil.copy2(folder / KEYS_FOLDER / name, key_dir / name)
    revision, messages = _facts(target)
    return BackupReport(
        folder, target.stat().st_size, len(manifest["ethics_keys"]), revision, messages
    )
