"""RFC 6962 Merkle tree: published test vectors and proof invariants."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ethics import merkle

# The eight leaves of Certificate Transparency's merkle_tree_test (and transparency-dev/merkle).
LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
ROOTS = [
    bytes.fromhex(h)
    for h in [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]


def _h(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(x) for x in hexes]


# (0-based index, tree size, audit path)
INCLUSION_VECTORS = [
    (0, 1, []),
    (
        0,
        8,
        _h(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        5,
        8,
        _h(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (2, 3, _h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        1,
        5,
        _h(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
]

# (old size, new size, consistency proof)
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        _h(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _h(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        _h(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        _h(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    """An empty log has the well-known RFC 6962 empty root."""
    assert merkle.root([]) == hashlib.sha256(b"").digest() == merkle.EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_published_vectors(size: int) -> None:
    """Tree heads for sizes 1..8 equal the Certificate Transparency test vectors."""
    assert merkle.root(LEAVES[:size]) == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS)
def test_inclusion_proofs_match_published_vectors(index: int, size: int, path: list[bytes]) -> None:
    """Generated audit paths equal the published ones and verify against the published root."""
    assert merkle.inclusion_proof(index, LEAVES[:size]) == path
    digest = merkle.leaf_hash(LEAVES[index])
    assert merkle.verify_inclusion(index, size, digest, path, ROOTS[size - 1])


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY_VECTORS)
def test_consistency_proofs_match_published_vectors(old: int, new: int, path: list[bytes]) -> None:
    """Generated consistency proofs equal the published ones and verify."""
    assert merkle.consistency_proof(old, LEAVES[:new]) == path
    assert merkle.verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], path)


def _inclusion_corruptions(
    index: int, size: int, digest: bytes, proof: list[bytes], root: bytes
) -> list[tuple[object, ...]]:
    some = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
    probes: list[tuple[object, ...]] = [
        (index - 1, size, digest, proof, root),
        (index + 1, size, digest, proof, root),
        (index ^ 2, size, digest, proof, root),
        (index, size * 2, digest, proof, root),
        (index, size // 2, digest, proof, root),
        (index, size, b"WrongLeaf", proof, root),
        (index, size, digest, proof, merkle.EMPTY_ROOT),
        (index, size, digest, proof, some),
        (index, size, digest, [*proof, b""], root),
        (index, size, digest, [*proof, root], root),
        (index, size, digest, [b"", *proof], root),
        (index, size, digest, [root, *proof], root),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 8]) + bad[i][1:]
        probes.append((index, size, digest, bad, root))
    if proof:
        probes.append((index, size, digest, proof[:-1], root))
    if len(proof) > 1:
        probes.append((index, size, digest, [proof[0], some, *proof[1:]], root))
    return probes


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS[1:])
def test_altered_inclusion_proofs_fail(index: int, size: int, path: list[bytes]) -> None:
    """Every corruption of a published audit path is rejected (False, never an exception)."""
    digest = merkle.leaf_hash(LEAVES[index])
    for probe in _inclusion_corruptions(index, size, digest, path, ROOTS[size - 1]):
        assert merkle.verify_inclusion(*probe) is False, probe  # type: ignore[arg-type]


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY_VECTORS[1:])
def test_altered_consistency_proofs_fail(old: int, new: int, path: list[bytes]) -> None:
    """Every corruption of a published consistency proof is rejected."""
    r1, r2 = ROOTS[old - 1], ROOTS[new - 1]
    probes: list[tuple[object, ...]] = [
        (old - 1, new, r1, r2, path),
        (old + 1, new, r1, r2, path),
        (old ^ 2, new, r1, r2, path),
        (old, new * 2, r1, r2, path),
        (old, new // 2, r1, r2, path),
        (old, new, b"WrongRoot", r2, path),
        (old, new, r1, b"WrongRoot", path),
        (old, new, r2, r1, path),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*path, b""]),
        (old, new, r1, r2, [*path, r1]),
        (old, new, r1, r2, [*path, r2]),
        (old, new, r1, r2, [b"", *path]),
        (old, new, r1, r2, [r1, *path]),
        (old, new, r1, r2, [r2, *path]),
        (old, new, r1, r2, [path[0], *path]),
        (old, new, r1, r2, path[:-1]),
    ]
    for i in range(len(path)):
        bad = list(path)
        bad[i] = bytes([bad[i][0] ^ 16]) + bad[i][1:]
        probes.append((old, new, r1, r2, bad))
    for probe in probes:
        assert merkle.verify_consistency(*probe) is False, probe  # type: ignore[arg-type]


def test_edge_case_consistency() -> None:
    """Equal or empty trees are consistent only with an empty proof and matching roots."""
    e = merkle.EMPTY_ROOT
    assert merkle.verify_consistency(0, 0, e, e, [])
    assert merkle.verify_consistency(0, 5, e, ROOTS[4], [])
    assert not merkle.verify_consistency(0, 5, ROOTS[0], ROOTS[4], [])
    assert not merkle.verify_consistency(0, 0, e, e, [e])
    assert not merkle.verify_consistency(1, 1, ROOTS[0], ROOTS[1], [])
    assert not merkle.verify_consistency(1, 1, e, e, [e])
    assert not merkle.verify_consistency(2, 1, ROOTS[1], ROOTS[0], [])


@pytest.mark.parametrize(
    "junk",
    [None, "abc", 3.5, [None], [b"x" * 31], {"a": 1}, [1, 2], b"\x00" * 32],
)
def test_malformed_inputs_return_false(junk: object) -> None:
    """Garbage of any type is answered with False, never an exception."""
    r = ROOTS[7]
    d = merkle.leaf_hash(LEAVES[0])
    assert merkle.verify_inclusion(junk, 8, d, [], r) is False  # type: ignore[arg-type]
    assert merkle.verify_inclusion(0, junk, d, [], r) is False  # type: ignore[arg-type]
    assert merkle.verify_inclusion(0, 8, junk, [], r) is False  # type: ignore[arg-type]
    assert merkle.verify_inclusion(0, 8, d, junk, r) is False  # type: ignore[arg-type]
    assert merkle.verify_inclusion(0, 8, d, [], junk) is False  # type: ignore[arg-type]
    assert merkle.verify_consistency(junk, 8, r, r, []) is False  # type: ignore[arg-type]
    assert merkle.verify_consistency(1, 8, junk, r, [r]) is False  # type: ignore[arg-type]
    assert merkle.verify_consistency(1, 8, r, r, junk) is False  # type: ignore[arg-type]
    assert merkle.verify_inclusion(True, 8, d, [], r) is False  # type: ignore[arg-type]


def test_proof_generation_rejects_out_of_range() -> None:
    """Asking for a proof outside the tree is a caller error with a clear message."""
    with pytest.raises(IndexError):
        merkle.inclusion_proof(8, LEAVES)
    with pytest.raises(IndexError):
        merkle.consistency_proof(9, LEAVES)


def _naive_mth(leaves: list[bytes]) -> bytes:
    """Literal RFC 6962 recursive definition, used as an oracle."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return merkle.leaf_hash(leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(_naive_mth(leaves[:k]), _naive_mth(leaves[k:]))


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70, unique=True)


