"""Crossroads handoff core: consent to conversation, sans-IO.

Public API: :class:`Dispatcher` (queue, matching, offers, grace, transfer, referral, end),
the value types in :mod:`handoff.model`, the events in :mod:`handoff.events`, the request
state table in :mod:`handoff.state` and the wire protocol in :mod:`handoff.protocol`.
"""

from handoff.dispatcher import Dispatcher, Request
from handoff.estimate import WaitEstimator
from handoff.events import (
    CounsellorBack,
    CounsellorLost,
    Ended,
    HandoffEvent,
    Left,
    Matched,
    OfferExpired,
    OfferMade,
    Queued,
    Referred,
    Requeued,
    StatusChanged,
)
from handoff.exceptions import (
    HandoffError,
    InvalidTransition,
    LocalProtocolError,
    RemoteProtocolError,
    StateError,
)
from handoff.model import HOME_ORG, CounsellorProfile, Preferences
from handoff.state import State

__all__ = [
    "HOME_ORG",
    "CounsellorBack",
    "CounsellorLost",
    "CounsellorProfile",
    "Dispatcher",
    "Ended",
    "HandoffError",
    "HandoffEvent",
    "InvalidTransition",
    "Left",
    "LocalProtocolError",
    "Matched",
    "OfferExpired",
    "OfferMade",
    "Preferences",
    "Queued",
    "Referred",
    "RemoteProtocolError",
    "Request",
    "Requeued",
    "State",
    "StateError",
    "StatusChanged",
    "WaitEstimator",
]
