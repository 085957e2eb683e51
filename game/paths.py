"""Where the client keeps its files: shipped assets, and the player's own data directory.

The user data directory follows the XDG convention (~/.local/share/crossroads) and can be moved
with CROSSROADS_GAME_HOME, which tests use to keep each run in a temporary folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
FONTS = ASSETS / "fonts"
I18N = ASSETS / "i18n"
STORY = ASSETS / "story"


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
