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
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from game.net import NetClient


class Phase(StrEnum):
    NONE = "none"  # no request made
    REQUESTING = "requesting"  # consent sent, waiting for `queued`
    QUEUED = "queued"
    MATCHED = "matched"  # chatting with a counsellor
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
    counsellor_typing: bool = False
    service_open: bool | None = None
    service_hours: Any = None
    ended_by: str | None = None
    outcome: str | None = None
    error: str | None = None
    unseen: int = 0  # counsellor messages not yet seen in the chat scene
    choices: dict[str, Any] = field(default_factory=dict)
    _seqs: set[int] = field(default_factory=set)
    _by_client: dict[str, ChatLine] = field(default_factory=dict)

    # -- actions ---------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.phase in (Phase.REQUESTING, Phase.QUEUED, Phase.MATCHED)

    def request(
        self,
        *,
        bundle_hash: str,
        offer_id: str,
        offer_version: int,
        choices: dict[str, Any],
    ) -> dict[str, Any]:
        """Send the explicit consent with the player's choices; returns the frame sent."""
        frame = {
            "type": "consent",
            "bundle_hash": bundle_hash,
            "offer_id": offer_id,
            "offer_version": offer_version,
            "consent": True,
            "choices": dict(choices),
        }
        self.reset()
        self.choices = dict(choices)
        self.phase = Phase.REQUESTING
        if self.net is not None:
            self.net.connect()
            self.net.send(frame)
        return frame

    def reset(self) -> None:
        self.phase = Phase.NONE
        self.request_id = self.conversation_id = None
        self.position = self.estimate_seconds = None
        self.counsellor = None
        self.lines.clear()
        self._seqs.clear()
        self._by_client.clear()
        self.last_seq = self.read_upto = self.unseen = 0
        self.counsellor_typing = False
        self.ended_by = self.outcome = self.error = None

    def leave_queue(self) -> None:
        if self.phase in (Phase.REQUESTING, Phase.QUEUED) and self.net is not None:
            self.net.send({"type": "leave_queue"})
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
        if self.phase == Phase.MATCHED and self.net is not None and self.last_seq:
            self.net.send({"type": "read", "seq": self.last_seq})

    def end(self) -> None:
        if self.phase == Phase.MATCHED and self.net is not None:
            self.net.send({"type": "end"})
        elif self.phase in (Phase.REQUESTING, Phase.QUEUED):
            self.leave_queue()
            return
        self.phase = Phase.ENDED
        self.ended_by = "player"
        self.counsellor_typing = False

    def erase(self) -> None:
        """Ask the server to erase everything this session sent, and forget it here."""
        if self.net is not None:
            self.net.send({"type": "erase"})
        self.reset()

    def clear_screen_text(self) -> None:
        """Quick exit: drop chat text from memory so no screen can show it again."""
        for line in self.lines:
            line.text = ""
        self.lines.clear()
        self._by_client.clear()

    def pending(self) -> list[ChatLine]:
        return [
            ln
            for ln in self.lines
            if ln.sender == "player" and ln.seq is None and ln.client_id and not ln.failed
        ]

    # -- frames from the server --------------------------------------------------------------
    def on_welcome(self, frame: dict[str, Any]) -> None:
        """After (re)connecting: adopt the server's view, resume the chat, resend unacked."""
        state = frame.get("state")
        if isinstance(state, dict):
            conv = state.get("conversation")
            queued = state.get("queued") or state.get("request")
            if isinstance(conv, dict) and conv.get("conversation_id"):
                self.conversation_id = str(conv["conversation_id"])
                if isinstance(conv.get("counsellor"), dict):
                    c = conv["counsellor"]
                    self.counsellor = Counsellor(str(c.get("display_name", "")), c.get("kind"))
                self.phase = Phase.MATCHED
            elif isinstance(queued, dict) and self.phase != Phase.REQUESTING:
                self.phase = Phase.QUEUED
                self.request_id = queued.get("request_id", self.request_id)
                self.position = queued.get("position", self.position)
                self.estimate_seconds = queued.get("estimate_seconds", self.estimate_seconds)
        if self.net is None:
            return
        if self.phase == Phase.MATCHED and self.conversation_id:
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
            self.on_welcome(frame)
            return None
        if kind == "queued":
            self.phase = Phase.QUEUED
            self.request_id = frame.get("request_id")
            self.position = frame.get("position")
            self.estimate_seconds = frame.get("estimate_seconds")
            return None
        if kind == "queue_update":
            if self.phase in (Phase.REQUESTING, Phase.QUEUED):
                self.phase = Phase.QUEUED
                self.position = frame.get("position", self.position)
                self.estimate_seconds = frame.get("estimate_seconds")
            return None
        if kind == "left":
            self.phase = Phase.NONE
            return None
        if kind == "service":
            self.service_open = frame.get("open")
            self.service_hours = frame.get("hours")
            return "service"
        if kind == "matched":
            self.phase = Phase.MATCHED
            self.conversation_id = str(frame.get("conversation_id"))
            c = frame.get("counsellor") or {}
            self.counsellor = Counsellor(str(c.get("display_name", "")), c.get("kind"))
            self.position = self.estimate_seconds = None
            return "matched"
        if kind == "message":
            return "message" if self._on_message(frame) else None
        if kind == "ack":
            cid, seq = frame.get("client_id"), frame.get("seq")
            line = self._by_client.get(str(cid))
            if line is not None and isinstance(seq, int):
                line.seq = seq
                self._seen(seq)
            return None
        if kind == "typing":
            self.counsellor_typing = bool(frame.get("on"))
            return None
        if kind == "read":
            seq = frame.get("seq")
            if isinstance(seq, int):
                self.read_upto = max(self.read_upto, seq)
            return None
        if kind == "ended":
            self.phase = Phase.ENDED
            self.ended_by = frame.get("by")
            self.outcome = frame.get("outcome")
            self.counsellor_typing = False
            return "ended"
        if kind == "error":
            ref = frame.get("ref")
            self.error = str(frame.get("message") or frame.get("code"))
            line = self._by_client.get(str(ref)) if ref else None
            if line is not None:
                line.failed = self.error
            elif self.phase == Phase.REQUESTING:
                self.phase = Phase.NONE
            return "error"
        return None

    def _seen(self, seq: int) -> None:
        self._seqs.add(seq)
        self.last_seq = max(self.last_seq, seq)

    def _on_message(self, frame: dict[str, Any]) -> bool:
        seq = frame.get("seq")
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
            self.unseen += 1
        return True
