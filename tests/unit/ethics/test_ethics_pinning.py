"""Pinned keys pin: an operator cannot vouch for a rewritten log with a key it announces itself.

Each test plays one attack an operator (who controls the server, its database and its exports)
could try against an auditor holding the key the programme published out of band.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace

from ethics import entries as E
from ethics.checkpoint import Checkpoint, Signer, sign_checkpoint
from ethics.verify import EXPORT_FORMAT, Export, Report, verify_export
from tests.unit.ethics.ethics_factories import Scenario

ORIGIN = "crossroads.example/ethics"
AUTHOR, B1, B2 = 10, 21, 22


class History:
    """A scenario that signs checkpoints as it goes, like the server does."""

    def __init__(self, key: Signer) -> None:
        self.s = Scenario()
        self.key = key
        self.notes: list[tuple[int, str]] = []
        self.s._next(
            E.KeyRotationEntry,
            None,
            key_name=ORIGIN,
            old_key=None,
            new_key=key.verifier.vkey,
            reason="first signing key",
        )
        self.sign()

    def sign(self, *signers: Signer) -> None:
        cp = Checkpoint(ORIGIN, self.s.log.size, self.s.log.root)
        self.notes.append((cp.size, sign_checkpoint(cp, *(signers or (self.key,)))))

    def cycle(self, pid: str) -> None:
        self.s.propose(pid, AUTHOR, f"bundle-{pid}")
        self.s.checks(pid)
        self.s.review(pid, B1)
        self.s.review(pid, B2)
        self.s.publish(pid, B1)
        self.sign()

    def rotate(
        self, new: Signer, *, endorse: bool, kind: type[E.Entry] = E.KeyRotationEntry
    ) -> None:
        extra = {"approvals": [B1, B2]} if kind is E.KeyRecoveryEntry else {}
        self.s._next(
            kind,
            B1 if kind is E.KeyRecoveryEntry else None,
            key_name=ORIGIN,
            old_key=self.key.verifier.vkey,
            new_key=new.verifier.vkey,
            reason="signing key lost in a disk failure",
            **extra,
        )
        if endorse:
            self.sign(self.key, new)
        self.key = new
        self.sign()

    def export(self) -> Export:
        entries = self.s.log.entries
        keys = {
            f"{i}.vkey": v
            for i, v in enumerate(
                {
                    e.new_key
                    for e in map(E.decode_entry, entries)
                    if isinstance(e, E.KeyRotationEntry | E.KeyRecoveryEntry)
                }
            )
        }
        manifest = {
            "format": EXPORT_FORMAT,
            "origin": ORIGIN,
            "size": len(entries),
            "root": base64.b64encode(self.s.log.root).decode(),
        }
        return Export(
            entries=b"".join(e + b"\n" for e in entries),
            checkpoints={f"{n:03d}.txt": note for n, (_, note) in enumerate(self.notes)},
            keys=keys,
            manifest=json.dumps(manifest).encode(),
        )


def _text(report: Report) -> str:
    return "\n".join(str(p) for p in report.problems)


def _genuine() -> tuple[History, Signer]:
    trusted = Signer.generate(ORIGIN)
    h = History(trusted)
    h.cycle("p1")
    h.cycle("p2")
    return h, trusted


def test_genuine_export_verifies_with_the_published_key() -> None:
    """The real log, checked against the key the programme published, is OK."""
    h, trusted = _genuine()
    report = verify_export(h.export(), trusted=[trusted.verifier])
    assert report.ok, _text(report)
    assert report.notes == []


def test_unrelated_key_fails_a_genuine_export() -> None:
    """--key with a key that never signed anything must FAIL, not be added to the log's keys."""
    h, _ = _genuine()
    unrelated = Signer.generate(ORIGIN)
    report = verify_export(h.export(), trusted=[unrelated.verifier])
    assert not report.ok
    assert "not signed by any key you trust" in _text(report)


def test_rewritten_log_with_self_announced_attacker_key_fails() -> None:
    """An operator who rebuilds the whole log under a key it announces itself is caught."""
    _, trusted = _genuine()
    attacker = Signer.generate(ORIGIN)
    forged = History(attacker)
    forged.cycle("p1")
    report = verify_export(forged.export(), trusted=[trusted.verifier])
    assert not report.ok
    assert "not signed by any key you trust" in _text(report)
    # without a pinned key the export is only self-consistent, and the report says so
    tofu = verify_export(forged.export())
    assert tofu.ok and "no pinned key given" in tofu.notes[0]


def test_self_logged_key_lost_rotation_fails() -> None:
    """A rotation to the operator's new key that the trusted key never co-signed fails."""
    h, trusted = _genuine()
    attacker = Signer.generate(ORIGIN)
    h.rotate(attacker, endorse=False)
    h.cycle("p3")
    report = verify_export(h.export(), trusted=[trusted.verifier])
    assert not report.ok
    text = _text(report)
    assert (
        f"entry 11: key_rotation from trusted key {ORIGIN}+{trusted.verifier.key_id.hex()}" in text
    )
    assert "signed by the outgoing key" in text
    assert f"--accept-rotation {attacker.verifier.key_id.hex()}" in text


