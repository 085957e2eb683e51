"""Verify an ethics log export: recompute the tree, check signatures, consistency and quorum.

Works on an in-memory ``Export`` (``ethics.exportdir`` reads one from a directory) and returns
a ``Report`` listing every problem with *what* is wrong and *where* (entry index, checkpoint,
file). It never stops at the first problem and never raises on bad input. Checks:

1. every line of ``entries.jsonl`` is a canonical entry whose ``index`` is its position and
   whose time does not go backwards (pinpoints missing, reordered and inserted entries);
2. every checkpoint is signed by a key the verifier *trusts*, names the same origin, and its
   size and root match the tree recomputed from the entries (truncation, altered bytes). The
   trusted keys are the pinned ones (``trusted``, i.e. ``--key``) and the keys they handed
   over to: a ``key_rotation`` entry counts only when a checkpoint covering it is signed by the
   outgoing trusted key and by the incoming one. A ``key_recovery`` (the old key was lost) and
   an unendorsed rotation count only when the verifier names the new key in
   ``accept_rotations``. A key that the log merely announces is never trusted by itself;
   without pinned keys the log's first key is trusted on first use, and the report says so;
3. the newest checkpoint covers every entry (entries appended without a signature);
4. an earlier checkpoint the verifier saw (``previous``) is consistent with the export, checked
   with an RFC 6962 consistency proof;
5. replaying the entries through the board rules (``ethics.review``) accepts every step, so
   every publish had a valid quorum;
6. every published bundle file, if included, hashes to its name;
7. ``manifest.json`` (when the export has one) names this format, origin, size and root;
8. with a witness policy, the newest checkpoint carries the cosignatures the policy needs.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ethics import merkle
from ethics.checkpoint import Checkpoint, Verifier, note_signers, open_checkpoint
from ethics.entries import Entry, KeyRecoveryEntry, KeyRotationEntry, PublishEntry, decode_entry
from ethics.exceptions import CheckpointError, EntryError, ReviewRuleError, SigningKeyError
from ethics.review import Board, Policy

if TYPE_CHECKING:
    from ethics.policy import WitnessPolicy

ENTRIES_FILE = "entries.jsonl"
_KEY_KINDS = (KeyRotationEntry, KeyRecoveryEntry)
EXPORT_FORMAT = "crossroads-ethics-export/1"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an export."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class Export:
    """The parts of an export directory, as bytes and text."""

    entries: bytes
    checkpoints: dict[str, str] = field(default_factory=dict)  # file name -> signed note
    keys: dict[str, str] = field(default_factory=dict)  # file name -> vkey string
    bundles: dict[str, bytes] = field(default_factory=dict)  # file name -> bundle bytes
    origin: str | None = None  # the origin the verifier expects, if it knows it
    #: ``manifest.json`` bytes; None when the export came without one (in memory), ``b""``
    #: when a directory lacks the file.
    manifest: bytes | None = None


@dataclass
class Report:
    """Outcome of a verification."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # true statements that are not problems
    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    checkpoints: int = 0
    publishes: int = 0
    newest_checkpoint: Checkpoint | None = None
    newest_note: str | None = None
    trusted_keys: list[Verifier] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    def add(self, where: str, what: str) -> None:
        """Record one problem."""
        self.problems.append(Problem(where, what))


def split_entries(data: bytes, report: Report) -> list[bytes]:
    """Split ``entries.jsonl`` into entry byte strings, reporting a cut-off last line."""
    if not data:
        return []
    lines = data.split(b"\n")
    if lines[-1] != b"":
        report.add(
            f"{ENTRIES_FILE} line {len(lines)}",
            "the file ends in the middle of an entry (truncated or appended to)",
        )
    else:
        lines.pop()
    return lines


@dataclass
class _Seen:
    """One checkpoint file as read: its body and every known key that signed it."""

    name: str
    checkpoint: Checkpoint
    note: str
    signers: list[Verifier]


def _vkey(text: str | None) -> Verifier | None:
    if text is None:
        return None
    try:
        return Verifier.from_vkey(text)
    except SigningKeyError:
        return None


def _key_label(v: Verifier) -> str:
    return f"{v.name}+{v.key_id.hex()}"


def _accepted(v: Verifier, accept: set[str]) -> bool:
    return v.key_id.hex() in accept or v.vkey in accept or _key_label(v) in accept


