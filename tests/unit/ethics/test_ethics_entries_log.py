"""Log entries are canonical, closed-schema JSON; the log refuses duplicates and reordering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ethics import entries as E
from ethics import merkle
from ethics.canonical import canonical_json, parse_canonical
from ethics.exceptions import EntryError, IntegrityError
from ethics.log import Log
from tests.unit.ethics.ethics_factories import T0, bundle_hash


def _review(index: int = 0, **over: object) -> E.ReviewEntry:
    fields: dict[str, object] = {
        "index": index,
        "at": T0,
        "actor": 3,
        "proposal": "p1",
        "revision": 1,
        "bundle_hash": bundle_hash("a"),
        "decision": "approve",
        "rationale": "Looks honest and clear.",
        "checklist": {"read_diff": True},
    }
    fields.update(over)
    return E.ReviewEntry(**fields)  # type: ignore[arg-type]


def test_entry_bytes_are_canonical_and_round_trip() -> None:
    """An entry serialises to sorted, compact JSON and parses back to the same entry."""
    entry = _review()
    data = entry.to_bytes()
    assert data.startswith(b'{"actor":3,"at":"2026-11-27T09:00:00.000000Z"')
    assert E.decode_entry(data) == entry
    assert canonical_json(parse_canonical(data)) == data


def test_times_are_normalised_to_utc() -> None:
    """A time given in another zone is stored as the same instant in UTC."""
    cet = timezone(timedelta(hours=1))
    entry = _review(at=datetime(2026, 11, 27, 10, 0, tzinfo=cet))
    assert b'"at":"2026-11-27T09:00:00.000000Z"' in entry.to_bytes()


def test_naive_time_is_refused() -> None:
    """A time without a zone cannot enter the log."""
    with pytest.raises(EntryError):
        _review(at=datetime(2026, 1, 1)).to_bytes()


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b'{"b":1, "a":2}',
        b"\xff\xfe",
        b"[]",
        b'{"a":"\\ud800"}',
        b'{"a":1.5}',
        b'{"a":NaN}',
        b'{"a":"\\u0041"}',
        b'{"\xc3\xa9":1,"z":2}',
        b'{"actor":1,"at":"2026-11-27T09:00:00.000000Z","index":0,"kind":"nope","v":1}',
        b'{"actor":1,"at":"2026-11-27T09:00:00.000000Z","index":0,"kind":"review","v":2}',
    ],
)
def test_malformed_bytes_are_refused(data: bytes) -> None:
    """Non-canonical, invalid or unknown entries are rejected with a clear error."""
    with pytest.raises(EntryError):
        E.decode_entry(data)


def test_unknown_fields_cannot_sneak_in() -> None:
    """An extra field (for example player data) makes the entry invalid."""
    data = _review().to_dict()
    data["player_session"] = "abc"
    with pytest.raises(EntryError, match="unknown"):
        E.entry_from_dict(data)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("decision", "maybe"),
        ("bundle_hash", "ABC"),
        ("rationale", "   "),
        ("checklist", {}),
        ("checklist", {"read_diff": "yes"}),
        ("revision", 0),
        ("actor", -1),
    ],
)
def test_invalid_field_values_are_refused(field: str, value: object) -> None:
    """Each field is validated: wrong decision, hash, empty rationale, bad checklist."""
    with pytest.raises(EntryError):
        _review(**{field: value}).to_bytes()


def test_log_append_returns_size_and_root() -> None:
    """Appending returns the new size and the RFC 6962 root over the entry bytes."""
    log = Log()
    a = _review(0).to_bytes()
    b = _review(1, at=T0 + timedelta(seconds=1)).to_bytes()
    first = log.append(a)
    second = log.append(b)
    assert (first.index, first.size) == (0, 1)
    assert (second.index, second.size) == (1, 2)
    assert second.root == merkle.root([a, b]) == log.root
    assert merkle.verify_inclusion(0, 2, first.leaf_hash, log.inclusion_proof(0), log.root)
    assert merkle.verify_consistency(1, 2, log.root_at(1), log.root, log.consistency_proof(1))


def test_duplicate_append_is_an_integrity_error() -> None:
    """Appending the same entry twice is refused."""
    log = Log()
    data = _review(0).to_bytes()
    log.append(data)
    with pytest.raises(IntegrityError, match="duplicate"):
        log.append(data)
    assert log.size == 1


def test_out_of_order_append_is_an_integrity_error() -> None:
    """An entry that names the wrong position is refused."""
    log = Log()
    with pytest.raises(IntegrityError, match="out of order"):
        log.append(_review(1).to_bytes())


def test_entries_cannot_go_back_in_time() -> None:
    """An entry dated before its predecessor is refused."""
    log = Log()
    log.append(_review(0).to_bytes())
    with pytest.raises(IntegrityError, match="dated before"):
        log.append(_review(1, at=T0 - timedelta(seconds=5)).to_bytes())


def test_malformed_entry_is_an_integrity_error() -> None:
    """Bytes that are not an entry cannot be appended."""
    with pytest.raises(IntegrityError, match="malformed"):
        Log().append(b'{"a":1}')


def test_rebuild_from_entries_matches() -> None:
    """Rebuilding a log from its stored bytes gives the same root."""
    log = Log()
    for i in range(5):
        log.append(_review(i, at=T0 + timedelta(seconds=i), actor=i).to_bytes())
    again = Log.from_entries(log.entries)
    assert again.root == log.root and again.size == 5
    assert again.leaf_hashes == log.leaf_hashes
    assert UTC is not None


@pytest.mark.parametrize(
    "data",
    [b'{"a":1.0}', b'{"a":1.5}', b'{"\\u00e9":1}', b'{"b":1,"a":2}'],
)
def test_fast_parser_never_accepts_what_rfc8785_would_not(data: bytes) -> None:
    """Floats, escaped non-ASCII keys and unsorted keys never pass as canonical."""
    from ethics.exceptions import EntryError

    with pytest.raises(EntryError):
        parse_canonical(data)


def test_entries_with_floats_or_unsafe_numbers_are_refused() -> None:
    """The fast entry parser leaves floats to the schema: 1.0 is never accepted for 1."""
    from ethics.exceptions import EntryError

    good = E.PublishEntry(
        index=0,
        at=datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
        actor=21,
        proposal="p1",
        revision=1,
        bundle_hash="a" * 64,
        approvals=[21, 22],
        note="",
    ).to_bytes()
    assert E.decode_entry(good).index == 0
    for old, new in (
        (b'"v":1', b'"v":1.0'),
        (b'"approvals":[21,22]', b'"approvals":[21.0,22]'),
        (b'"revision":1', b'"revision":9007199254740993'),
        (b'"actor":21', b'"actor":true'),
    ):
        assert old in good
        with pytest.raises(EntryError):
            E.decode_entry(good.replace(old, new))
