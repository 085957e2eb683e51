"""The player's side of a handoff: consent, queue, chat lines, delivery marks, resume.

Plain state fed with server frames (`apply`) and producing frames through the NetClient; no
pygame here, so scenes only render it. Chat text is kept in memory only, never written to disk;
what survives a restart is the anonymous token and the conversation id with the last seen seq,
so the server can replay what was missed. Lines are keyed by seq and client id, so a replay or
an echo never shows a message twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from game.net import NetClient


class Phase(StrEnum):
    NONE = "none"  # no request made
    REQUESTING = "requesting"  # consent sent, waiting for `queued`
    QUEUED = "queued"
    MATCHED = "matched"  # chatting with a counsellor
    CHOOSE_SLOT = "choose_slot"  # booking: waiting for the player to pick a time
    CLOSED = "closed"  # chat refused because the service is closed; booking possible
    BOOKED = "booked"
    ENDED = "ended"


@dataclass
class ChatLine:
    sender: str  # "player" | "counsellor" | "system"
    text: str
    seq: int | None = None
    client_id: str | None = None
    at: str | None = None
    failed: str | None = None  # error message if the server refused it

    @property
    def delivered(self) -> bool:
        return self.seq is not None


@dataclass
class Counsellor:
    display_name: str
    kind: str | None


@dataclass
class Conversation:
    net: NetClient | None = None
    phase: Phase = Phase.NONE
    request_id: str | None = None
    position: int | None = None
    estimate_seconds: int | None = None
    conversation_id: str | None = None
    counsellor: Counsellor | None = None
    lines: list[ChatLine] = field(default_factory=list)
    last_seq: int = 0
    read_upto: int = 0  # the counsellor has read the player's messages up to this seq
    seen_upto: int = 0  # the player has seen the counsellor's messages up to this seq
    counsellor_typing: bool = False
    service_open: bool | None = None
    service_hours: Any = None
    service_timezone: str | None = None
    next_open: str | None = None
    slots: list[str] = field(default_factory=list)
    booking_id: str | None = None
    booked_slot: str | None = None
    # the server's one reminder shortly before a booked slot: which booking, its time (ISO,
    # UTC) and the minutes left when it was sent; the app turns it into a notice
    reminder_booking_id: str | None = None
    reminder_slot: str | None = None
    reminder_minutes: int | None = None
    counsellor_present: bool = True
    referred_to: str | None = None
    referred_contact: str | None = None  # a handover: the partner's own contact, no queue
    offer_ref: dict[str, Any] = field(default_factory=dict)
    ended_by: str | None = None
    outcome: str | None = None
    error: str | None = None
    #: the stable code of the server's last error frame; the game words it in the player's
    #: language where it knows the code, as the server's `message` is English
    error_code: str | None = None
    unseen: int = 0  # counsellor messages not yet seen in the chat scene
    replaying: bool = False
    choices: dict[str, Any] = field(default_factory=dict)
    # the agreed objective (handoff/objective.py): the open proposal and the agreed one, as
    # (proposal id, objective code, note, by); and the end-of-chat "Did this help?" question
    objective_open: tuple[str, str, str | None, str] | None = None
    objective_agreed: tuple[str, str, str | None, str] | None = None
    feedback: str | None = None  # None: not asked; "ask": shown; "sent" / "skipped"
    _seqs: set[int] = field(default_factory=set)
    _by_client: dict[str, ChatLine] = field(default_factory=dict)
    _saved_marks: dict[str, Any] | None = None
    hidden: bool = False  # the quick-exit cover is up: no chat text is kept

    # -- actions ---------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.phase not in (Phase.NONE, Phase.ENDED)

    def request(
        self,
        *,
        bundle_hash: str,
        offer_id: str,
        offer_version: int,
        choices: dict[str, Any],
    ) -> dict[str, Any]:
        """Send the explicit consent with the player's choices; returns the frame sent."""
        self.reset()
        self.choices = dict(choices)
        self.offer_ref = {
            "bundle_hash": bundle_hash,
            "offer_id": offer_id,
            "offer_version": offer_version,
        }
        if self.net is not None:
            self.net.connect()
        if choices.get("format") == "booking":
            # a booking needs a slot; the server lists free slots in its `service` frame
            self.phase = Phase.CHOOSE_SLOT
            return {}
        return self._send_consent(self.choices, None)

    def _send_consent(self, choices: dict[str, Any], slot: str | None) -> dict[str, Any]:
        frame: dict[str, Any] = {
            "type": "consent",
            **self.offer_ref,
            "consent": True,
            "choices": dict(choices),
        }
        if slot is not None:
            frame["slot"] = slot
        self.phase = Phase.REQUESTING
        self.error = self.error_code = None
        if self.net is not None:
            self.net.send(frame)
        return frame

    def book(self, slot: str) -> dict[str, Any]:
        """Ask for a booking at one of the server's offered slots."""
        choices = dict(self.choices, format="booking")
        self.choices = choices
        return self._send_consent(choices, slot)

    def cancel_booking(self) -> None:
        if self.booking_id and self.net is not None:
            self.net.send({"type": "cancel_booking", "booking_id": self.booking_id})
        self.phase = Phase.NONE
        self.booking_id = self.booked_slot = None
        self._forget_reminder()

    def _forget_reminder(self) -> None:
        self.reminder_booking_id = self.reminder_slot = None
        self.reminder_minutes = None

    def reset(self) -> None:
        self.phase = Phase.NONE
        self.request_id = self.conversation_id = None
        self.position = self.estimate_seconds = None
        self.counsellor = None
        self.lines.clear()
        self._seqs.clear()
        self._by_client.clear()
        self.last_seq = self.read_upto = self.seen_upto = self.unseen = 0
        self.counsellor_typing = False
        self.ended_by = self.outcome = self.error = self.error_code = None
        self.booking_id = self.booked_slot = self.referred_to = self.referred_contact = None
        self._forget_reminder()
        self.counsellor_present = True
        self.objective_open = self.objective_agreed = None
        self.feedback = None

    def leave_queue(self) -> None:
        if self.phase in (Phase.REQUESTING, Phase.QUEUED) and self.net is not None:
            self.net.send({"type": "leave_queue"})
        if self.phase == Phase.BOOKED:
            self.cancel_booking()
        self.phase = Phase.NONE
        self.position = self.estimate_seconds = None

    def send_text(self, text: str) -> ChatLine | None:
        text = text.strip("\n")
        if not text.strip() or self.phase != Phase.MATCHED:
            return None
        cid = uuid.uuid4().hex
        line = ChatLine("player", text, client_id=cid)
        self.lines.append(line)
        self._by_client[cid] = line
        if self.net is not None:
            self.net.send({"type": "message", "client_id": cid, "text": text})
        return line

    def set_typing(self, on: bool) -> None:
        if self.phase == Phase.MATCHED and self.net is not None:
            self.net.send({"type": "typing", "on": on})

    def mark_read(self) -> None:
        """Tell the counsellor the player has seen everything so far."""
        self.unseen = 0
        self.seen_upto = max(self.seen_upto, self.last_seq)
        if self.phase == Phase.MATCHED and self.net is not None and self.last_seq:
            self.net.send({"type": "read", "seq": self.last_seq})

    def end(self) -> None:
        if self.phase == Phase.MATCHED and self.net is not None:
            self.net.send({"type": "end"})
        elif self.phase != Phase.ENDED:
            self.leave_queue()
            return
        self.phase = Phase.ENDED
        self.ended_by = "player"
        self.counsellor_typing = False

    def propose_objective(self, objective: str) -> None:
        """Suggest (again) what the talk is for; the counsellor agrees or not."""
        if self.phase == Phase.MATCHED and self.net is not None:
            self.net.send({"type": "objective_propose", "objective": objective})

    def answer_objective(self, accept: bool) -> None:
        """Agree (or not) to the counsellor's open proposal."""
        if self.objective_open is None or self.net is None or self.phase != Phase.MATCHED:
            return
        self.net.send(
            {"type": "objective_answer", "proposal_id": self.objective_open[0], "accept": accept}
        )

    def answer_feedback(self, helped: bool | None) -> None:
        """Answer "Did this help?" once (None: skip; nothing is sent)."""
        if self.feedback != "ask":
            return
        if helped is not None and self.net is not None and self.conversation_id:
            self.net.send(
                {"type": "feedback", "conversation_id": self.conversation_id, "helped": helped}
            )
        self.feedback = "skipped" if helped is None else "sent"

    def _on_objective(self, frame: dict[str, Any]) -> str | None:
        pid, code, by = (
            _text(frame.get("proposal_id")),
            _text(frame.get("objective")),
            frame.get("by"),
        )
        state, note = frame.get("state"), frame.get("note")
        if not pid or not code or by not in ("player", "counsellor"):
            return None
        if frame.get("conversation_id") != self.conversation_id:
            return None
        entry = (pid, code, note if isinstance(note, str) else None, str(by))
        if state == "proposed":
            self.objective_open = entry
        elif state in ("agreed", "declined", "replaced"):
            if self.objective_open is not None and self.objective_open[0] == pid:
                self.objective_open = None
            if state == "agreed":
                self.objective_agreed = entry
        else:
            return None
        if state != "replaced":
            key = "agreed" if state == "agreed" else f"{state}_{by}"
            self.lines.append(
                ChatLine("system", f"@objective_{key}|{code}|{entry[2] or ''}", None, None)
            )
        return "objective"

    def erase(self) -> None:
        """Ask the server to erase everything this session sent, and forget it here."""
        if self.net is not None:
            self.net.send({"type": "erase"})
        self.reset()

    def clear_screen_text(self) -> None:
        """Quick exit: drop chat text from memory so no screen can show it again.

        Until `reload()`, messages that arrive are counted (seq and unread) but their text is
        not kept either; the server still has everything.
        """
        for line in self.lines:
            line.text = ""
        self.lines.clear()
        self._by_client.clear()
        self.hidden = True

    def reload(self) -> bool:
        """Back from the quick exit: fetch the whole chat again from the server.

        Returns True if there is a conversation to reload. The lines (and what arrived while
        the cover page was up) come back as a replay on a fresh connection, counted as new
        only past what the player had seen; a system line says why the chat was reloaded.
        """
        self.hidden = False
        if self.conversation_id is None or self.phase not in (Phase.MATCHED, Phase.ENDED):
            return False
        self.lines.clear()
        self._seqs.clear()
        self._by_client.clear()
        self.last_seq = 0
        self.unseen = 0
        if self.phase == Phase.MATCHED and self.net is not None:
            self.lines.append(ChatLine("system", "@reloaded"))
            self.replaying = True
            self.net.reopen()  # a fresh socket: the server replays from seq 0 on it
        else:  # an ended chat is not replayed: say so rather than show an empty page
            self.lines.append(ChatLine("system", "@cleared"))
        return True

    def marks(self) -> dict[str, Any] | None:
        """What a restart must not forget about the live chat: ids and seq numbers, no text.

        The server replays the messages after a restart but keeps no read marks (they are
        relayed, never stored), so without these the count of new messages would include
        ones already read and the player's messages would fall back from "read" to
        "delivered".
        """
        if self.conversation_id is None:
            return self._saved_marks  # not yet confirmed by the server: keep what was kept
        return {
            "conversation_id": self.conversation_id,
            "seen_upto": self.seen_upto,
            "read_upto": self.read_upto,
        }

    def restore_marks(self, saved: object) -> None:
        """Take the marks kept by `marks()`; used once the server confirms the same chat."""
        self._saved_marks = saved if isinstance(saved, dict) else None

    def _adopt_saved_marks(self) -> None:
        saved, self._saved_marks = self._saved_marks, None
        if saved is None or saved.get("conversation_id") != self.conversation_id:
            return
        for name in ("seen_upto", "read_upto"):
            value = _seq(saved.get(name))
            if value is not None:
                setattr(self, name, max(getattr(self, name), value))

    def pending(self) -> list[ChatLine]:
        return [
            ln
            for ln in self.lines
            if ln.sender == "player" and ln.seq is None and ln.client_id and not ln.failed
        ]

    # -- frames from the server --------------------------------------------------------------
    def on_welcome(self, frame: dict[str, Any]) -> None:
        """After (re)connecting: adopt the server's view, resume the chat, resend unacked."""
        raw = frame.get("state")
        state: dict[str, Any] = raw if isinstance(raw, dict) else {}
        phase = state.get("phase")
        if phase != "conversation":
            self._saved_marks = None  # the kept chat is over: its marks mean nothing now
        if phase == "conversation" and state.get("conversation_id"):
            self.conversation_id = str(state["conversation_id"])
            c = state.get("counsellor")
            if isinstance(c, dict):
                self.counsellor = Counsellor(str(c.get("display_name", "")), _text(c.get("kind")))
            self.counsellor_present = bool(state.get("counsellor_present", True))
            self.phase = Phase.MATCHED
            self._adopt_saved_marks()
        elif phase == "queued":
            if self.phase != Phase.REQUESTING:
                self.phase = Phase.QUEUED
            self.request_id = _text(state.get("request_id")) or self.request_id
            self.position = _count(state.get("position")) or self.position
            if "estimate_seconds" in state:
                self.estimate_seconds = _count(state.get("estimate_seconds"))
        elif phase == "booked":
            self.phase = Phase.BOOKED
            self.booking_id = _text(state.get("booking_id"))
            self.booked_slot = _utc_iso(state.get("slot"))
        elif phase == "idle":
            # the server has nothing live for us: what we thought was live has ended
            if self.phase == Phase.MATCHED:
                self.phase = Phase.ENDED
            elif self.phase in (Phase.QUEUED, Phase.BOOKED):
                self.phase = Phase.NONE
        if self.net is None:
            return
        if self.phase == Phase.MATCHED and self.conversation_id:
            self.replaying = True  # until `resumed`: replayed lines are not news
            self.net.send(
                {
                    "type": "resume",
                    "conversation_id": self.conversation_id,
                    "last_seq": self.last_seq,
                }
            )
            for line in self.pending():
                self.net.send({"type": "message", "client_id": line.client_id, "text": line.text})

    def apply(self, frame: dict[str, Any]) -> str | None:
        """Update state from one server frame. Returns the frame type if the player should
        notice (a match, a message, the end), else None."""
        kind = frame.get("type")
        if kind == "welcome":
            before = self.phase
            self.on_welcome(frame)
            live = (Phase.MATCHED, Phase.QUEUED, Phase.BOOKED)
            return "welcome_resumed" if self.phase != before and self.phase in live else None
        if kind == "queued":
            self.phase = Phase.QUEUED
            self.request_id = _text(frame.get("request_id"))
            self.position = _count(frame.get("position"))
            self.estimate_seconds = _count(frame.get("estimate_seconds"))
            return None
        if kind == "queue_update":
            if self.phase in (Phase.REQUESTING, Phase.QUEUED):
                self.phase = Phase.QUEUED
                self.position = _count(frame.get("position")) or self.position
                self.estimate_seconds = _count(frame.get("estimate_seconds"))
            return None
        if kind == "left":
            self.phase = Phase.NONE
            return None
        if kind == "service":
            is_open = frame.get("open")
            self.service_open = is_open if isinstance(is_open, bool) else None
            hours = frame.get("hours")
            self.service_hours = hours if isinstance(hours, dict) else None
            self.service_timezone = _text(frame.get("timezone"))
            self.next_open = _utc_iso(frame.get("next_open"))
            slots = frame.get("slots")
            self.slots = [
                slot
                for slot in (_utc_iso(x) for x in (slots if isinstance(slots, list) else []))
                if slot is not None
            ]
            return "service"
        if kind == "booked":
            self.phase = Phase.BOOKED
            self.booking_id = _text(frame.get("booking_id"))
            self.booked_slot = _utc_iso(frame.get("slot"))
            return "booked"
        if kind == "booking_cancelled":
            if self.phase == Phase.BOOKED:
                self.phase = Phase.NONE
            self.booking_id = self.booked_slot = None
            self._forget_reminder()
            return None
        if kind == "booking_reminder":
            return self._on_booking_reminder(frame)
        if kind == "counsellor_lost":
            self.counsellor_present = False
            self.lines.append(ChatLine("system", "@counsellor_lost"))
            return None
        if kind == "counsellor_back":
            self.counsellor_present = True
            self.lines.append(ChatLine("system", "@counsellor_back"))
            return None
        if kind == "referred":
            org = _mapping(frame.get("organisation"))
            self.referred_to = str(org.get("name") or "")
            if frame.get("handover") is True:
                # The partner has nobody on this server: no queue to wait in (saying "wait
                # here" would not be true); the player gets the partner's contact instead.
                contact = org.get("contact_url")
                self.referred_contact = contact if isinstance(contact, str) else ""
                self.lines.append(ChatLine("system", "@handover"))
                self.phase = Phase.ENDED
                self.conversation_id = None
                self.counsellor = None
                return "referred"
            self.lines.append(ChatLine("system", "@referred"))
            self.phase = Phase.REQUESTING
            self.conversation_id = None
            self.counsellor = None
            return "referred"
        if kind == "erased":
            self.reset()
            return "erased"
        if kind == "resumed":
            self.replaying = False
            return None
        if kind == "matched":
            self.phase = Phase.MATCHED
            if str(frame.get("conversation_id")) != self.conversation_id:
                self.objective_open = self.objective_agreed = None
                self.feedback = None
            self.conversation_id = str(frame.get("conversation_id"))
            c = _mapping(frame.get("counsellor"))
            self.counsellor = Counsellor(str(c.get("display_name", "")), _text(c.get("kind")))
            self.position = self.estimate_seconds = None
            return "matched"
        if kind == "message":
            shown = self._on_message(frame)
            return "message" if shown and not self.replaying else None
        if kind == "ack":
            cid, seq = frame.get("client_id"), _seq(frame.get("seq"))
            line = self._by_client.get(str(cid))
            if line is not None and isinstance(seq, int):
                line.seq = seq
                self._seen(seq)
            return None
        if kind == "typing":
            self.counsellor_typing = bool(frame.get("on"))
            return None
        if kind == "read":
            seq = _seq(frame.get("seq"))
            if isinstance(seq, int):
                self.read_upto = max(self.read_upto, seq)
            return None
        if kind == "objective":
            return self._on_objective(frame)
        if kind == "ended":
            self.feedback = "ask" if self.counsellor is not None else None
            self.phase = Phase.ENDED
            self.ended_by = _text(frame.get("by"))
            self.outcome = _text(frame.get("outcome"))
            self.counsellor_typing = False
            return "ended"
        if kind == "error":
            ref = frame.get("ref")
            code = frame.get("code")
            self.error = str(frame.get("message") or code)
            self.error_code = str(code) if code else None
            line = self._by_client.get(str(ref)) if ref else None
            if line is not None:
                line.failed = self.error
            elif code == "service_closed":
                self.phase = Phase.CLOSED  # a `service` frame with bookable slots follows
                self.error = None
            elif code == "slot_unavailable":
                self.phase = Phase.CHOOSE_SLOT
            elif code == "already_queued":
                self.error = None  # the server already has our request: keep waiting
            elif self.phase == Phase.REQUESTING:
                self.phase = Phase.NONE
            return "error"
        return None

    def _on_booking_reminder(self, frame: dict[str, Any]) -> str | None:
        """Hold the server's reminder of a booked slot so the app can say it once.

        A frame with a missing or mistyped field is ignored rather than guessed at: a wrong
        time shown to someone who booked a conversation is worse than no reminder. A reminder
        for another booking than the one held here is stale and ignored too. Without a booking
        here (its `booked` frame was missed) the server's word is taken and the booking adopted,
        but never over a queue or chat that is live: there the player is already talking or
        waiting, and a note about the booking would only confuse. A repeat of a reminder already
        held (after a reconnect) updates it silently: one reminder, never a series.
        """
        booking_id = frame.get("booking_id")
        slot = _utc_iso(frame.get("slot_at"))
        minutes = frame.get("starts_in_minutes")
        if not isinstance(booking_id, str) or not booking_id or slot is None:
            return None
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 0:
            return None
        if self.booking_id is not None and self.booking_id != booking_id:
            return None
        if self.phase not in (
            Phase.BOOKED,
            Phase.NONE,
            Phase.ENDED,
            Phase.CLOSED,
            Phase.CHOOSE_SLOT,
        ):
            return None
        repeat = self.reminder_booking_id == booking_id
        self.phase = Phase.BOOKED
        self.booking_id = booking_id
        self.booked_slot = slot  # the server's time wins if it moved
        self.reminder_booking_id = booking_id
        self.reminder_slot = slot
        self.reminder_minutes = minutes
        return None if repeat else "booking_reminder"

    def _seen(self, seq: int) -> None:
        self._seqs.add(seq)
        self.last_seq = max(self.last_seq, seq)

    def _on_message(self, frame: dict[str, Any]) -> bool:
        seq = _seq(frame.get("seq"))
        cid = frame.get("client_id")
        if isinstance(seq, int) and seq in self._seqs:
            existing = self._by_client.get(str(cid)) if cid else None
            if existing is None or existing.seq == seq:
                return False  # a replay after resume: already shown
        if cid and str(cid) in self._by_client:
            line = self._by_client[str(cid)]
            if isinstance(seq, int):
                line.seq = seq
                self._seen(seq)
            line.at = frame.get("at") or line.at
            return False
        sender = str(frame.get("sender") or "counsellor")
        if self.hidden:  # behind the cover: count it, keep no text (reload() fetches it)
            if isinstance(seq, int):
                self._seen(seq)
            if sender == "counsellor" and (seq is None or seq > self.seen_upto):
                self.unseen += 1
            return True
        line = ChatLine(
            sender,
            str(frame.get("text") or ""),
            seq=seq if isinstance(seq, int) else None,
            client_id=str(cid) if cid else None,
            at=frame.get("at"),
        )
        if isinstance(seq, int):
            self._seen(seq)
            # keep order by seq even when a replay arrives after newer local lines
            idx = len(self.lines)
            while idx > 0 and (
                self.lines[idx - 1].seq is None or (self.lines[idx - 1].seq or 0) > seq
            ):
                idx -= 1
            self.lines.insert(idx, line)
        else:
            self.lines.append(line)
        if line.client_id:
            self._by_client[line.client_id] = line
        if sender == "counsellor":
            self.counsellor_typing = False
            if line.seq is None or line.seq > self.seen_upto:
                self.unseen += 1
        return True


def _text(value: object) -> str | None:
    """A string field from the server, or None if it is anything else."""
    return value if isinstance(value, str) else None


def _count(value: object) -> int | None:
    """A non-negative whole number from the server (a position, seconds), or None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _seq(value: object) -> int | None:
    """A message sequence number (1, 2, ...), or None: a flag or a negative, fractional or
    absurd number must not mark a real message as already seen."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**53:
        return value
    return None


def _mapping(value: object) -> dict[str, Any]:
    """An object field from the server, or an empty one if it is anything else."""
    return value if isinstance(value, dict) else {}


def _utc_iso(value: object) -> str | None:
    """An ISO 8601 time from the server, checked and normalised to UTC, or None if it is not one.

    The protocol sends UTC with an offset; a time without one is read as UTC (never as the
    player's local time, which would shift it by hours), and anything unparsable, or too close
    to the ends of the calendar to convert to local time, is refused so that `local_slot` is
    only ever given a time it can show.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        when = when.astimezone(UTC)
        when.astimezone()  # a year at the edge of the calendar cannot be shown locally
    except (ValueError, OverflowError):
        return None
    return when.isoformat()
