"""Shared helpers for the narrative tests: copies of the minimal story with small edits."""

from __future__ import annotations

import shutil
from pathlib import Path

from game.narrative import Bundle, load_story
from game.paths import STORY

REPO = Path(__file__).resolve().parents[3]
STORY_MIN = REPO / "tests" / "fixtures" / "story_min"
SHIPPED = STORY
TWEE = REPO / "tests" / "fixtures" / "twee"


def copy_story(tmp_path: Path, name: str = "story") -> Path:
    """A private copy of the minimal story that a test may edit."""
    dest = tmp_path / name
    shutil.copytree(STORY_MIN, dest)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    """Replace exactly one occurrence of `old` in a story file."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def min_bundle() -> Bundle:
    return Bundle.from_story(load_story(STORY_MIN))