def verify_export(
    export: Export,
    *,
    previous: str | None = None,
    trusted: list[Verifier] | None = None,
    accept_rotations: list[str] | tuple[str, ...] = (),
    policy: Policy | None = None,
    witnesses: WitnessPolicy | None = None,
) -> Report:
    """Check everything that can be checked in an export; see the module docstring."""
    report = Report()
    policy = policy or Policy()
    pinned = list(trusted or [])
    accept = {a.strip() for a in accept_rotations}

    shipped: list[Verifier] = []
    for name, text in sorted(export.keys.items()):
        try:
            shipped.append(Verifier.from_vkey(text))
        except SigningKeyError as exc:
            report.add(f"keys/{name}", f"unreadable public key: {exc}")

    # 1. Entries: parse, position, time, duplicates; build the tree and the board state.
    raw = split_entries(export.entries, report)
    # All leaf hashes at once (one C call per entry, no Python call): the tree, duplicate
    # detection and the consistency proof all work on them.
    hashes = merkle.leaf_hashes(raw)
    tree = merkle.CompactTree()
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT}
    seen: dict[bytes, int] = {}
    board = Board(policy=policy)
    rotations: list[tuple[int, KeyRotationEntry | KeyRecoveryEntry]] = []
    announced_at: dict[tuple[str, bytes], int] = {}
    malformed: list[int] = []  # entries whose own bytes are wrong (not a rule they break)
    last_at = None
    wanted_sizes = set()
    checkpoint_notes: list[tuple[str, str]] = sorted(export.checkpoints.items())
    for _name, note in checkpoint_notes:
        size_line = note.split("\n")[1:2]
        if size_line and size_line[0].isascii() and size_line[0].isdigit():
            wanted_sizes.add(int(size_line[0]))
    for position, data in enumerate(raw):
        where = f"entry {position}"
        digest = hashes[position]
        tree.append_hash(digest)
        if position + 1 in wanted_sizes:
            roots[position + 1] = tree.root()
        original = seen.setdefault(digest, position)
        if original != position:
            report.add(where, f"duplicate of entry {original} (added entry)")
            malformed.append(position)
        try:
            entry: Entry = decode_entry(data)
        except EntryError as exc:
            report.add(where, f"altered or malformed bytes: {exc}")
            malformed.append(position)
            continue
        if entry.index != position:
            kind = "missing entries before it" if entry.index > position else "reordered or added"
            report.add(where, f"says it is entry {entry.index} ({kind})")
            malformed.append(position)
        if last_at is not None and entry.at < last_at:
            report.add(where, "dated before the entry preceding it (reordered)")
            malformed.append(position)
        last_at = entry.at
        if type(entry) in _KEY_KINDS:
            assert isinstance(entry, KeyRotationEntry | KeyRecoveryEntry)
            new = _vkey(entry.new_key)
            if new is None:
                report.add(where, f"{entry.KIND} names an unreadable key")
            else:
                rotations.append((position, entry))
                announced_at.setdefault((new.name, new.key_id), position)
        try:
            board.apply(entry)
        except ReviewRuleError as exc:
            report.add(where, f"{_label(entry)} breaks rule {exc.code}: {exc.message}")
        if isinstance(entry, PublishEntry):
            report.publishes += 1
            if export.bundles and f"{entry.bundle_hash}.json" not in export.bundles:
                report.add(
                    f"bundles/{entry.bundle_hash}.json",
                    "published bundle is missing from the export",
                )
    report.size = tree.size
    report.root = tree.root()

    # Every key anybody mentions, so each signature can be attributed; trust comes later.
    candidates: list[Verifier] = list(pinned)
    for _, rot in rotations:
        for key_text in (rot.old_key, rot.new_key):
            v = _vkey(key_text)
            if v is not None and v not in candidates:
                candidates.append(v)
    for v in shipped:
        if v not in candidates:
            candidates.append(v)
        if (v.name, v.key_id) not in announced_at and v not in pinned:
            report.add(
                f"keys/{v.key_id.hex()}.vkey",
                "public key is not announced by any key_rotation entry in the export",
            )

    # 2. Read every checkpoint and who signed it.
    read: list[_Seen] = []
    for name, note in checkpoint_notes:
        where = f"checkpoints/{name}"
        try:
            text, signers, bad = note_signers(note, candidates)
            checkpoint = Checkpoint.parse_body(text)
        except CheckpointError as exc:
            report.add(where, f"signature or format invalid: {exc}")
            continue
        for label in bad:
            report.add(where, f"signature by {label} does not verify (note altered)")
        if bad:
            continue
        read.append(_Seen(name, checkpoint, note, signers))

    def covers(cp: _Seen, position: int) -> bool:
        size = cp.checkpoint.size
        return position < size <= tree.size and roots.get(size) == cp.checkpoint.root

    # 3. Which keys are trusted: pinned keys, then rotations the outgoing key endorsed.
    trust: list[Verifier] = list(pinned)
    if not pinned:
        genesis = next((r for _, r in rotations if r.old_key is None), None)
        first = _vkey(genesis.new_key) if genesis else None
        if first is None:
            report.add("keys", "no key to check signatures with: give one with --key")
        else:
            trust.append(first)
            report.notes.append(
                f"no pinned key given: trusting the log's own first key {_key_label(first)} "
                f"(fingerprint {first.fingerprint}); this proves the export is consistent, "
                "not who signed it. Pin the key your programme publishes with --key."
            )
    for position, rot in rotations:
        new, old = _vkey(rot.new_key), _vkey(rot.old_key)
        assert new is not None
        where = f"entry {position}"
        if new in trust:
            continue
        if _accepted(new, accept):
            trust.append(new)
            report.notes.append(
                f"{where}: {rot.KIND} to {_key_label(new)} accepted because you said so "
                "(--accept-rotation)"
            )
            continue
        if old is None or old not in trust:
            continue  # a chain that never started from a trusted key stays untrusted
        hint = (
            f"; if the board confirmed it to you, rerun with --accept-rotation {new.key_id.hex()}"
        )
        if isinstance(rot, KeyRecoveryEntry):
            report.add(
                where,
                f"key_recovery replaces trusted key {_key_label(old)} by {_key_label(new)} "
                f"without the old key's endorsement (reason given: {rot.reason!r}; approved "
                f"by staff {rot.approvals}){hint}",
            )
            continue
        by_old = any(old in cp.signers and covers(cp, position) for cp in read)
        by_new = any(new in cp.signers and covers(cp, position) for cp in read)
        if by_old and by_new:
            trust.append(new)
        else:
            missing = " and ".join(
                w
                for w, ok in (("the outgoing key", by_old), ("the incoming key", by_new))
                if not ok
            )
            report.add(
                where,
                f"key_rotation from trusted key {_key_label(old)} to {_key_label(new)} is not "
                f"endorsed: no checkpoint covering entry {position} is signed by {missing}{hint}",
            )
    # Backwards: whoever pinned a later key trusts the keys it took over from, because a
    # checkpoint it signed covers the rotation entry naming them (old checkpoints stay usable).
    for position, rot in reversed(rotations):
        new, old = _vkey(rot.new_key), _vkey(rot.old_key)
        if old is None or old in trust or new not in trust:
            continue
        if any(new in cp.signers and covers(cp, position) for cp in read):
            trust.append(old)
    report.trusted_keys = trust

    # 4. Checkpoints signed by a trusted key; each must match the recomputed tree.
    origin: str | None = export.origin  # the verifier's expectation, if it has one
    newest: _Seen | None = None
    good_sizes = [0]
    for cp in read:
        where = f"checkpoints/{cp.name}"
        checkpoint = cp.checkpoint
        signers = [v for v in cp.signers if v in trust]
        if not signers:
            who = ", ".join(_key_label(v) for v in cp.signers) or "no key this export names"
            report.add(where, f"not signed by any key you trust (signed by {who})")
            continue
        report.checkpoints += 1
        if origin is None:
            origin = checkpoint.origin
        elif checkpoint.origin != origin:
            report.add(where, f"origin {checkpoint.origin!r} is not this log ({origin!r})")
        if all(announced_at.get((v.name, v.key_id), -1) >= checkpoint.size for v in signers):
            report.add(where, "signed with a key announced only after this checkpoint")
        if checkpoint.size > tree.size:
            report.add(
                where,
                f"signs {checkpoint.size} entries but the export has only {tree.size} "
                f"(truncated: entries {tree.size}..{checkpoint.size - 1} are missing)",
            )
        elif roots.get(checkpoint.size) != checkpoint.root:
            report.add(where, _mismatch(checkpoint.size, good_sizes, roots, read, trust, malformed))
        else:
            good_sizes.append(checkpoint.size)
        if newest is None or checkpoint.size > newest.checkpoint.size:
            newest = cp
    report.newest_checkpoint = newest.checkpoint if newest else None
    report.newest_note = newest.note if newest else None
    if newest is None:
        report.add("checkpoints/", "no checkpoint in the export is signed by a key you trust")
    elif newest.checkpoint.size < tree.size:
        report.add(
            f"entries {newest.checkpoint.size}..{tree.size - 1}",
            "not covered by any signed checkpoint (added after the last signature)",
        )

    # 5. Consistency with a checkpoint the verifier saw earlier (trusted keys only).
    if previous is not None:
        _check_previous(report, previous, trust, origin, hashes)

    # 6. Bundle files.
    for name, data in sorted(export.bundles.items()):
        if f"{hashlib.sha256(data).hexdigest()}.json" != name:
            report.add(f"bundles/{name}", "file content does not match its hash (altered)")

    # 7. The manifest.
    if export.manifest is not None:
        _check_manifest(report, export.manifest, origin)

    # 8. Witness cosignatures on the newest checkpoint.
    if witnesses is not None and newest is not None:
        problem = witnesses.check(newest.note)
        if problem:
            report.add(f"checkpoints/{newest.name}", problem)
    return report


