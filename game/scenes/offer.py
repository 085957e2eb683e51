"""The offer of a conversation with a real person, in the reviewed words of the bundle.

It names the organisation, says a human answers, which counsellor kinds are available now,
what is stored and for how long, and where confidentiality ends. "Yes" and "Not now" have
the same size and style, nothing is focused or selected in advance, and there is no timer.
"Not now" returns to the story exactly where the player was.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from game.content import availability_line, format_hours, opening_hours, player_zone
from game.scenes.base import PageScene
from game.ui import Button, Gap, Item, Row, Text

if TYPE_CHECKING:
    from game.app import GameApp


#: While the offer is open it asks who is on duty this often (seconds of game clock).
AVAILABILITY_POLL = 1.0
#: An answer older than this is not shown as "now": the offer says it is checking instead.
AVAILABILITY_MAX_AGE = 5.0


def kinds_text(app: GameApp) -> str:
    """Which counsellor kinds are on duty now, or honestly why we don't know.

    Only an answer the server gave in the last few seconds counts as "now"; an older one, a
    cached copy or a failed request is never shown as if it were current.
    """
    org = app.organisation
    tr = app.tr
    if not app.net.available:
        return tr("offer.no_server")
    age = app.availability_age()
    if app.org_error and age is None:
        return tr("offer.unreachable")
    if org is None or age is None or age > AVAILABILITY_MAX_AGE:
        return tr("offer.kinds_checking")
    return availability_line(org, tr)


def hours_text(app: GameApp) -> str:
    """The opening hours in the player's local time, or "" when the service has none set."""
    org = app.organisation
    if org is None or not org.service_hours:
        return ""
    zone = player_zone()
    hours = opening_hours(org.service_hours, org.timezone, zone, datetime.now(zone).date())
    return format_hours(hours, app.tr)


class OfferScene(PageScene):
    name = "offer"
    initial_focus = None  # nothing pre-selected, not even by focus

    def __init__(
        self, app: GameApp, offer_id: str = "offer.main", from_help_point: bool = False
    ) -> None:
        super().__init__(app)
        # the offer is shown from the newest approved bundle, even mid-story, so the consent
        # names exactly the wording the server publishes
        bundle = app.offer_bundle
        self.bundle = bundle
        self.offer = bundle.offers.get(offer_id) or bundle.offers["offer.main"]
        self.from_help_point = from_help_point
        self.no_server_note = False
        self._since_asked = 0.0
        self._shown_kinds = ""

    def on_enter(self) -> None:
        self._since_asked = 0.0
        self._shown_kinds = ""
        self.app.ask_organisation()  # who is on duty is asked when the offer opens

    def on_resume(self) -> None:
        self.on_enter()

    def update(self, dt: float) -> None:
        self._since_asked += dt
        if self._since_asked >= AVAILABILITY_POLL:
            self._since_asked = 0.0
            self.app.ask_organisation()
        if kinds_text(self.app) != self._shown_kinds:  # e.g. an answer grew too old
            self.refresh()

    def items(self) -> list[Item]:
        app, offer, tr = self.app, self.offer, self.tr
        items: list[Item] = [
            Text(app.text(offer.title, self.bundle), "title"),
            Text(app.text(offer.body, self.bundle)),
            Text(self._kinds_line(), "body", "accent"),
        ]
        hours = hours_text(app)
        if hours:
            items.append(Text(hours, "small", "muted"))
        items += [
            Gap(4),
            Text(tr("offer.h_stored"), "speaker"),
            Text(app.text(offer.stored, self.bundle)),
            Text(tr("offer.h_confidentiality"), "speaker"),
            Text(app.text(offer.confidentiality, self.bundle)),
            Gap(6),
            Row(
                [
                    Button(app.text(offer.yes, self.bundle), self.yes, ident="yes", min_width=220),
                    Button(
                        app.text(offer.not_now, self.bundle),
                        self.not_now,
                        ident="not_now",
                        min_width=220,
                    ),
                ],
                gap=24,
                equal=True,
            ),
        ]
        if self.no_server_note:
            items.append(Text(tr("offer.no_server_yes"), "body", "accent"))
        items += [
            Text(tr("offer.no_pressure"), "small", "muted"),
            Button(tr("offer.helplines"), lambda: app.open_resources(), ident="helplines"),
        ]
        return items

    def _kinds_line(self) -> str:
        self._shown_kinds = kinds_text(self.app)
        return self._shown_kinds

    def yes(self) -> None:
        from game.scenes.preferences import PreferencesScene

        if not self.app.net.available:
            self.no_server_note = True
            self.refresh()
            return
        self.app.replace(PreferencesScene(self.app, self.offer, self.bundle))

    def not_now(self) -> None:
        self.close()

    def close(self) -> None:
        """ "Not now", Escape or Back: declined, so help points stay quiet from now on."""
        story = self.app.story_scene
        if story is not None:
            story.offer_was_declined()
        super().close()
