"""RFC 6962 Merkle hash trees: tree heads, inclusion proofs and consistency proofs.

A small, dependency-free public API that an outside verifier can use on any tree size
(0-based indices, raw entry bytes as leaves, 32-byte SHA-256 digests). Verification never
raises: any malformed or altered input simply returns ``False``.

Theory of operation
-------------------
RFC 6962 defines the tree head MTH(D[n]) recursively: split at the largest power of two
``k < n``. The same tree is obtained bottom-up by hashing neighbours level by level and
carrying a lone right-most node up unchanged; ``_levels`` builds that table once so proofs
are plain index arithmetic. ``CompactTree`` keeps only the right edge (at most log2(n)
perfect subtree hashes), which makes appending O(1) amortised and the head of a 100,000-entry
log cheap to recompute. Proof verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

__all__ = [
    "DIGEST_SIZE",
    "EMPTY_ROOT",
    "CompactTree",
    "consistency_proof",
    "consistency_proof_from_hashes",
    "inclusion_proof",
    "inclusion_proof_from_hashes",
    "leaf_hash",
    "leaf_hashes",
    "node_hash",
    "root",
    "root_from_hashes",
    "verify_consistency",
    "verify_inclusion",
]

DIGEST_SIZE = 32
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 6962 leaf hash ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(_LEAF_PREFIX + bytes(data)).digest()


def leaf_hashes(leaves: Iterable[bytes]) -> list[bytes]:
    """``leaf_hash`` of every leaf, in order (a verifier hashes a whole log at once)."""
    sha256, prefix = hashlib.sha256, _LEAF_PREFIX
    return [sha256(prefix + bytes(data)).digest() for data in leaves]


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior node hash ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


class CompactTree:
    """The right edge of a growing tree: append leaf hashes, read the root at any time.

    Holds one perfect-subtree hash per set bit of the size, so memory is O(log n).
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._size = 0
        # Perfect subtree hashes, largest (left-most) first.
        self._stack: list[bytes] = []

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def append_hash(self, digest: bytes) -> None:
        """Append one leaf given by its leaf hash."""
        node = digest
        size = self._size
        stack = self._stack
        # Each trailing 1-bit of the old size is a perfect subtree that now gets a sibling.
        while size & 1:
            node = hashlib.sha256(_NODE_PREFIX + stack.pop() + node).digest()
            size >>= 1
        stack.append(node)
        self._size += 1

    def append(self, data: bytes) -> bytes:
        """Append one leaf given by its raw bytes; return its leaf hash."""
        digest = leaf_hash(data)
        self.append_hash(digest)
        return digest

    def root(self) -> bytes:
        """The RFC 6962 tree head of everything appended so far."""
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            node = hashlib.sha256(_NODE_PREFIX + left + node).digest()
        return node


def root_from_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """Tree head over already-hashed leaves."""
    tree = CompactTree()
    for digest in leaf_hashes:
        tree.append_hash(digest)
    return tree.root()


def root(leaves: Iterable[bytes]) -> bytes:
    """Tree head MTH(D[n]) over raw leaf bytes; the empty tree has SHA-256 of ''."""
    return root_from_hashes(leaf_hash(leaf) for leaf in leaves)


def _levels(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """All levels of the tree, leaves first; a lone right node is carried up unchanged.

    ``levels[h][j]`` is MTH of leaves ``[j*2**h, min((j+1)*2**h, n))``.
    """
    levels = [list(leaf_hashes)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])
        levels.append(above)
    return levels