@settings(max_examples=120, deadline=None)
@given(leaf_lists)
def test_incremental_root_matches_recursive_definition(leaves: list[bytes]) -> None:
    """The iterative tree head equals the RFC's recursive definition for every size."""
    assert merkle.root(leaves) == _naive_mth(leaves)
    tree = merkle.CompactTree()
    for i, leaf in enumerate(leaves):
        tree.append(leaf)
        assert tree.size == i + 1
    assert tree.root() == _naive_mth(leaves)


@settings(max_examples=120, deadline=None)
@given(leaf_lists, st.data())
def test_every_valid_inclusion_proof_verifies_and_altered_fails(
    leaves: list[bytes], data: st.DataObject
) -> None:
    """Each generated audit path verifies; a changed index, size, leaf, root or path fails."""
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1))
    r = merkle.root(leaves)
    d = merkle.leaf_hash(leaves[index])
    proof = merkle.inclusion_proof(index, leaves)
    assert merkle.verify_inclusion(index, size, d, proof, r)
    other = data.draw(st.integers(0, size * 2 + 1).filter(lambda i: i != index))
    if merkle.verify_inclusion(other, size, d, proof, r):
        # Only possible when an identical leaf sits at a position with the identical path.
        assert other < size and leaves[other] == leaves[index]
        assert merkle.inclusion_proof(other, leaves) == proof
    # The root does not commit to the size (the signed checkpoint does), so a wrong size is
    # only detectable by the proof when it changes the tree's shape along this path.
    wrong = data.draw(st.integers(index + 1, size * 4 + 2).filter(lambda n: n != size))
    if len(merkle.inclusion_proof(index, [b""] * wrong)) != len(proof):
        assert not merkle.verify_inclusion(index, wrong, d, proof, r)
    assert not merkle.verify_inclusion(index, size, merkle.leaf_hash(b"\xff" * 9), proof, r)
    flip = bytes([r[0] ^ 1]) + r[1:]
    assert not merkle.verify_inclusion(index, size, d, proof, flip)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        pos = data.draw(st.integers(0, 31))
        bad = list(proof)
        bad[i] = bytes(b ^ 0x80 if j == pos else b for j, b in enumerate(bad[i]))
        assert not merkle.verify_inclusion(index, size, d, bad, r)
        assert not merkle.verify_inclusion(index, size, d, proof[:-1], r)
    assert not merkle.verify_inclusion(index, size, d, [*proof, r], r)


@settings(max_examples=120, deadline=None)
@given(leaf_lists, st.data())
def test_every_valid_consistency_proof_verifies_and_altered_fails(
    leaves: list[bytes], data: st.DataObject
) -> None:
    """Each consistency proof verifies; a changed size, root or path fails."""
    new = len(leaves)
    old = data.draw(st.integers(1, new))
    r1, r2 = merkle.root(leaves[:old]), merkle.root(leaves)
    proof = merkle.consistency_proof(old, leaves)
    assert merkle.verify_consistency(old, new, r1, r2, proof)
    flip1 = bytes([r1[0] ^ 1]) + r1[1:]
    flip2 = bytes([r2[0] ^ 1]) + r2[1:]
    assert not merkle.verify_consistency(old, new, flip1, r2, proof)
    assert not merkle.verify_consistency(old, new, r1, flip2, proof)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 4]) + bad[i][1:]
        assert not merkle.verify_consistency(old, new, r1, r2, bad)
        assert not merkle.verify_consistency(old, new, r1, r2, proof[:-1])
        assert not merkle.verify_consistency(old, new, r1, r2, [*proof, r2])
    wrong_new = data.draw(st.integers(old + 1, new * 3 + 2).filter(lambda n: n != new))
    if len(merkle.consistency_proof(old, [b""] * wrong_new)) != len(proof):
        assert not merkle.verify_consistency(old, wrong_new, r1, r2, proof)
