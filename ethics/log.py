"""The append-only ethics log as a plain in-memory model (no storage, no clock).

``append`` takes an entry's canonical bytes, insists that the entry names the next position
and does not go back in time, and returns the new size and root. A duplicate or out-of-order
append is an ``IntegrityError`` (as in eventsourcing's stores): the caller's storage must not
commit it. Storage shells rebuild the model with ``Log.from_entries``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ethics import merkle
from ethics.entries import Entry, decode_entry
from ethics.exceptions import EntryError, IntegrityError


@dataclass(frozen=True)
class Appended:
    """What one append produced: the entry's position, leaf hash and the new tree head."""

    index: int
    leaf_hash: bytes
    size: int
    root: bytes


class Log:
    """An RFC 6962 log of typed entries; keeps bytes and leaf hashes for proofs."""

    def __init__(self) -> None:
        self._tree = merkle.CompactTree()
        self._entries: list[bytes] = []
        self._hashes: list[bytes] = []
        self._seen: set[bytes] = set()
        self._last_at: datetime | None = None

    @classmethod
    def from_entries(cls, entries: Iterable[bytes]) -> Log:
        """Rebuild a log from stored entry bytes, re-checking every rule."""
        log = cls()
        for data in entries:
            log.append(data)
        return log

    @property
    def size(self) -> int:
        """Number of entries."""
        return self._tree.size

    @property
    def root(self) -> bytes:
        """Current RFC 6962 tree head."""
        return self._tree.root()

    @property
    def entries(self) -> list[bytes]:
        """Entry bytes in log order (a copy)."""
        return list(self._entries)

    @property
    def leaf_hashes(self) -> list[bytes]:
        """Leaf hashes in log order (a copy)."""
        return list(self._hashes)

    def check(self, data: bytes) -> Entry:
        """Validate that ``data`` could be appended next; return the parsed entry."""
        try:
            entry = decode_entry(data)
        except EntryError as exc:
            raise IntegrityError(f"entry {self.size} is malformed: {exc}") from exc
        digest = merkle.leaf_hash(data)
        if digest in self._seen:
            raise IntegrityError(f"entry {self.size} duplicates an entry already in the log")
        if entry.index != self.size:
            raise IntegrityError(
                f"entry says it is at position {entry.index} but the log has {self.size} "
                "entries (out of order)"
            )
        if self._last_at is not None and entry.at < self._last_at:
            raise IntegrityError(f"entry {self.size} is dated before the entry preceding it")
        return entry

    def append(self, data: bytes) -> Appended:
        """Append one entry's canonical bytes; return its position and the new tree head."""
        data = bytes(data)
        entry = self.check(data)
        digest = self._tree.append(data)
        self._entries.append(data)
        self._hashes.append(digest)
        self._seen.add(digest)
        self._last_at = entry.at
        return Appended(index=entry.index, leaf_hash=digest, size=self.size, root=self.root)

    def inclusion_proof(self, index: int) -> list[bytes]:
        """Audit path for entry ``index`` in the current tree."""
        return merkle.inclusion_proof_from_hashes(index, self._hashes)

    def consistency_proof(self, old_size: int) -> list[bytes]:
        """Proof that the tree at ``old_size`` is a prefix of the current tree."""
        return merkle.consistency_proof_from_hashes(old_size, self._hashes)

    def root_at(self, size: int) -> bytes:
        """Tree head when the log had ``size`` entries."""
        if not 0 <= size <= self.size:
            raise IndexError(f"size {size} is outside 0..{self.size}")
        return merkle.root_from_hashes(self._hashes[:size])
