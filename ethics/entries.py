"""Typed entries of the ethics review log and their canonical byte encoding.

Each entry is one governance step (proposal, check result, review, acknowledgement, publish,
unpublish, key rotation). Its bytes are the RFC 8785 canonical JSON of a closed schema: a
header (format version, kind, position ``index`` = log size before it, UTC time, acting staff
id) plus the kind's fields. The schemas admit no player data: only content hashes, staff ids
and what board members and checks wrote about content.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar, TypeAlias

from ethics.canonical import canonical_json, parse_canonical
from ethics.exceptions import EntryError

FORMAT_VERSION = 1
MAX_TEXT = 4000
MAX_INT = 2**53 - 1  # RFC 8785 numbers are IEEE doubles: larger integers are not exact
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")

DECISIONS = ("approve", "reject", "veto")
SEVERITIES = ("error", "warning", "flag")

Validator: TypeAlias = Callable[[str, Any], Any]


def format_time(at: datetime) -> str:
    """RFC 3339 UTC with microseconds and a ``Z``; refuses naive datetimes."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise EntryError("entry time must be timezone-aware UTC")
    return at.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """Inverse of :func:`format_time`."""
    if not isinstance(text, str) or not _TIME_RE.match(text):
        raise EntryError(f"'at' must look like 2026-01-31T12:00:00.000000Z, got {text!r}")
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise EntryError(f"'at' is not a valid time: {text!r}") from exc


# --- field validators: each takes (name, value) and returns the value or raises EntryError ---


def _text(required: bool = True, max_len: int = MAX_TEXT) -> Validator:
    def check(name: str, value: Any) -> Any:
        if not isinstance(value, str):
            raise EntryError(f"{name} must be text")
        if required and not value.strip():
            raise EntryError(f"{name} must not be empty")
        if len(value) > max_len:
            raise EntryError(f"{name} is longer than {max_len} characters")
        return value

    return check


@lru_cache(maxsize=4096)
def _is_ident(value: str) -> bool:
    return _ID_RE.match(value) is not None


def _ident(name: str, value: Any) -> Any:
    if not isinstance(value, str) or not _is_ident(value):
        raise EntryError(f"{name} must be an id of letters, digits, '.', '_', ':' or '-'")
    return value


@lru_cache(maxsize=4096)
def _is_hash(value: str) -> bool:
    return _HASH_RE.match(value) is not None  # a bundle's hash recurs in all its entries


def _hash(name: str, value: Any) -> Any:
    if not isinstance(value, str) or not _is_hash(value):
        raise EntryError(f"{name} must be a lowercase hex SHA-256")
    return value


def _optional(inner: Validator) -> Validator:
    def check(name: str, value: Any) -> Any:
        return None if value is None else inner(name, value)

    return check


def _int(minimum: int = 0) -> Validator:
    def check(name: str, value: Any) -> Any:
        if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= MAX_INT:
            raise EntryError(f"{name} must be an integer >= {minimum}")
        return value

    return check


def _choice(options: tuple[str, ...]) -> Validator:
    def check(name: str, value: Any) -> Any:
        if value not in options:
            raise EntryError(f"{name} must be one of {', '.join(options)}")
        return value

    return check


_NATURAL = _int(0)
_POSITIVE = _int(1)
_SEVERITY = _choice(SEVERITIES)
_LOCATION = _text(False, 300)
_EXPLANATION = _text(True)


@lru_cache(maxsize=256)
def _are_idents(keys: tuple[str, ...]) -> bool:
    return all(type(key) is str and _is_ident(key) for key in keys)


def _checklist(name: str, value: Any) -> Any:
    if not isinstance(value, Mapping) or not value:
        raise EntryError(f"{name} must be a non-empty map of item -> true/false")
    # Every review answers the same few items: their names are checked once per set of names.
    if not _are_idents(tuple(value)):
        for key in value:
            _ident(f"{name} item", key)
    for key, ticked in value.items():
        if ticked is not True and ticked is not False:
            raise EntryError(f"{name}[{key}] must be true or false")
    return dict(value)


def _int_list(name: str, value: Any) -> Any:
    if not isinstance(value, list | tuple):
        raise EntryError(f"{name} must be a list")
    for item in value:
        _POSITIVE(f"{name} item", item)
    return list(value)


def _results(name: str, value: Any) -> Any:
    if not isinstance(value, list | tuple):
        raise EntryError(f"{name} must be a list of check results")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping) or set(item) != {
            "id",
            "severity",
            "location",
            "explanation",
        }:
            raise EntryError(f"{name}[{i}] must have exactly id, severity, location, explanation")
        _ident(f"{name}[{i}].id", item["id"])
        _SEVERITY(f"{name}[{i}].severity", item["severity"])
        _LOCATION(f"{name}[{i}].location", item["location"])
        _EXPLANATION(f"{name}[{i}].explanation", item["explanation"])
        out.append(dict(item))
    return out


