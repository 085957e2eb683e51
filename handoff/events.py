"""Commands and events the dispatcher emits for the server shell to carry out.

The core never sends or stores anything itself: each call returns a list of these, in order,
and the shell persists them and turns them into frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handoff.model import EndedBy, Outcome, Preferences, Status


@dataclass(frozen=True, slots=True)
class Queued:
    """A request joined (or re-joined) a queue."""

    request_id: str
    session_id: str
    organisation: str
    priority: int
    seq: int
    requeued: bool = False


@dataclass(frozen=True, slots=True)
class OfferMade:
    """A counsellor is offered a waiting request until ``expires_at``."""

    offer_id: str
    request_id: str
    counsellor_id: int
    preferences: Preferences
    waited_seconds: float
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class OfferExpired:
    """An offer ran out (or was declined / withdrawn); the request waits again."""

    offer_id: str
    request_id: str
    counsellor_id: int
    reason: str  # "expired" | "declined" | "withdrawn" | "left"


@dataclass(frozen=True, slots=True)
class Matched:
    """A counsellor accepted: the conversation is live (new, or continued after a re-queue)."""

    request_id: str
    conversation_id: str
    session_id: str
    counsellor_id: int
    preferences: Preferences
    transferred_from: int | None = None


@dataclass(frozen=True, slots=True)
class CounsellorLost:
    """The counsellor's last connection dropped; the conversation waits until ``until``."""

    request_id: str
    conversation_id: str
    session_id: str
    counsellor_id: int
    until: datetime


@dataclass(frozen=True, slots=True)
class CounsellorBack:
    """The counsellor reconnected within the grace period."""

    request_id: str
    conversation_id: str
    session_id: str
    counsellor_id: int


@dataclass(frozen=True, slots=True)
class Requeued:
    """The grace period ran out: the request is back at the front of its queue."""

    request_id: str
    conversation_id: str
    session_id: str
    previous_counsellor_id: int
    seq: int


@dataclass(frozen=True, slots=True)
class Referred:
    """A conversation was referred: it ended, and a new request waits in the partner's queue."""

    request_id: str
    conversation_id: str
    session_id: str
    counsellor_id: int
    organisation: str
    new_request_id: str | None  # None: a handover (the partner has nobody here)


@dataclass(frozen=True, slots=True)
class Ended:
    """A conversation ended with an outcome."""

    request_id: str
    conversation_id: str
    session_id: str
    counsellor_id: int
    by: EndedBy
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Left:
    """A player left the queue before a match."""

    request_id: str
    session_id: str
    conversation_id: str | None


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """A counsellor's status changed (also when the core sets ``away`` after a missed offer)."""

    counsellor_id: int
    status: Status


HandoffEvent = (
    Queued
    | OfferMade
    | OfferExpired
    | Matched
    | CounsellorLost
    | CounsellorBack
    | Requeued
    | Referred
    | Ended
    | Left
    | StatusChanged
)
