"""Verify an ethics log export: recompute the tree, check signatures, consistency and quorum.

Works on an in-memory ``Export`` (``ethics.exportdir`` reads one from a directory) and returns
a ``Report`` listing every problem with *what* is wrong and *where* (entry index, checkpoint,
file). It never stops at the first problem and never raises on bad input. Checks:

1. every line of ``entries.jsonl`` is a canonical entry whose ``index`` is its position and
   whose time does not go backwards (pinpoints missing, reordered and inserted entries);
2. every signed checkpoint verifies with a key the log announced, names the same origin, and
   its size and root match the tree recomputed from the entries (truncation, altered bytes);
3. the newest checkpoint covers every entry (entries appended without a signature);
4. an earlier checkpoint the verifier saw (``previous``) is consistent with the export, checked
   with an RFC 6962 consistency proof;
5. replaying the entries through the board rules (``ethics.review``) accepts every step, so
   every publish had a valid quorum;
6. every published bundle file, if included, hashes to its name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ethics import merkle
from ethics.checkpoint import Checkpoint, Verifier, open_checkpoint
from ethics.entries import Entry, KeyRotationEntry, PublishEntry, decode_entry
from ethics.exceptions import CheckpointError, EntryError, ReviewRuleError, SigningKeyError
from ethics.review import Board, Policy

ENTRIES_FILE = "entries.jsonl"
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
    origin: str | None = None


@dataclass
class Report:
    """Outcome of a verification."""

    problems: list[Problem] = field(default_factory=list)
    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    checkpoints: int = 0
    publishes: int = 0
    newest_checkpoint: Checkpoint | None = None

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


def verify_export(
    export: Export,
    *,
    previous: str | None = None,
    trusted: list[Verifier] | None = None,
    policy: Policy | None = None,
) -> Report:
    """Check everything that can be checked in an export; see the module docstring."""
    report = Report()
    policy = policy or Policy()

    # Keys shipped with the export.
    shipped: list[Verifier] = []
    for name, text in sorted(export.keys.items()):
        try:
            shipped.append(Verifier.from_vkey(text))
        except SigningKeyError as exc:
            report.add(f"keys/{name}", f"unreadable public key: {exc}")

    # 1. Entries: parse, position, time, duplicates; build the tree and the board state.
    raw = split_entries(export.entries, report)
    tree = merkle.CompactTree()
    roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT}
    hashes: list[bytes] = []
    seen: dict[bytes, int] = {}
    board = Board(policy=policy)
    announced: dict[tuple[str, bytes], tuple[Verifier, int]] = {}
    last_at = None
    wanted_sizes = set()
    checkpoint_notes: list[tuple[str, str]] = sorted(export.checkpoints.items())
    for _name, note in checkpoint_notes:
        size_line = note.split("\n")[1:2]
        if size_line and size_line[0].isdigit():
            wanted_sizes.add(int(size_line[0]))
    for position, data in enumerate(raw):
        where = f"entry {position}"
        digest = tree.append(data)
        hashes.append(digest)
        if tree.size in wanted_sizes:
            roots[tree.size] = tree.root()
        if digest in seen:
            report.add(where, f"duplicate of entry {seen[digest]} (added entry)")
        seen.setdefault(digest, position)
        try:
            entry: Entry = decode_entry(data)
        except EntryError as exc:
            report.add(where, f"altered or malformed bytes: {exc}")
            continue
        if entry.index != position:
            kind = "missing entries before it" if entry.index > position else "reordered or added"
            report.add(where, f"says it is entry {entry.index} ({kind})")
        if last_at is not None and entry.at < last_at:
            report.add(where, "dated before the entry preceding it (reordered)")
        last_at = entry.at
        if isinstance(entry, KeyRotationEntry):
            try:
                verifier = Verifier.from_vkey(entry.new_key)
                announced[(verifier.name, verifier.key_id)] = (verifier, position)
            except SigningKeyError as exc:
                report.add(where, f"key rotation names an unreadable key: {exc}")
        try:
            board.apply(entry)
        except ReviewRuleError as exc:
            label = f"{entry.KIND} of bundle {getattr(entry, 'bundle_hash', '?')[:12]}"
            report.add(where, f"{label} breaks rule {exc.code}: {exc.message}")
        if isinstance(entry, PublishEntry):
            report.publishes += 1
            name = f"{entry.bundle_hash}.json"
            if export.bundles and name not in export.bundles:
                report.add(f"bundles/{name}", "published bundle is missing from the export")
    report.size = tree.size
    report.root = tree.root()

    # Keys: those announced in the log and those the verifier trusts. A shipped key the log
    # never announced is itself a problem, but still used so the other findings stay precise.
    verifiers = [v for v, _ in announced.values()] + list(trusted or [])
    for v in shipped:
        if (v.name, v.key_id) not in announced and not any(v == t for t in trusted or []):
            report.add(
                f"keys/{v.key_id.hex()}.vkey",
                "public key is not announced by any key_rotation entry in the export",
            )
            verifiers.append(v)

    # 2./3. Checkpoints.
    origin = export.origin
    newest: Checkpoint | None = None
    for name, note in checkpoint_notes:
        where = f"checkpoints/{name}"
        try:
            checkpoint, signer = open_checkpoint(note, verifiers)
        except CheckpointError as exc:
            report.add(where, f"signature or format invalid: {exc}")
            continue
        report.checkpoints += 1
        if origin is None:
            origin = checkpoint.origin
        elif checkpoint.origin != origin:
            report.add(where, f"origin {checkpoint.origin!r} is not this log ({origin!r})")
        key_at = announced.get((signer.name, signer.key_id))
        if key_at is not None and key_at[1] >= checkpoint.size:
            report.add(where, "signed with a key announced only after this checkpoint")
        if checkpoint.size > tree.size:
            report.add(
                where,
                f"signs {checkpoint.size} entries but the export has only {tree.size} "
                f"(truncated: entries {tree.size}..{checkpoint.size - 1} are missing)",
            )
        elif roots.get(checkpoint.size) != checkpoint.root:
            report.add(
                where,
                f"root for the first {checkpoint.size} entries does not match: an entry "
                f"before index {checkpoint.size} was altered, removed, reordered or inserted"
                + _first_bad_hint(report, checkpoint.size),
            )
        if newest is None or checkpoint.size > newest.size:
            newest = checkpoint
    report.newest_checkpoint = newest
    if newest is None:
        report.add("checkpoints/", "no valid signed checkpoint in the export")
    elif newest.size < tree.size:
        report.add(
            f"entries {newest.size}..{tree.size - 1}",
            "not covered by any signed checkpoint (added after the last signature)",
        )

    # 4. Consistency with a checkpoint the verifier saw earlier.
    if previous is not None:
        _check_previous(report, previous, verifiers, origin, hashes)

    # 6. Bundle files.
    for name, data in sorted(export.bundles.items()):
        if f"{hashlib.sha256(data).hexdigest()}.json" != name:
            report.add(f"bundles/{name}", "file content does not match its hash (altered)")
    return report


def _first_bad_hint(report: Report, size: int) -> str:
    entry_problems = [
        p.where for p in report.problems if p.where.startswith("entry ") and p.where[6:].isdigit()
    ]
    before = [w for w in entry_problems if int(w[6:]) < size]
    return f"; see {before[0]}" if before else ""


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
        report.add(where, f"cannot be verified with this log's keys: {exc}")
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
