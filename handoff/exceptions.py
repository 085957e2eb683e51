"""Errors raised by the handoff core and its wire protocol.

Every error carries a stable ``code`` (see :class:`handoff.protocol.ErrorCode`) and says whose
fault it is, h11 style: the peer sent something wrong (``RemoteProtocolError``), the request was
well formed but is not allowed now (``StateError``), or our own side misused the API
(``LocalProtocolError``).
"""

from __future__ import annotations


class HandoffError(Exception):
    """Base class of every handoff error; ``code`` is a stable snake_case identifier."""

    code: str = "handoff_error"

    def __init__(self, message: str, *, code: str | None = None, ref: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.ref = ref


class RemoteProtocolError(HandoffError):
    """The peer sent a frame we cannot accept (malformed, unknown type, wrong fields).

    ``close_code`` is set when the connection must be closed rather than answered with an
    error frame (for example a text frame on the binary player socket).
    """

    code = "bad_frame"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        ref: str | None = None,
        close_code: int | None = None,
    ) -> None:
        super().__init__(message, code=code, ref=ref)
        self.close_code = close_code


class StateError(HandoffError):
    """A well-formed request that the current state does not allow (the peer's fault).

    Examples: chatting before a match, accepting somebody else's offer, queueing twice.
    """

    code = "invalid_state"


class LocalProtocolError(HandoffError):
    """Our own side tried to do something the protocol or the core forbids (a bug here)."""

    code = "internal_error"


class InvalidTransition(LocalProtocolError):
    """The conversation state table has no transition for this (state, event) pair."""

    code = "invalid_transition"
