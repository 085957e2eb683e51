"""Save slots and the autosave, as JSON files in the user data directory.

A save holds the engine's own save data (node, variables, history; see game.narrative),
the bundle hash it was made with, the locale and a short label. It never holds chat text.
Loading on a newer bundle is the engine's job (Engine.from_save maps moved nodes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from game.exceptions import SaveError
from game.paths import atomic_write

SLOTS = ("auto", "1", "2", "3")


@dataclass
class SaveInfo:
    slot: str
    label: str
    saved_at: str
    exists: bool


class SaveStore:
    def __init__(self, home: Path) -> None:
        self.folder = home / "saves"

    def path(self, slot: str) -> Path:
        if slot not in SLOTS:
            raise SaveError(f"unknown save slot {slot!r}")
        return self.folder / f"{'autosave' if slot == 'auto' else 'slot' + slot}.json"

    def write(
        self,
        slot: str,
        *,
        engine_data: dict[str, Any],
        bundle_hash: str,
        locale: str,
        label: str,
        backlog: list[list[str]] | None = None,
    ) -> None:
        data = {
            "format": 1,
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "bundle_hash": bundle_hash,
            "locale": locale,
            "label": label[:120],
            "engine": engine_data,
            "backlog": (backlog or [])[-200:],
        }
        try:
            atomic_write(self.path(slot), json.dumps(data, ensure_ascii=False).encode("utf-8"))
        except OSError as exc:
            raise SaveError(f"could not write the save: {exc}") from exc

    def read(self, slot: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path(slot).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise SaveError(f"the save in slot {slot} cannot be read: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("engine"), dict):
            raise SaveError(f"the save in slot {slot} is damaged")
        return data

    def info(self, slot: str) -> SaveInfo:
        try:
            data = self.read(slot)
        except SaveError:
            return SaveInfo(slot, "?", "", True)
        if data is None:
            return SaveInfo(slot, "", "", False)
        return SaveInfo(slot, str(data.get("label", "")), str(data.get("saved_at", "")), True)

    def delete(self, slot: str) -> None:
        try:
            self.path(slot).unlink()
        except FileNotFoundError:
            pass
