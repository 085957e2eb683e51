"""Verifying an export reports tampering: altered, missing, reordered, added, truncated."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ethics import entries as E
from ethics import merkle
from ethics.checkpoint import Checkpoint, Signer, sign_checkpoint
from ethics.exportdir import read_export, write_export
from ethics.verify import Export, verify_export
from tests.unit.ethics.ethics_factories import Scenario, bundle_hash

ORIGIN = "crossroads.example/ethics"
AUTHOR, B1, B2 = 10, 21, 22


def _history() -> tuple[Scenario, Signer, dict[int, str]]:
    """A log with a key, two published proposals and checkpoints after each publish."""
    signer = Signer.generate(ORIGIN)
    s = Scenario()
    s._next(
        E.KeyRotationEntry,
        None,
        key_name=ORIGIN,
        old_key=None,
        new_key=signer.verifier.vkey,
        reason="first signing key",
    )
    checkpoints: dict[int, str] = {}

    def sign() -> None:
        checkpoints[s.log.size] = sign_checkpoint(
            Checkpoint(ORIGIN, s.log.size, s.log.root), signer
        )

    for pid in ("p1", "p2"):
        s.propose(pid, AUTHOR, f"bundle-{pid}")
        s.checks(pid)
        s.review(pid, B1)
        s.review(pid, B2)
        s.publish(pid, B1)
        sign()
    return s, signer, checkpoints


def _export(
    s: Scenario, checkpoints: dict[int, str], signer: Signer, entries: list[bytes] | None = None
) -> Export:
    data = s.log.entries if entries is None else entries
    return Export(
        entries=b"".join(e + b"\n" for e in data),
        checkpoints={f"{k:010d}.txt": v for k, v in checkpoints.items()},
        keys={"k.vkey": signer.verifier.vkey},
        origin=ORIGIN,
    )


def _messages(report) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(p) for p in report.problems)


def test_untouched_export_verifies() -> None:
    """A genuine export has no problems, with both publishes checked."""
    s, signer, cps = _history()
    report = verify_export(_export(s, cps, signer))
    assert report.ok, _messages(report)
    assert report.size == s.log.size and report.root == s.log.root
    assert report.publishes == 2 and report.checkpoints == 2


def test_altered_byte_is_reported() -> None:
    """Changing one character of a rationale breaks the signed root, naming the range."""
    s, signer, cps = _history()
    entries = s.log.entries
    i = next(i for i, e in enumerate(entries) if b'"kind":"review"' in e)
    entries[i] = entries[i].replace(b"carefully", b"carelessy")
    report = verify_export(_export(s, cps, signer, entries))
    assert not report.ok
    assert "was altered" in _messages(report)
    assert "checkpoints/" in _messages(report)


def test_altered_byte_that_breaks_json_is_located() -> None:
    """A change that breaks the entry's syntax names the exact entry."""
    s, signer, cps = _history()
    entries = s.log.entries
    entries[3] = entries[3][:-1]
    report = verify_export(_export(s, cps, signer, entries))
    assert any(p.where == "entry 3" for p in report.problems), _messages(report)


def test_missing_entry_is_reported() -> None:
    """Deleting an entry is reported at the position where it is missing."""
    s, signer, cps = _history()
    entries = s.log.entries
    del entries[4]
    report = verify_export(_export(s, cps, signer, entries))
    assert any(p.where == "entry 4" and "missing" in p.what for p in report.problems)


def test_reordered_entries_are_reported() -> None:
    """Swapping two entries is reported at both positions."""
    s, signer, cps = _history()
    entries = s.log.entries
    entries[2], entries[3] = entries[3], entries[2]
    report = verify_export(_export(s, cps, signer, entries))
    wheres = {p.where for p in report.problems}
    assert {"entry 2", "entry 3"} <= wheres, _messages(report)


def test_added_entry_is_reported() -> None:
    """An entry appended after the last signed checkpoint is reported as unsigned."""
    s, signer, cps = _history()
    extra = E.UnpublishEntry(
        index=s.log.size,
        at=s.clock + timedelta(seconds=5),
        actor=B2,
        bundle_hash=bundle_hash("bundle-p2"),
        restored_bundle_hash=bundle_hash("bundle-p1"),
        rationale="Sneaked in afterwards.",
    ).to_bytes()
    report = verify_export(_export(s, cps, signer, [*s.log.entries, extra]))
    assert "not covered by any signed checkpoint" in _messages(report)


def test_duplicated_entry_is_reported() -> None:
    """A copied entry inside the log is reported as a duplicate."""
    s, signer, cps = _history()
    entries = s.log.entries
    entries.insert(5, entries[4])
    report = verify_export(_export(s, cps, signer, entries))
    assert "duplicate of entry 4" in _messages(report)


def test_truncation_is_reported() -> None:
    """Cutting entries off the end is reported against the checkpoint that signed them."""
    s, signer, cps = _history()
    report = verify_export(_export(s, cps, signer, s.log.entries[:-3]))
    assert "truncated" in _messages(report)


def test_truncation_against_previous_checkpoint() -> None:
    """An export shorter than a checkpoint the verifier saw earlier is reported."""
    s, signer, cps = _history()
    previous = cps[max(cps)]
    first = min(cps)
    export = _export(s, {first: cps[first]}, signer, s.log.entries[:first])
    report = verify_export(export, previous=previous)
    assert "log truncated" in _messages(report)