# --- the entry kinds ---


@dataclass(frozen=True)
class Entry:
    """Common header of every log entry."""

    index: int
    at: datetime
    actor: int | None

    KIND: ClassVar[str] = ""
    SCHEMA: ClassVar[dict[str, Validator]] = {}

    def body(self) -> dict[str, Any]:
        """The kind-specific fields as a JSON-able dict."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in self.SCHEMA}

    def to_dict(self) -> dict[str, Any]:
        """Header plus body, ready for canonical JSON."""
        return {
            "v": FORMAT_VERSION,
            "kind": self.KIND,
            "index": self.index,
            "at": format_time(self.at),
            "actor": self.actor,
            **self.body(),
        }

    def to_bytes(self) -> bytes:
        """The entry's leaf bytes: canonical JSON."""
        self.validate()
        return canonical_json(self.to_dict())

    def validate(self) -> None:
        """Raise EntryError if any field breaks the kind's schema."""
        _int(0)("index", self.index)
        format_time(self.at)
        _optional(_int(0))("actor", self.actor)
        for name, check in self.SCHEMA.items():
            check(name, getattr(self, name))


@dataclass(frozen=True)
class ProposalEntry(Entry):
    """An author proposed a bundle (revision 1) or revised a proposal (revision > 1)."""

    proposal: str = ""
    revision: int = 1
    bundle_hash: str = ""
    base_bundle_hash: str | None = None
    message: str = ""
    changes: dict[str, int] = field(default_factory=dict)

    KIND: ClassVar[str] = "proposal"
    SCHEMA: ClassVar[dict[str, Validator]] = {
        "proposal": _ident,
        "revision": _int(1),
        "bundle_hash": _hash,
        "base_bundle_hash": _optional(_hash),
        "message": _text(),
        "changes": lambda n, v: _changes(n, v),
    }


@dataclass(frozen=True)
class CheckResultEntry(Entry):
    """The automated transparency checks' results for one revision."""

    proposal: str = ""
    revision: int = 1
    bundle_hash: str = ""
    results: list[dict[str, str]] = field(default_factory=list)

    KIND: ClassVar[str] = "check_result"
    SCHEMA: ClassVar[dict[str, Validator]] = {
        "proposal": _ident,
        "revision": _int(1),
        "bundle_hash": _hash,
        "results": _results,
    }


@dataclass(frozen=True)
class ReviewEntry(Entry):
    """A board member's decision on one exact bundle hash."""

    proposal: str = ""
    revision: int = 1
    bundle_hash: str = ""
    decision: str = ""
    rationale: str = ""
    checklist: dict[str, bool] = field(default_factory=dict)

    KIND: ClassVar[str] = "review"
    SCHEMA: ClassVar[dict[str, Validator]] = {
        "proposal": _ident,
        "revision": _int(1),
        "bundle_hash": _hash,
        "decision": _choice(DECISIONS),
        "rationale": _text(),
        "checklist": _checklist,
    }


@dataclass(frozen=True)
class AcknowledgementEntry(Entry):
    """A board member explicitly acknowledged one flagged check result."""

    proposal: str = ""
    revision: int = 1
    bundle_hash: str = ""
    check: str = ""
    location: str = ""
    rationale: str = ""

    KIND: ClassVar[str] = "acknowledgement"
    SCHEMA: ClassVar[dict[str, Validator]] = {
        "proposal": _ident,
        "revision": _int(1),
        "bundle_hash": _hash,
        "check": _ident,
        "location": _text(False, 300),
        "rationale": _text(),
    }


@dataclass(frozen=True)
class PublishEntry(Entry):
    """A bundle became what players receive, with the approvals that allowed it."""

    proposal: str = ""
    revision: int = 1
    bundle_hash: str = ""
    approvals: list[int] = field(default_factory=list)
    note: str = ""

    KIND: ClassVar[str] = "publish"
    SCHEMA: ClassVar[dict[str, Validator]] = {
        "proposal": _ident,
        "revision": _int(1),
        "bundle_hash": _hash,
        "approvals": _int_list,
        "note": _text(False),
    }


@dataclass(frozen=True)
class UnpublishEntry(Entry):
    """Emergency unpublish by one member: players get the previous published bundle again."""

    bundle_hash: str = ""
    restored_bundle_hash: str | None = None
    rationale: str = ""

    KIND: ClassVar[str] = "unpublish"
    SCHEMA: ClassVar[dict[str, Validator]] = {
        "bundle_hash": _hash,
        "restored_bundle_hash": _optional(_hash),
        "rationale": _text(),
    }


