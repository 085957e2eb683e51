"""Waiting for a counsellor: live queue position and the server's estimate, leave at any
time, or keep playing with the queue shown in the top bar. When the service is closed it shows
the opening hours in the player's local time and offers to ask for a booking instead.
"""

from __future__ import annotations

from game.conversation import Phase
from game.net import NetState
from game.scenes.base import PageScene
from game.scenes.offer import hours_text
from game.ui import Button, Gap, Item, Row, Text


class WaitingScene(PageScene):
    name = "waiting"
    initial_focus = "keep_playing"

    def _status(self) -> list[Item]:
        app, tr = self.app, self.tr
        conv = app.conversation
        state = app.net.state
        out: list[Item] = []
        if state in (NetState.RECONNECTING, NetState.CONNECTING) and conv.phase in (
            Phase.REQUESTING,
            Phase.QUEUED,
        ):
            key = "waiting.connecting" if state == NetState.CONNECTING else "waiting.reconnecting"
            out.append(Text(tr(key), "body", "accent"))
        if conv.phase == Phase.REQUESTING:
            out.append(Text(tr("waiting.sending"), "speaker"))
        elif conv.phase == Phase.QUEUED:
            out.append(
                Text(
                    tr(
                        "waiting.position",
                        position=conv.position if conv.position is not None else "?",
                    ),
                    "huge",
                )
            )
            if conv.estimate_seconds is not None:
                minutes = max(1, round(conv.estimate_seconds / 60))
                out.append(Text(tr("waiting.estimate", minutes=minutes), "speaker"))
            else:
                out.append(Text(tr("waiting.no_estimate"), "speaker"))
            if conv.choices.get("format") == "booking":
                out.append(Text(tr("waiting.booking_note")))
            elif conv.choices.get("format") == "in_person":
                out.append(Text(tr("waiting.in_person_note")))
        elif conv.phase == Phase.NONE and conv.error:
            out.append(Text(tr("waiting.refused", reason=conv.error), "body", "danger"))
        if conv.error and conv.phase != Phase.NONE:
            out.append(Text(tr("waiting.error", reason=conv.error), "small", "danger"))
        return out

    def _closed(self) -> bool:
        conv, org = self.app.conversation, self.app.organisation
        if conv.service_open is not None:
            return not conv.service_open
        return bool(org is not None and org.open_now is False)

    def items(self) -> list[Item]:
        tr = self.tr
        items: list[Item] = [Text(tr("waiting.title"), "title")]
        items += self._status()
        if self._closed():
            items.append(Gap(4))
            items.append(Text(tr("waiting.closed"), "speaker", "accent"))
            hours = hours_text(self.app)
            if hours:
                items.append(Text(hours))
            if self.app.conversation.choices.get("format") != "booking":
                items.append(Button(tr("waiting.book_instead"), self.book_instead, ident="book"))
        items += [
            Gap(6),
            Text(tr("waiting.keep_playing_note"), "body", "muted"),
            Row(
                [
                    Button(
                        tr("waiting.keep_playing"),
                        self.keep_playing,
                        kind="primary",
                        ident="keep_playing",
                    ),
                    Button(tr("waiting.leave"), self.leave, ident="leave"),
                    Button(
                        tr("waiting.helplines"),
                        lambda: self.app.open_resources(),
                        ident="helplines",
                    ),
                ]
            ),
        ]
        return items

    def keep_playing(self) -> None:
        self.close()

    def leave(self) -> None:
        self.app.conversation.leave_queue()
        self.app.show_notice(self.tr("notice.left_queue"))
        self.close()

    def book_instead(self) -> None:
        conv = self.app.conversation
        choices = dict(conv.choices, format="booking")
        offer = self.app.bundle.offers["offer.main"]
        conv.leave_queue()
        conv.request(
            bundle_hash=self.app.bundle.sha256,
            offer_id=offer.id,
            offer_version=offer.version,
            choices=choices,
        )
        self.refresh()

    def close(self) -> None:
        self.app.pop(self)

    def update(self, dt: float) -> None:
        # position and estimate change with server frames; refresh() is called by the app
        if self.app.conversation.phase == Phase.MATCHED:
            from game.scenes.chat import ChatScene

            self.app.replace(ChatScene(self.app))
