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
        text = data.decode("utf-8")
        value = _DECODER.decode(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise EntryError(f"not valid JSON: {exc}") from exc
    # Fast path: without floats, RFC 8785 output equals sorted, compact json.dumps whenever the
    # keys are ASCII (UTF-16 and code point order agree); schemas only admit ASCII keys.
    # Valid UTF-8 cannot hold lone surrogates, so equal text means equal canonical bytes.
    if _ENCODER.encode(value) == text:
        return value
    try:
        again = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:  # incl. Unicode errors
        raise EntryError(f"not canonical JSON: {exc}") from exc
    if again != bytes(data):
        raise EntryError("JSON is valid but not in RFC 8785 canonical form")
    return value


def _no_float(text: str) -> Any:
    raise EntryError(f"log JSON never contains fractional or special numbers ({text})")


_DECODER = json.JSONDecoder(parse_float=_no_float, parse_constant=_no_float)
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
