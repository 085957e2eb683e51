"""Helpers (no tests) for the ethics board integration tests: staff lookups, bundle variants."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from game.narrative import Bundle, load_story
from server.board.service import Staff
from server.storage.db import Database
from server.storage.models import StaffAccount

STORY = Path(__file__).resolve().parents[1] / "unit" / "ethics" / "story_fixture"


async def staff(db: Database, username: str) -> Staff:
    """The demo account ``username`` as a board actor."""
    async with db.session() as session:
        row = (
            await session.exec(select(StaffAccount).where(StaffAccount.username == username))
        ).one()
    assert row.id is not None
    return Staff(id=row.id, roles=list(row.roles))


def bundle_bytes(tmp_path: Path, replace: tuple[str, str] | None = None) -> bytes:
    """Canonical bytes of the test story, optionally with one text replaced in nodes.yaml."""
    import shutil

    target = tmp_path / f"story{len(list(tmp_path.glob('story*')))}"
    shutil.copytree(STORY, target)
    if replace:
        path = target / "nodes.yaml"
        text = path.read_text(encoding="utf-8")
        assert replace[0] in text
        path.write_text(text.replace(*replace), encoding="utf-8")
    return Bundle.from_story(load_story(target)).to_bytes()
