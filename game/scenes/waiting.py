"""Waiting for a counsellor: live queue position and the server's estimate, leave at any
time, or keep playing with the queue shown in the top bar. When the service is closed it shows
the opening hours in the player's local time and the free times to book instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from game.conversation import Phase
from game.net import NetState
from game.scenes.base import PageScene
from game.scenes.offer import hours_text
from game.ui import Button, Gap, Item, Row, Text

MAX_SLOTS_SHOWN = 12

#: refusals the game explains in the player's own language, keyed by the server's stable error
#: code (docs/PROTOCOL.md); any other refusal shows the server's own words
REFUSAL_TEXTS = {"no_counsellor": "waiting.no_counsellor"}


def local_slot(app_tr: Callable[..., str], iso: str) -> str:
    """An ISO time from the server as weekday and time in the player's own zone."""
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return iso
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return f"{app_tr('day.' + days[when.weekday()])} {when.strftime('%d.%m. %H:%M')}"


class WaitingScene(PageScene):
    name = "waiting"
    initial_focus = "keep_playing"

    def _status(self) -> list[Item]:
        app, tr = self.app, self.tr
        conv = app.conversation
        state = app.net.state
        out: list[Item] = []
        if state in (NetState.RECONNECTING, NetState.CONNECTING) and conv.active:
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
            if conv.choices.get("format") == "in_person":
                out.append(Text(tr("waiting.in_person_note")))
        elif conv.phase == Phase.BOOKED:
            out.append(
                Text(tr("waiting.booked", slot=local_slot(tr, conv.booked_slot or "")), "speaker")
            )
            out.append(Text(tr("waiting.booked_note")))
            out.append(
                Button(tr("waiting.cancel_booking"), self.cancel_booking, ident="cancel_booking")
            )
        elif conv.phase == Phase.NONE and conv.error:
            known = REFUSAL_TEXTS.get(conv.error_code or "")
            text = tr(known) if known else tr("waiting.refused", reason=conv.error)
            out.append(Text(text, "body", "danger_text"))
        if conv.error and conv.phase not in (Phase.NONE,):
            out.append(Text(tr("waiting.error", reason=conv.error), "small", "danger_text"))
        return out

    def _slots(self) -> list[Item]:
        conv, tr = self.app.conversation, self.tr
        out: list[Item] = []
        if conv.phase == Phase.CLOSED:
            out.append(Text(tr("waiting.closed"), "speaker", "accent"))
            if conv.next_open:
                out.append(Text(tr("waiting.next_open", when=local_slot(tr, conv.next_open))))
        hours = hours_text(self.app)
        if hours:
            out.append(Text(hours, "body", "muted"))
        out.append(Text(tr("waiting.choose_slot"), "speaker"))
        if not conv.slots:
            key = "waiting.no_slots" if conv.service_open is not None else "waiting.loading_slots"
            out.append(Text(tr(key), "body", "muted"))
        else:
            buttons: list[Item] = [
                Button(
                    local_slot(tr, slot),
                    partial(self.book, slot),
                    ident=f"slot_{i}",
                    compact=True,
                )
                for i, slot in enumerate(conv.slots[:MAX_SLOTS_SHOWN])
            ]
            out.append(Row(buttons, 8))
        return out

    def items(self) -> list[Item]:
        tr = self.tr
        conv = self.app.conversation
        title = (
            "waiting.title_booking"
            if conv.phase in (Phase.CHOOSE_SLOT, Phase.CLOSED, Phase.BOOKED)
            else "waiting.title"
        )
        items: list[Item] = [Text(tr(title), "title")]
        items += self._status()
        if conv.phase in (Phase.CHOOSE_SLOT, Phase.CLOSED):
            items += self._slots()
        leave_label = (
            "waiting.leave"
            if conv.phase in (Phase.REQUESTING, Phase.QUEUED)
            else ("waiting.cancel")
        )
        items += [
            Gap(6),
            Text(tr("waiting.keep_playing_note"), "body", "muted"),
            # staying in the queue and leaving it are equal choices
            Row(
                [
                    Button(tr("waiting.keep_playing"), self.keep_playing, ident="keep_playing"),
                    Button(tr(leave_label), self.leave, ident="leave"),
                    Button(
                        tr("waiting.helplines"),
                        lambda: self.app.open_resources(),
                        ident="helplines",
                    ),
                ],
                equal=True,
            ),
        ]
        return items

    def keep_playing(self) -> None:
        self.close()

    def leave(self) -> None:
        conv = self.app.conversation
        was_queued = conv.phase in (Phase.REQUESTING, Phase.QUEUED)
        conv.leave_queue()
        conv.phase = Phase.NONE
        self.app.show_notice(self.tr("notice.left_queue" if was_queued else "notice.cancelled"))
        self.close()

    def book(self, slot: str) -> None:
        self.app.conversation.book(slot)
        self.refresh()

    def cancel_booking(self) -> None:
        self.app.conversation.cancel_booking()
        self.app.show_notice(self.tr("notice.booking_cancelled"))
        self.close()

    def close(self) -> None:
        self.app.pop(self)

    def update(self, dt: float) -> None:
        if self.app.conversation.phase == Phase.MATCHED:
            from game.scenes.chat import ChatScene

            self.app.replace(ChatScene(self.app))