def test_unendorsed_rotation_passes_only_when_accepted_explicitly() -> None:
    """Told explicitly (--accept-rotation KEYID), the verifier accepts it and says so."""
    h, trusted = _genuine()
    new = Signer.generate(ORIGIN)
    h.rotate(new, endorse=False)
    h.cycle("p3")
    report = verify_export(
        h.export(), trusted=[trusted.verifier], accept_rotations=[new.verifier.key_id.hex()]
    )
    assert report.ok, _text(report)
    assert "accepted because you said so" in report.notes[0]


def test_key_recovery_needs_explicit_acceptance_even_with_quorum() -> None:
    """A logged key_recovery with the board's quorum is still never accepted silently."""
    h, trusted = _genuine()
    new = Signer.generate(ORIGIN)
    h.rotate(new, endorse=False, kind=E.KeyRecoveryEntry)
    h.cycle("p3")
    report = verify_export(h.export(), trusted=[trusted.verifier])
    assert "key_recovery replaces trusted key" in _text(report)
    accepted = verify_export(
        h.export(), trusted=[trusted.verifier], accept_rotations=[new.verifier.key_id.hex()]
    )
    assert accepted.ok, _text(accepted)


def test_endorsed_rotation_keeps_old_and_new_key_holders_verifying() -> None:
    """A rotation co-signed by both keys verifies for whoever pinned the old or the new key."""
    h, trusted = _genuine()
    new = Signer.generate(ORIGIN)
    h.rotate(new, endorse=True)
    h.cycle("p3")
    for pin in (trusted, new):
        report = verify_export(h.export(), trusted=[pin.verifier])
        assert report.ok, _text(report)
        assert report.newest_checkpoint is not None
        assert report.newest_checkpoint.size == h.s.log.size


def test_old_key_signing_only_the_rotation_is_not_enough() -> None:
    """The incoming key must sign a checkpoint covering its own rotation too."""
    h, trusted = _genuine()
    new = Signer.generate(ORIGIN)
    h.s._next(
        E.KeyRotationEntry,
        None,
        key_name=ORIGIN,
        old_key=trusted.verifier.vkey,
        new_key=new.verifier.vkey,
        reason="scheduled rotation",
    )
    h.sign(trusted)  # endorsed by the old key only; the new key never shows it holds itself
    report = verify_export(h.export(), trusted=[trusted.verifier])
    assert "signed by the incoming key" in _text(report)


def test_altered_entry_is_named_by_its_range_not_a_later_rule_break() -> None:
    """Changing entry 2's bundle hash names entries up to 2, never a later entry as the cause."""
    h, trusted = _genuine()
    entries = h.s.log.entries
    entry = E.decode_entry(entries[2])
    assert isinstance(entry, E.CheckResultEntry)
    forged = replace(entry, bundle_hash="0" * 64).to_bytes()
    export = replace(
        h.export(), entries=b"".join(e + b"\n" for e in entries[:2] + [forged] + entries[3:])
    )
    report = verify_export(export, trusted=[trusted.verifier])
    text = _text(report)
    assert "one of entries 1..5 was altered" in text
    assert "see entry" not in text


def test_rule_messages_name_the_entry_kind_without_inventing_a_bundle() -> None:
    """A broken rule on a key rotation says key_rotation, not 'key_rotation of bundle ?'."""
    h, trusted = _genuine()
    other = Signer.generate(ORIGIN)
    h.s.board.signing_key = None  # let the factory append a rotation that breaks the chain
    h.s._next(
        E.KeyRotationEntry,
        None,
        key_name=ORIGIN,
        old_key=None,
        new_key=other.verifier.vkey,
        reason="pretend to be the first key",
    )
    h.sign()
    report = verify_export(h.export(), trusted=[trusted.verifier])
    assert "entry 11: key_rotation breaks rule key_chain" in _text(report)
    assert "?" not in _text(report)


def test_manifest_is_checked() -> None:
    """A manifest that disagrees with the entries (size, root, format) is reported."""
    h, trusted = _genuine()
    export = h.export()
    manifest = json.loads(export.manifest or b"")
    manifest["size"] = 3
    report = verify_export(
        replace(export, manifest=json.dumps(manifest).encode()), trusted=[trusted.verifier]
    )
    assert "manifest.json: says 3 entries but entries.jsonl has 11" in _text(report)
    missing = verify_export(replace(export, manifest=b""), trusted=[trusted.verifier])
    assert "manifest.json: missing" in _text(missing)
    manifest = json.loads(export.manifest or b"")
    manifest["root"] = base64.b64encode(b"\0" * 32).decode()
    bad_root = verify_export(
        replace(export, manifest=json.dumps(manifest).encode()), trusted=[trusted.verifier]
    )
    assert "root does not match" in _text(bad_root)
