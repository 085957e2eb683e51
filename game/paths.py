"""Where the client keeps its files: shipped assets, and the player's own data directory.

The shipped assets are the installed ``crossroads_assets`` package (the repository's assets/
folder), found through importlib.resources, so an installed wheel works from any directory.
The server reads the shipped story from here too: this module is their one home.

The user data directory follows the XDG convention (~/.local/share/crossroads) and can be moved
with CROSSROADS_GAME_HOME, which tests use to keep each run in a temporary folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import crossroads_assets

#: The repository checkout (only for development tools that read tests/ or docs/).
ROOT = Path(__file__).resolve().parent.parent
ASSETS = crossroads_assets.root()
FONTS = crossroads_assets.folder("fonts")
IMAGES = crossroads_assets.folder("images")
I18N = crossroads_assets.folder("i18n")
SOUNDS = crossroads_assets.folder("sounds")
STORY = crossroads_assets.folder("story")


def user_data_dir() -> Path:
    """Return (and create) the directory for settings, saves and the cached content bundle."""
    env = os.environ.get("CROSSROADS_GAME_HOME")
    if env:
        base = Path(env)
    elif sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "crossroads"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support" / "crossroads"
    else:
        xdg = os.environ.get("XDG_DATA_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".local" / "share") / "crossroads"
    base.mkdir(parents=True, exist_ok=True)
    return base


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file so that a crash leaves either the old or the new content, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
