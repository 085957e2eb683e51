"""Player preferences (text size, contrast, font, speed, motion, volume, language, voice).

Stored as JSON in the user data directory and written atomically on every change, so they
persist between runs. Unknown or out-of-range values from an old or edited file are clamped.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from game.paths import atomic_write

TEXT_SPEEDS = ("instant", "fast", "normal", "slow")
# characters per second for the typewriter effect; 0 means the whole text at once
CHARS_PER_SECOND = {"instant": 0.0, "fast": 120.0, "normal": 55.0, "slow": 25.0}
TEXT_SCALES = (100, 125, 150, 175, 200)


@dataclass
class Settings:
    """What the player chose in the settings screen."""

    text_scale: int = 100
    high_contrast: bool = False
    legible_font: bool = False
    text_speed: str = "normal"
    reduced_motion: bool = False
    volume: int = 70
    language: str = "en"
    self_voicing: bool = False

    def clamp(self) -> Settings:
        self.text_scale = min(200, max(100, int(self.text_scale)))
        self.volume = min(100, max(0, int(self.volume)))
        if self.text_speed not in TEXT_SPEEDS:
            self.text_speed = "normal"
        if self.language not in ("en", "de"):
            self.language = "en"
        return self

    @property
    def chars_per_second(self) -> float:
        return CHARS_PER_SECOND[self.text_speed]

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read settings; a missing or unreadable file gives the defaults."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        names = {f.name: f.type for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in names}
        try:
            return cls(**values).clamp()
        except (TypeError, ValueError):
            return cls()

    def save(self, path: Path) -> None:
        atomic_write(path, json.dumps(asdict(self), indent=2, sort_keys=True).encode("utf-8"))