def test_rewritten_history_against_previous_checkpoint() -> None:
    """A rewritten log with fresh signatures is caught by an earlier checkpoint."""
    s, signer, cps = _history()
    previous = cps[min(cps)]
    entries = s.log.entries
    entries[3] = entries[3].replace(b"carefully", b"carelessy")
    root = merkle.root(entries)
    forged = {len(entries): sign_checkpoint(Checkpoint(ORIGIN, len(entries), root), signer)}
    report = verify_export(_export(s, forged, signer, entries), previous=previous)
    assert "history was rewritten" in _messages(report)


def test_publish_without_quorum_is_reported() -> None:
    """A publish entry inserted without two approvals fails the rule replay."""
    s, signer, _ = _history()
    s.propose("p3", AUTHOR, "bundle-p3")
    s.checks("p3")
    s.review("p3", B1)
    cur = s.board.proposals["p3"].current
    s.clock += timedelta(seconds=1)
    forged = E.PublishEntry(
        index=s.log.size,
        at=s.clock,
        actor=B1,
        proposal="p3",
        revision=cur.number,
        bundle_hash=cur.bundle_hash,
        approvals=[B1, B2],
        note="",
    )
    s.log.append(forged.to_bytes())  # bypasses the board rules, as a forger would
    cps = {s.log.size: sign_checkpoint(Checkpoint(ORIGIN, s.log.size, s.log.root), signer)}
    report = verify_export(_export(s, cps, signer))
    assert "breaks rule not_publishable" in _messages(report)
    assert "1 of 2 required approvals" in _messages(report)


def test_checkpoint_signed_by_unknown_key_is_reported() -> None:
    """A checkpoint signed by a key the log never announced does not count."""
    s, signer, _ = _history()
    other = Signer.generate(ORIGIN)
    cps = {s.log.size: sign_checkpoint(Checkpoint(ORIGIN, s.log.size, s.log.root), other)}
    report = verify_export(replace(_export(s, cps, signer), keys={"o.vkey": other.verifier.vkey}))
    assert not report.ok
    assert "not announced" in _messages(report)
    strict = verify_export(replace(_export(s, cps, signer), keys={}))
    assert "not signed by any key you trust" in _messages(strict)


def test_tampered_checkpoint_signature_is_reported() -> None:
    """Editing a checkpoint's size invalidates its signature."""
    s, signer, cps = _history()
    size = max(cps)
    cps[size] = cps[size].replace(f"\n{size}\n", f"\n{size + 1}\n")
    assert "does not verify" in _messages(verify_export(_export(s, cps, signer)))


def test_directory_round_trip(tmp_path: Path) -> None:
    """An export written to disk reads back and verifies; a flipped byte on disk is found."""
    s, signer, cps = _history()
    out = tmp_path / "export"
    write_export(
        out,
        entries=s.log.entries,
        checkpoints=cps,
        keys=[signer.verifier.vkey],
        bundles={},
        origin=ORIGIN,
        root=s.log.root,
    )
    assert verify_export(read_export(out)).ok
    path = out / "entries.jsonl"
    data = bytearray(path.read_bytes())
    pos = data.index(b"first signing key")
    data[pos] ^= 0x01
    path.write_bytes(bytes(data))
    assert not verify_export(read_export(out)).ok


def test_bundle_file_must_match_its_hash(tmp_path: Path) -> None:
    """A published bundle file whose content was changed is reported."""
    s, signer, cps = _history()
    export = replace(
        _export(s, cps, signer),
        bundles={
            f"{bundle_hash('bundle-p1')}.json": b"{}",
            f"{bundle_hash('bundle-p2')}.json": b"x",
        },
    )
    report = verify_export(export)
    assert "does not match its hash" in _messages(report)


@pytest.mark.parametrize("junk", [b"\xff\xfe\n", b"{}\n", b"[1,2]\n", b"\n\n"])
def test_garbage_entries_never_crash(junk: bytes) -> None:
    """Arbitrary bytes produce problems, not exceptions."""
    report = verify_export(Export(entries=junk))
    assert not report.ok


_SHARED = _history()


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_single_byte_change_is_reported(data: st.DataObject) -> None:
    """Flipping any bit of any byte of the entries file makes verification fail."""
    s, signer, cps = _SHARED
    blob = bytearray(_export(s, cps, signer).entries)
    pos = data.draw(st.integers(0, len(blob) - 1))
    bit = data.draw(st.integers(0, 7))
    blob[pos] ^= 1 << bit
    export = replace(_export(s, cps, signer), entries=bytes(blob))
    assert not verify_export(export).ok


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_removed_added_or_swapped_entry_is_reported(data: st.DataObject) -> None:
    """Deleting, duplicating or swapping any entries makes verification fail."""
    s, signer, cps = _SHARED
    entries = s.log.entries
    i = data.draw(st.integers(0, len(entries) - 1))
    action = data.draw(st.sampled_from(["delete", "duplicate", "swap", "truncate"]))
    if action == "delete":
        del entries[i]
    elif action == "duplicate":
        entries.insert(data.draw(st.integers(0, len(entries))), entries[i])
    elif action == "swap":
        j = data.draw(st.integers(0, len(entries) - 1).filter(lambda j: j != i))
        entries[i], entries[j] = entries[j], entries[i]
    else:
        entries = entries[:i]
    assert not verify_export(_export(s, cps, signer, entries)).ok
