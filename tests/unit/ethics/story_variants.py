"""Build real content bundles from the minimal fixture story, with textual edits."""

from __future__ import annotations

import shutil
from pathlib import Path

from game.narrative import Bundle, load_story

FIXTURE = Path(__file__).resolve().parent / "story_fixture"


def make_bundle(tmp_path: Path, edits: dict[str, list[tuple[str, str]]] | None = None) -> Bundle:
    """Copy the fixture story, apply (old, new) text replacements per file, load the bundle."""
    target = tmp_path / f"story{len(list(tmp_path.iterdir()))}"
    shutil.copytree(FIXTURE, target)
    for name, replacements in (edits or {}).items():
        path = target / name
        text = path.read_text(encoding="utf-8")
        for old, new in replacements:
            assert old in text, f"{old!r} not in {name}"
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    return Bundle.from_story(load_story(target))
