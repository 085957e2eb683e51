"""Shown instead of a story the game could not confirm was approved, or that was withdrawn.

The game never shows content whose offline proof fails against the pinned ethics log key, and
stops showing content the board withdrew. This page says so in plain words and lists the
helplines (from the story shipped with the game), because someone who opened the game may need
them whatever happened to the story.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from game.scenes.resources import ResourcesScene
from game.ui import Gap, Item, Text

if TYPE_CHECKING:
    from game.app import GameApp


class UnconfirmedScene(ResourcesScene):
    name = "unconfirmed"

    def __init__(self, app: GameApp, withdrawn: bool = False) -> None:
        super().__init__(app)
        self.withdrawn = withdrawn

    def items(self) -> list[Item]:
        tr = self.tr
        key = "withdrawn" if self.withdrawn else "unconfirmed"
        head: list[Item] = [
            Text(tr(f"content_check.{key}_title"), "title"),
            Text(tr(f"content_check.{key}_body"), "body", "accent"),
            Text(tr("content_check.helplines_intro")),
            Gap(8),
        ]
        rest = super().items()
        return head + rest[1:]  # the helplines page without its own title
