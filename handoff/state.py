"""The life of one help request, from consent to its single terminal state, as a table.

Theory of operation
-------------------
A consenting player's request is WAITING in its organisation's queue. The dispatcher OFFERs it
to one suitable counsellor at a time (an offer holds one unit of that counsellor's capacity, so
accepting can never push a counsellor over capacity). The counsellor ACCEPTs (-> ACTIVE, a
conversation exists), DECLINEs, or lets the offer EXPIRE; either way the request goes back to
WAITING at its old place and the next counsellor is tried. An offer is WITHDRAWn when the
counsellor disconnects.

An ACTIVE conversation may be TRANSFERred to another counsellor (still ACTIVE), REFERred to a
partner organisation (terminal REFERRED for this request; the partner's queue gets a new
request), or ENDed with an outcome (terminal ENDED). When the counsellor's last connection drops
the conversation enters GRACE; if the counsellor comes BACK in time it is ACTIVE again, otherwise
GRACE_EXPIRED puts the request back to WAITING at the front of its priority class, keeping its
conversation, and matching starts again. A supervisor need not wait: a conversation in GRACE
can be TRANSFERred to a colleague at once.

A player may LEAVE at any time before a match (terminal LEFT); after a match, the player ENDs.

Rules
-----
1. Only the transitions in ``TRANSITIONS`` exist; anything else raises ``InvalidTransition``.
2. ENDED, LEFT and REFERRED are terminal: every request reaches exactly one of them.
3. A request has at most one counsellor: in OFFERED the offer's, in ACTIVE/GRACE the
   conversation's. Nothing else holds a counsellor.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from handoff.exceptions import InvalidTransition


class State(StrEnum):
    """Where a help request is in its life."""

    WAITING = "waiting"
    OFFERED = "offered"
    ACTIVE = "active"
    GRACE = "grace"
    ENDED = "ended"
    LEFT = "left"
    REFERRED = "referred"


class Event(StrEnum):
    """What can happen to a help request."""

    OFFER = "offer"
    ACCEPT = "accept"
    DECLINE = "decline"
    OFFER_EXPIRED = "offer_expired"
    WITHDRAW = "withdraw"
    LEAVE = "leave"
    TRANSFER = "transfer"
    COUNSELLOR_LOST = "counsellor_lost"
    COUNSELLOR_BACK = "counsellor_back"
    GRACE_EXPIRED = "grace_expired"
    REFER = "refer"
    END = "end"


TRANSITIONS: Final[dict[tuple[State, Event], State]] = {
    (State.WAITING, Event.OFFER): State.OFFERED,
    (State.WAITING, Event.LEAVE): State.LEFT,
    (State.OFFERED, Event.ACCEPT): State.ACTIVE,
    (State.OFFERED, Event.DECLINE): State.WAITING,
    (State.OFFERED, Event.OFFER_EXPIRED): State.WAITING,
    (State.OFFERED, Event.WITHDRAW): State.WAITING,
    (State.OFFERED, Event.LEAVE): State.LEFT,
    (State.ACTIVE, Event.TRANSFER): State.ACTIVE,
    (State.ACTIVE, Event.COUNSELLOR_LOST): State.GRACE,
    (State.ACTIVE, Event.REFER): State.REFERRED,
    (State.ACTIVE, Event.END): State.ENDED,
    (State.GRACE, Event.COUNSELLOR_BACK): State.ACTIVE,
    (State.GRACE, Event.TRANSFER): State.ACTIVE,
    (State.GRACE, Event.GRACE_EXPIRED): State.WAITING,
    (State.GRACE, Event.END): State.ENDED,
}

TERMINAL: Final[frozenset[State]] = frozenset({State.ENDED, State.LEFT, State.REFERRED})
#: States in which a counsellor is attached to the request (a conversation is live).
LIVE: Final[frozenset[State]] = frozenset({State.ACTIVE, State.GRACE})


def transition(state: State, event: Event) -> State:
    """The next state, or ``InvalidTransition`` when the table has no such edge."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise InvalidTransition(f"no transition from {state} on {event}") from None
