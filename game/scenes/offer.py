"""The offer of a conversation with a real person, in the reviewed words of the bundle.

It names the organisation, says a human answers, which counsellor kinds are available now,
what is stored and for how long, and where confidentiality ends. "Yes" and "Not now" have
the same size and style, nothing is focused or selected in advance, and there is no timer.
"Not now" returns to the story exactly where the player was.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from game.content import DAYS, hours_in_local_time
from game.scenes.base import PageScene
from game.ui import Button, Gap, Item, Row, Text

if TYPE_CHECKING:
    from game.app import GameApp


def kinds_text(app: GameApp) -> str:
    """Which counsellor kinds are on duty now, or honestly why we don't know."""
    org = app.organisation
    tr = app.tr
    if not app.net.available:
        return tr("offer.no_server")
    if app.org_error and (org is None or org.from_cache):
        return tr("offer.unreachable")
    if org is None or org.from_cache or org.open_now is None:
        return tr("offer.kinds_unknown")
    if not org.open_now:
        return tr("offer.closed_now")
    if not org.kinds_available_now:
        return tr("offer.kinds_none")
    names = ", ".join(tr(f"kind.{k}") for k in org.kinds_available_now)
    return tr("offer.kinds_now", kinds=names)


def hours_text(app: GameApp) -> str:
    org = app.organisation
    if org is None or not org.service_hours:
        return ""
    local = datetime.now().astimezone()
    rows = hours_in_local_time(org.service_hours, org.timezone, local.tzinfo or UTC, local.date())
    if not rows:
        return ""
    seen: dict[str, list[str]] = {}
    for day, start, end in rows:
        seen.setdefault(day, []).append(f"{start}-{end}")
    ordered = sorted(seen.items(), key=lambda kv: DAYS.index(kv[0]))  # Monday first
    days = "; ".join(f"{app.tr('day.' + d)} {', '.join(v)}" for d, v in ordered)
    return app.tr("offer.hours_local", hours=days)


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

    def items(self) -> list[Item]:
        app, offer, tr = self.app, self.offer, self.tr
        items: list[Item] = [
            Text(app.text(offer.title, self.bundle), "title"),
            Text(app.text(offer.body, self.bundle)),
            Text(kinds_text(app), "body", "accent"),
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

    def yes(self) -> None:
        from game.scenes.preferences import PreferencesScene

        if not self.app.net.available:
            self.no_server_note = True
            self.refresh()
            return
        self.app.replace(PreferencesScene(self.app, self.offer, self.bundle))

    def not_now(self) -> None:
        self.close()
