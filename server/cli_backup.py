"""``crossroads backup DIR`` and ``crossroads restore DIR [--force]`` (SQLite deployments).

Thin wrappers over :mod:`server.backup`: they read the settings, print what was written and
turn a :class:`~server.backup.BackupError` into a clear message with exit status 1.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from server.backup import BackupError, backup, restore
from server.cli import CliError, _settings
from server.storage.types import utcnow


def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the live database and the ethics keys into a new folder, with a manifest."""
    settings = _settings(args)
    started = time.perf_counter()
    try:
        report = backup(settings.database_url, settings.ethics_key_dir, args.folder, utcnow())
    except (BackupError, OSError) as exc:
        raise CliError(f"backup failed: {exc}") from exc
    print(
        f"backup written to {report.folder} in {time.perf_counter() - started:.1f} s: "
        f"database {report.database_bytes:,} bytes ({report.chat_messages:,} chat messages, "
        f"revision {report.revision}), {report.key_files} ethics key file(s)"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Put a backup in place of the configured database (stop the server first)."""
    settings = _settings(args)
    try:
        report = restore(
            args.folder, settings.database_url, settings.ethics_key_dir, force=args.force
        )
    except (BackupError, OSError) as exc:
        raise CliError(f"restore refused: {exc}") from exc
    print(
        f"restored {report.folder} into {settings.database_url}: {report.chat_messages:,} chat "
        f"messages, revision {report.revision}, {report.key_files} ethics key file(s). "
        "Run `crossroads db upgrade` before serving."
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``backup`` and ``restore`` to the top-level command list."""
    parser = sub.add_parser("backup", help="copy the live SQLite database and ethics keys")
    parser.add_argument("folder", type=Path, metavar="DIR", help="a new or empty folder")
    parser.set_defaults(func=cmd_backup)
    parser = sub.add_parser("restore", help="restore a backup made by `crossroads backup`")
    parser.add_argument("folder", type=Path, metavar="DIR", help="the backup folder")
    parser.add_argument(
        "--force", action="store_true", help="replace an existing database (server stopped)"
    )
    parser.set_defaults(func=cmd_restore)
