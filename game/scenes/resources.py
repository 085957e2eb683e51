"""Helplines for the player's language, from the reviewed content bundle.

Opened from the disclosure screen, the story (R / F3), the offer, and at once when the player
chooses "I need help now" (crisis mode puts the emergency text first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from game.scenes.base import PageScene
from game.ui import Button, Gap, Item, Text

if TYPE_CHECKING:
    from game.app import GameApp


class ResourcesScene(PageScene):
    name = "resources"
    initial_focus = "back"

    def __init__(self, app: GameApp, crisis: bool = False) -> None:
        super().__init__(app)
        self.crisis = crisis

    def helplines(self) -> list:  # type: ignore[type-arg]
        bundle = self.app.bundle
        lines = list(bundle.helplines_for(self.app.locale))
        return lines or list(bundle.helplines_for(bundle.source_locale))

    def items(self) -> list[Item]:
        tr = self.tr
        items: list[Item] = [
            Text(tr("resources.crisis_title" if self.crisis else "resources.title"), "title")
        ]
        help_now = [lid for lid in self.app.bundle.disclosure if lid.endswith(".help_now")]
        if self.crisis:
            items.append(Text(tr("resources.crisis_intro"), "body", "accent"))
        for lid in help_now:
            items.append(Text(self.app.text(lid), "speaker", "accent"))
        for hl in self.helplines():
            items.append(Gap(8))
            items.append(Text(hl.name, "speaker"))
            if hl.description:
                items.append(Text(hl.description))
            if hl.phone:
                items.append(Text(tr("resources.phone", phone=hl.phone)))
            if hl.url:
                items.append(Text(tr("resources.web", url=hl.url)))
            if hl.hours:
                items.append(Text(tr("resources.hours", hours=hl.hours), "body", "muted"))
        items.append(Gap(8))
        if self.crisis:
            items.append(Text(tr("resources.crisis_chat_note"), "body", "muted"))
        items.append(Button(tr("common.back"), self.close, kind="primary", ident="back"))
        return items