def _label(entry: Entry) -> str:
    """How a message names an entry: its kind and the bundle or proposal it concerns."""
    bundle = getattr(entry, "bundle_hash", None)
    proposal = getattr(entry, "proposal", None)
    if proposal:
        return f"{entry.KIND} of proposal {proposal}"
    if bundle:
        return f"{entry.KIND} of bundle {bundle[:12]}"
    return entry.KIND


def _mismatch(
    size: int,
    good_sizes: list[int],
    roots: dict[int, bytes],
    read: list[_Seen],
    trust: list[Verifier],
    malformed: list[int],
) -> str:
    """Name the entries that can have changed: after the largest matching signed size."""
    good = max(
        [g for g in good_sizes if g < size]
        + [
            cp.checkpoint.size
            for cp in read
            if cp.checkpoint.size < size
            and any(v in trust for v in cp.signers)
            and roots.get(cp.checkpoint.size) == cp.checkpoint.root
        ]
    )
    span = f"entry {good}" if good == size - 1 else f"entries {good}..{size - 1}"
    suspects = [i for i in malformed if good <= i < size]
    hint = f"; entry {suspects[0]} itself is malformed" if suspects else ""
    return (
        f"root for the first {size} entries does not match: one of {span} was altered, "
        f"removed, reordered or inserted (the signed tree up to entry {good} still matches)" + hint
    )


