"""The story menu used at large text sizes: history, saves, helplines, settings, about.

At 150 % text and more the top bar keeps only "Talk to someone" and this menu (M), so the
story text keeps its room; every entry still has its own key as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from game.scenes.base import PageScene
from game.ui import Button, Item, Text

if TYPE_CHECKING:
    from game.app import GameApp


class MenuScene(PageScene):
    name = "menu"
    initial_focus = "history"

    def __init__(self, app: GameApp, story: Any) -> None:
        super().__init__(app)
        self.story = story

    def _then(self, action: Any) -> Any:
        def run() -> None:
            self.app.pop(self)
            action()

        return run

    def items(self) -> list[Item]:
        tr, app, story = self.tr, self.app, self.story
        return [
            Text(tr("story.menu_title"), "title"),
            Button(
                tr("story.history"),
                self._then(story.open_history),
                full_width=True,
                ident="history",
            ),
            Button(tr("story.saves"), self._then(story.open_saves), full_width=True, ident="saves"),
            Button(
                tr("story.helplines"),
                self._then(app.open_resources),
                full_width=True,
                ident="helplines",
            ),
            Button(
                tr("story.settings"),
                self._then(app.open_settings),
                full_width=True,
                ident="settings",
            ),
            Button(tr("story.about"), self._then(app.open_about), full_width=True, ident="about"),
            Button(tr("common.back"), self.close, kind="primary", ident="back"),
        ]
