"""Save slots: save the current place in one of three slots, or load any slot (including the
autosave). Loading replaces the current playthrough after the player confirms."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from game.exceptions import SaveError
from game.saves import SLOTS
from game.scenes.base import PageScene
from game.ui import Button, Gap, Item, Row, Text

if TYPE_CHECKING:
    from game.app import GameApp


def _local(iso: str) -> str:
    """A save's UTC timestamp as the player's local date and time."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


class SavesScene(PageScene):
    name = "saves"
    initial_focus = "save_1"

    def __init__(self, app: GameApp, story: Any) -> None:
        super().__init__(app)
        self.story = story
        self.message: str | None = None

    def items(self) -> list[Item]:
        tr = self.tr
        items: list[Item] = [
            Text(tr("saves.title"), "title"),
            Text(tr("saves.intro"), "body", "muted"),
        ]
        if self.message:
            items.append(Text(self.message, "body", "accent"))
        for slot in SLOTS:
            info = self.app.saves.info(slot)
            name = tr("saves.auto") if slot == "auto" else tr("saves.slot", n=slot)
            items.append(Gap(4))
            items.append(Text(name, "speaker"))
            if info.exists:
                items.append(Text(f"{info.label}  ({_local(info.saved_at)})", "body", "muted"))
            else:
                items.append(Text(tr("saves.empty"), "body", "muted"))
            buttons: list[Item] = []
            if slot != "auto":
                buttons.append(
                    Button(tr("saves.save_here"), partial(self.save, slot), ident=f"save_{slot}")
                )
            if info.exists:
                buttons.append(
                    Button(tr("saves.load"), partial(self.load, slot), ident=f"load_{slot}")
                )
            if buttons:
                items.append(Row(buttons))
        items.append(Gap(8))
        items.append(Button(tr("common.back"), self.close, kind="primary", ident="back"))
        return items

    def save(self, slot: str) -> None:
        try:
            self.story.save(slot)
            self.message = self.tr("saves.saved", n=slot)
        except SaveError as exc:
            self.message = str(exc)
        self.refresh()

    def load(self, slot: str) -> None:
        self.story.load(slot)
        self.story.autosave()
        self.close()
