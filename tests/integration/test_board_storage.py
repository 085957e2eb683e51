"""The board's storage on SQLite and PostgreSQL: full governed publish, append-only log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from ethics.exportdir import read_export
from ethics.verify import verify_export
from server.board import service
from server.settings import Settings
from server.storage.db import Database
from server.storage.models import StaffAccount
from tests.integration.test_board_helpers import bundle_bytes

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


async def _accounts(db: Database) -> dict[str, service.Staff]:
    out = {}
    async with db.session() as session:
        for name, roles in (("a", ["author"]), ("r1", ["reviewer"]), ("r2", ["reviewer"])):
            row = StaffAccount(
                username=name,
                display_name=name,
                password_hash="x",
                roles=roles,
                languages=["en"],
                created_at=NOW,
            )
            session.add(row)
            await session.flush()
            assert row.id is not None
            out[name] = service.Staff(id=row.id, roles=roles)
        await session.commit()
    return out


async def test_governed_publish_and_append_only_log(any_database_url: str, tmp_path: Path) -> None:
    """On both databases a publish needs quorum, exports verify, and the log cannot be edited."""
    settings = Settings(
        dev_mode=True, database_url=any_database_url, ethics_key_dir=tmp_path / "keys"
    )
    db = Database(any_database_url)
    try:
        staff = await _accounts(db)
        prop = await service.propose(
            db,
            settings,
            actor=staff["a"],
            bundle_bytes=bundle_bytes(tmp_path),
            message="First story",
            now=NOW,
        )
        assert prop.id is not None
        view = await service.proposal_view(db, settings, prop.id)
        for who in ("r1", "r2"):
            await service.review(
                db,
                settings,
                actor=staff[who],
                proposal_id=prop.id,
                bundle_hash=view.current.bundle_hash,
                decision="approve",
                rationale="Honest, calm and clear.",
                checklist=dict.fromkeys(service.checklist_items(), True),
                now=NOW,
            )
        await service.publish(db, settings, actor=staff["r1"], proposal_id=prop.id, now=NOW)
        await service.export(db, settings, tmp_path / "export", NOW)
        report = verify_export(read_export(tmp_path / "export"))
        assert report.ok, [str(p) for p in report.problems]

        statements = [
            "UPDATE ethics_log_entry SET kind = 'x'",
            "DELETE FROM ethics_log_entry",
            "UPDATE ethics_checkpoint SET size = 0",
            "DELETE FROM ethics_checkpoint",
        ]
        if db.dialect == "postgresql":
            statements.append("TRUNCATE ethics_log_entry")
        for statement in statements:
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                async with db.session() as session:
                    conn = await session.connection()
                    await conn.execute(sa.text(statement))
                    await session.commit()
        async with db.session() as session:
            assert await service.log_size(session) == report.size
    finally:
        await db.dispose()
