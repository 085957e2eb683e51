"""Canonical JSON (RFC 8785, JCS) for log entries and content: one byte string per value.

Uses the ``rfc8785`` package rather than hand-rolled serialisation; parsing insists the input
is already canonical so that two different byte strings can never stand for the same entry.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from ethics.exceptions import EntryError


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` as RFC 8785 canonical JSON bytes."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise EntryError(f"value cannot be written as canonical JSON: {exc}") from exc


def parse_canonical(data: bytes) -> Any:
    """Parse canonical JSON bytes; reject invalid UTF-8, invalid JSON and non-canonical forms."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise EntryError(f"not valid JSON: {exc}") from exc
    try:
        again = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise EntryError(f"not canonical JSON: {exc}") from exc
    if again != bytes(data):
        raise EntryError("JSON is valid but not in RFC 8785 canonical form")
    return value
