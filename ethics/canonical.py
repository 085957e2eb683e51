"""Canonical JSON (RFC 8785, JCS) for log entries and content: one byte string per value.

Uses the ``rfc8785`` package rather than hand-rolled serialisation; parsing insists the input
is already canonical so that two different byte strings can never stand for the same entry.
``orjson`` makes the common case (parsing and re-checking an entry that is canonical) fast
enough to verify a 100,000-entry log in about the time of its hashing; anything it cannot
prove canonical goes the exact way through ``json`` and ``rfc8785``.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import rfc8785

from ethics.exceptions import EntryError


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` as RFC 8785 canonical JSON bytes."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise EntryError(f"value cannot be written as canonical JSON: {exc}") from exc


def parse_canonical(data: bytes, *, schema_checks_numbers_and_keys: bool = False) -> Any:
    """Parse canonical JSON bytes; reject invalid UTF-8, invalid JSON and non-canonical forms.

    ``schema_checks_numbers_and_keys`` is for a caller whose schema refuses every float,
    every integer beyond 2**53 and every non-ASCII key anyway (log entries): it skips the
    walk that makes sure of those here, the largest part of the fast path's cost.
    """
    data = bytes(data)
    # Fastest path (orjson, in C): its compact, key-sorted output equals RFC 8785 for every
    # value without floats, without integers beyond 2**53 and with ASCII keys, so equal bytes
    # prove the input canonical; anything else takes the exact path (which refuses floats).
    try:
        quick = orjson.loads(data)
    except orjson.JSONDecodeError:
        quick = _NOT_PARSED
    if (
        quick is not _NOT_PARSED
        and orjson.dumps(quick, option=orjson.OPT_SORT_KEYS) == data
        and (schema_checks_numbers_and_keys or not _needs_exact_path(quick))
    ):
        return quick
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


_NOT_PARSED = object()


_SAFE_INT = 2**53 - 1


def _needs_exact_path(value: Any) -> bool:
    """True if the value holds what orjson and RFC 8785 may print differently.

    That is a float, an integer beyond IEEE-double precision or a non-ASCII key (RFC 8785
    sorts keys by UTF-16 code units). Strings print the same in both (checked for every code
    point in the tests). No recursion: entries are shallow.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is float:
            return True
        if kind is int and not -_SAFE_INT <= item <= _SAFE_INT:
            return True
        if kind is dict:
            if not all(key.isascii() for key in item):
                return True
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
    return False
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            if not all(key.isascii() for key in item):
                return True
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
    return False


_DECODER = json.JSONDecoder(parse_float=_no_float, parse_constant=_no_float)
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
