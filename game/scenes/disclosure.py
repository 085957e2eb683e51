"""The first screen, always reachable (F1): who runs this, who pays, why, what is kept, help.

Texts come from the reviewed content bundle with the organisation filled in from the server's
profile (or the last copy cached on this device, clearly labelled). If the organisation was
never reached, the screen says so instead of guessing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from game.net import NetState
from game.scenes.base import PageScene
from game.ui import Button, Gap, Item, Row, Text

if TYPE_CHECKING:
    from game.app import GameApp

HEADINGS = {
    "who_runs": "disclosure.h_who_runs",
    "funded_by": "disclosure.h_funded_by",
    "why": "disclosure.h_why",
    "kept": "disclosure.h_kept",
    "help_now": "disclosure.h_help_now",
}


class DisclosureScene(PageScene):
    name = "disclosure"

    def __init__(self, app: GameApp, first_run: bool = True) -> None:
        super().__init__(app)
        self.first_run = first_run
        self.closable = not first_run
        self.initial_focus = "start" if first_run else "back"

    def _org_status(self) -> str:
        app = self.app
        org = app.organisation
        if org is not None and not org.from_cache:
            return self.tr("disclosure.org_live")
        if org is not None:
            return self.tr("disclosure.org_cached", date=org.fetched_at or "?")
        if not app.net.available:
            return self.tr("disclosure.org_offline_build")
        if app.org_error or app.net.state == NetState.RECONNECTING:
            return self.tr("disclosure.org_unreachable")
        return self.tr("disclosure.org_loading")

    def _content_status(self) -> str:
        app = self.app
        short = app.bundle.sha256[:12]
        if app.content_source == "server":
            return self.tr("disclosure.content_server", hash=short)
        if app.content_source == "cache":
            return self.tr("disclosure.content_cache", hash=short)
        return self.tr("disclosure.content_shipped", hash=short)

    def items(self) -> list[Item]:
        app = self.app
        bundle = app.bundle
        items: list[Item] = [
            Text(self.tr("disclosure.title"), "title"),
            Text(self.tr("disclosure.intro"), "body", "muted"),
        ]
        for line_id in bundle.disclosure:
            key = line_id.rsplit(".", 1)[-1]
            items.append(Gap(6))
            items.append(Text(self.tr(HEADINGS.get(key, "disclosure.h_more")), "speaker", "accent"))
            items.append(Text(app.text(line_id)))
            if key == "funded_by":
                org = app.organisation
                if org is not None and org.description:
                    items.append(Text(org.description, "body", "muted"))
                if org is not None and org.contact_url:
                    items.append(
                        Text(self.tr("disclosure.contact", url=org.contact_url), "body", "muted")
                    )
                items.append(Text(self._org_status(), "small", "muted"))
        items.append(Gap(6))
        items.append(
            Text(
                self.tr("disclosure.age", age=bundle.min_age, note=app.text(bundle.age_note)),
                "small",
                "muted",
            )
        )
        items.append(Text(self._content_status(), "small", "muted"))
        items.append(Text(self.tr("disclosure.keys_hint"), "small", "muted"))
        items.append(Gap(8))
        buttons: list[Item] = []
        if self.first_run:
            has_save = self.app.saves.info("auto").exists
            label = "disclosure.continue" if has_save else "disclosure.start"
            buttons.append(Button(self.tr(label), self._start, kind="primary", ident="start"))
            if has_save:
                buttons.append(
                    Button(self.tr("disclosure.new_game"), self._new_game, ident="new_game")
                )
        else:
            buttons.append(Button(self.tr("common.back"), self.close, kind="primary", ident="back"))
        buttons.append(
            Button(self.tr("disclosure.helplines"), app.open_resources, ident="helplines")
        )
        buttons.append(Button(self.tr("disclosure.settings"), app.open_settings, ident="settings"))
        items.append(Row(buttons))
        return items

    def _start(self) -> None:
        self.app.start_story("auto")

    def _new_game(self) -> None:
        self.app.start_story(None)
