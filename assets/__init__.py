"""The files every Crossroads install ships: story, translations, fonts, images and sounds.

This folder is installed as the ``crossroads_assets`` package (``pyproject.toml`` maps the
package onto it and lists its files as package data), so a wheel carries them and nothing
needs the repository. Code asks :func:`folder` where a kind of asset lives instead of
computing it from the repository root; ``game.paths`` is the one place that does.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: The sub-folders the game and the server read.
KINDS = ("fonts", "i18n", "images", "sounds", "story")


def root() -> Path:
    """The installed asset folder as a real directory (wheels are installed unzipped)."""
    found = files(__name__)
    if not isinstance(found, Path):
        raise RuntimeError(
            f"Crossroads assets must be installed as files, not inside an archive ({found})"
        )
    return found


def folder(kind: str) -> Path:
    """The folder of one kind of asset, e.g. ``folder("story")``."""
    if kind not in KINDS:
        raise ValueError(f"unknown asset kind {kind!r}; one of {', '.join(KINDS)}")
    return root() / kind