def _check_manifest(report: Report, data: bytes, origin: str | None) -> None:
    where = "manifest.json"
    if not data:
        report.add(where, "missing: every export has a manifest naming its format and size")
        return
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.add(where, f"not valid JSON: {exc}")
        return
    if not isinstance(manifest, dict):
        report.add(where, "not a JSON object")
        return
    if manifest.get("format") != EXPORT_FORMAT:
        report.add(where, f"format {manifest.get('format')!r} is not {EXPORT_FORMAT!r}")
    if origin is not None and manifest.get("origin") != origin:
        report.add(where, f"origin {manifest.get('origin')!r} is not the signed origin {origin!r}")
    if manifest.get("size") != report.size:
        report.add(
            where, f"says {manifest.get('size')!r} entries but entries.jsonl has {report.size}"
        )
    if manifest.get("root") != base64.b64encode(report.root).decode():
        report.add(where, "root does not match the root recomputed from entries.jsonl")


def _check_previous(
    report: Report,
    previous: str,
    verifiers: list[Verifier],
    origin: str | None,
    hashes: list[bytes],
) -> None:
    where = "previous checkpoint"
    try:
        old, _ = open_checkpoint(previous, verifiers)
    except CheckpointError as exc:
        report.add(where, f"cannot be verified with the keys you trust: {exc}")
        return
    if origin is not None and old.origin != origin:
        report.add(where, f"belongs to another log ({old.origin!r})")
        return
    size = len(hashes)
    if old.size > size:
        report.add(
            where,
            f"you saw {old.size} entries before, the export has only {size} (log truncated)",
        )
        return
    new_root = merkle.root_from_hashes(hashes)
    proof = merkle.consistency_proof_from_hashes(old.size, hashes)
    if not merkle.verify_consistency(old.size, size, old.root, new_root, proof):
        report.add(
            where,
            f"the export is not an extension of the log you saw at size {old.size}: "
            "history was rewritten",
        )
