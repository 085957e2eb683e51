"""Errors raised by the ethics core; each subclass says whose fault the problem is.

``EthicsError`` is the one base class. Integrity errors mean stored data is inconsistent
(somebody tampered or a bug appended out of order); rule violations are the caller's fault.
"""

from __future__ import annotations


class EthicsError(Exception):
    """Base class of every error raised by the ``ethics`` package."""


class IntegrityError(EthicsError):
    """The log or an export is inconsistent: duplicate, out-of-order or altered entries."""


class ReviewRuleError(EthicsError):
    """A review action breaks a governance rule (the caller asked for something not allowed)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class EntryError(EthicsError):
    """A log entry is malformed (caller supplied bad fields or bytes that do not parse)."""


class CheckpointError(EthicsError):
    """A checkpoint or signed note is malformed or its signature does not verify."""


class SigningKeyError(EthicsError):
    """A signing key file is missing, unreadable or of the wrong kind (operator's fault)."""
