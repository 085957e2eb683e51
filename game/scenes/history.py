"""The backlog: everything said so far in this playthrough, with the choices taken.

Opens scrolled to the newest entry; PageUp/PageDown, arrows and the mouse wheel scroll it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from game.scenes.base import PageScene
from game.ui import Button, Gap, Item, Text

if TYPE_CHECKING:
    from game.app import GameApp


class HistoryScene(PageScene):
    name = "history"
    initial_focus = "back"

    def __init__(self, app: GameApp, backlog: list[list[str]]) -> None:
        super().__init__(app)
        self.backlog = backlog

    def items(self) -> list[Item]:
        tr = self.tr
        items: list[Item] = [Text(tr("history.title"), "title")]
        if not self.backlog:
            items.append(Text(tr("history.empty"), "body", "muted"))
        for speaker, text, chosen in self.backlog:
            items.append(Gap(4))
            if speaker:
                items.append(Text(speaker, "speaker", "accent"))
            items.append(Text(text))
            if chosen:
                items.append(Text(tr("history.you_chose", choice=chosen), "body", "muted"))
        items.append(Gap(8))
        items.append(Button(tr("common.back"), self.close, kind="primary", ident="back"))
        return items

    def on_enter(self) -> None:
        self.ensure_built()
        self.panel.scroll = self.panel.max_scroll