def inclusion_proof_from_hashes(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Audit path (RFC 6962 PATH) for leaf ``index`` over already-hashed leaves."""
    size = len(leaf_hashes)
    if not 0 <= index < size:
        raise IndexError(f"leaf index {index} is outside a tree of size {size}")
    proof: list[bytes] = []
    position = index
    for level in _levels(leaf_hashes)[:-1]:
        sibling = position ^ 1
        if sibling < len(level):
            proof.append(level[sibling])
        position >>= 1
    return proof


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Audit path for leaf ``index`` (0-based) in the tree over raw ``leaves``."""
    return inclusion_proof_from_hashes(index, [leaf_hash(leaf) for leaf in leaves])


def consistency_proof_from_hashes(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 PROOF(m, D[n]) over already-hashed leaves."""
    size = len(leaf_hashes)
    if not 0 <= old_size <= size:
        raise IndexError(f"old size {old_size} is outside 0..{size}")
    if old_size in (0, size):
        return []
    levels = _levels(leaf_hashes)

    def subtree(start: int, end: int) -> bytes:
        # Every range RFC 6962's recursion asks for is aligned to its height (see module doc).
        height = (end - start - 1).bit_length()
        if start % (1 << height) == 0 and (end - start == 1 << height or end == size):
            return levels[height][start >> height]
        return root_from_hashes(leaf_hashes[start:end])  # pragma: no cover - defensive

    proof: list[bytes] = []
    # Iterative form of SUBPROOF(m, D[start:end], complete).
    m, start, end, complete = old_size, 0, size, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                proof.append(subtree(start, end))
            break
        k = 1 << ((n - 1).bit_length() - 1)
        if m <= k:
            proof.append(subtree(start + k, end))
            end = start + k
        else:
            proof.append(subtree(start, start + k))
            m -= k
            start += k
            complete = False
    proof.reverse()
    return proof


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Proof that the tree of the first ``old_size`` leaves is a prefix of the whole tree."""
    return consistency_proof_from_hashes(old_size, [leaf_hash(leaf) for leaf in leaves])


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_digest(value: object) -> bool:
    return isinstance(value, bytes | bytearray | memoryview) and len(value) == DIGEST_SIZE


def _is_proof(proof: object) -> bool:
    return isinstance(proof, list | tuple) and all(_is_digest(p) for p in proof)


def verify_inclusion(
    index: int, size: int, leaf_digest: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """True if ``proof`` shows the leaf hash ``leaf_digest`` at ``index`` in the tree ``root``."""
    try:
        if not (_is_size(index) and _is_size(size) and index < size):
            return False
        if not (_is_digest(leaf_digest) and _is_digest(root) and _is_proof(proof)):
            return False
        fn, sn = index, size - 1
        node = bytes(leaf_digest)
        for sibling in proof:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                node = node_hash(bytes(sibling), node)
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
            else:
                node = node_hash(node, bytes(sibling))
            fn >>= 1
            sn >>= 1
        return sn == 0 and node == bytes(root)
    except Exception:  # a verifier answers, it never crashes
        return False


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True if the tree ``old_root`` of ``old_size`` is a prefix of ``new_root`` of ``new_size``.

    An empty old tree is consistent with anything when its root is the empty root and the
    proof is empty; equal sizes need equal roots and an empty proof.
    """
    try:
        if not (_is_size(old_size) and _is_size(new_size) and old_size <= new_size):
            return False
        if not (_is_digest(old_root) and _is_digest(new_root) and _is_proof(proof)):
            return False
        old_root, new_root = bytes(old_root), bytes(new_root)
        if old_size == 0:
            return len(proof) == 0 and old_root == EMPTY_ROOT
        if old_size == new_size:
            return len(proof) == 0 and old_root == new_root
        if len(proof) == 0:
            return False
        path = [bytes(p) for p in proof]
        if old_size & (old_size - 1) == 0:
            path.insert(0, old_root)
        fn, sn = old_size - 1, new_size - 1
        while fn & 1:
            fn >>= 1
            sn >>= 1
        fr = sr = path[0]
        for c in path[1:]:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                fr = node_hash(c, fr)
                sr = node_hash(c, sr)
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
            else:
                sr = node_hash(sr, c)
            fn >>= 1
            sn >>= 1
        return sn == 0 and fr == old_root and sr == new_root
    except Exception:  # a verifier answers, it never crashes
        return False