@dataclass(frozen=True)
class KeyRotationEntry(Entry):
    """The checkpoint signing key was created or replaced."""

    key_name: str = ""
    old_key: str | None = None
    new_key: str = ""
    reason: str = ""

    KIND: ClassVar[str] = "key_rotation"
    SCHEMA: ClassVar[dict[str, Validator]] = {
        "key_name": _text(True, 200),
        "old_key": _optional(_text(True, 300)),
        "new_key": _text(True, 300),
        "reason": _text(),
    }


@dataclass(frozen=True)
class KeyRecoveryEntry(Entry):
    """The signing key was lost and replaced without its endorsement, on the board's quorum.

    A normal rotation is endorsed by the outgoing key (it co-signs the checkpoint covering
    the rotation). When that key is gone, nothing cryptographic links the new key to the old
    one, so a verifier accepts a recovery only when told to explicitly; the entry records
    which board members approved it so the claim can be checked with them out of band.
    """

    key_name: str = ""
    old_key: str | None = None
    new_key: str = ""
    reason: str = ""
    approvals: list[int] = field(default_factory=list)

    KIND: ClassVar[str] = "key_recovery"
    SCHEMA: ClassVar[dict[str, Validator]] = {
        "key_name": _text(True, 200),
        "old_key": _optional(_text(True, 300)),
        "new_key": _text(True, 300),
        "reason": _text(),
        "approvals": _int_list,
    }


def _changes(name: str, value: Any) -> dict[str, int]:
    out = {}
    for key, count in _mapping(name, value).items():
        if type(key) is not str or not _is_ident(key):
            _ident(f"{name} key", key)
        if type(count) is not int or not 0 <= count <= MAX_INT:
            _NATURAL(f"{name}.{key}", count)
        out[key] = count
    return out


def _mapping(name: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise EntryError(f"{name} must be a map")
    return value


KINDS: dict[str, type[Entry]] = {
    cls.KIND: cls
    for cls in (
        ProposalEntry,
        CheckResultEntry,
        ReviewEntry,
        AcknowledgementEntry,
        PublishEntry,
        UnpublishEntry,
        KeyRotationEntry,
        KeyRecoveryEntry,
    )
}
_HEADER = {"v", "kind", "index", "at", "actor"}
_FIELDS = {cls: frozenset(_HEADER | set(cls.SCHEMA)) for cls in KINDS.values()}
#: Per kind, its fields and their validators, as one tuple to loop over.
_PLANS = {cls: tuple(cls.SCHEMA.items()) for cls in KINDS.values()}
_CHECK_INDEX = _int(0)
_CHECK_ACTOR = _optional(_int(0))


def entry_from_dict(data: Any) -> Entry:
    """Build a typed entry from its JSON form, refusing unknown kinds and unknown fields."""
    if type(data) is not dict and not isinstance(data, Mapping):  # the ABC check is slow
        raise EntryError("an entry must be a JSON object")
    version = data.get("v")
    if type(version) is not int or version != FORMAT_VERSION:  # 1.0 or true are not 1
        raise EntryError(f"unsupported entry format version {version!r}")
    kind = data.get("kind")
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise EntryError(f"unknown entry kind {kind!r}")
    expected = _FIELDS[cls]
    if data.keys() != expected:
        extra = sorted(set(data) - expected)
        missing = sorted(expected - set(data))
        raise EntryError(f"{kind} entry fields wrong: unknown {extra}, missing {missing}")
    # Each field is validated and written straight into the new instance: the frozen
    # dataclass __init__ (one object.__setattr__ per field) was a quarter of the cost of
    # reading a large export, and an intermediate dict copied into the instance another
    # tenth. Equality, hashing and repr still come from the dataclass.
    entry = object.__new__(cls)
    fields_ = entry.__dict__
    for name, check in _PLANS[cls]:
        fields_[name] = check(name, data[name])
    index, actor = data["index"], data["actor"]
    # The header is the same for every kind: checked inline, the validators only build the
    # message when a check fails.
    if type(index) is not int or not 0 <= index <= MAX_INT:
        _CHECK_INDEX("index", index)
    if actor is not None and (type(actor) is not int or not 0 <= actor <= MAX_INT):
        _CHECK_ACTOR("actor", actor)
    fields_["index"] = index
    fields_["at"] = parse_time(data["at"])
    fields_["actor"] = actor
    return entry


def decode_entry(data: bytes) -> Entry:
    """Parse an entry's leaf bytes (must be canonical JSON) into a typed entry."""
    # entry_from_dict refuses floats, integers beyond MAX_INT and unknown (so non-ASCII) keys
    return entry_from_dict(parse_canonical(data, schema_checks_numbers_and_keys=True))
