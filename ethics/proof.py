"""Offline proofs that a bundle was published through the ethics log (C2SP tlog-proof).

The server sends one with every bundle; the game keeps it next to its cached copy and checks
it before showing anything, online or offline. The proof is the C2SP ``tlog-proof@v1`` text::

    c2sp.org/tlog-proof@v1
    extra <base64 of the publish entry's canonical bytes>
    index <the entry's position>
    <inclusion proof hashes, base64, one per line>

    <the signed checkpoint, with witness cosignatures>

Checking it (``verify_content_proof``) means: the checkpoint is signed by a pinned log key and
cosigned per the witness policy, the entry is in that tree, and the entry is a ``publish`` of
exactly this bundle's hash. The ``extra`` data is what lets the verifier recompute the leaf; it
is authenticated by the inclusion proof, never trusted on its own.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ethics import merkle
from ethics.checkpoint import Checkpoint, Verifier, note_signers
from ethics.exceptions import CheckpointError, EthicsError

if TYPE_CHECKING:
    from ethics.policy import WitnessPolicy

HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_LINES = 63
MAX_PROOF_CHARS = 16_000


class ProofError(EthicsError):
    """A content proof is malformed or does not prove what it claims (the sender's fault)."""


@dataclass(frozen=True)
class ContentProof:
    """A parsed proof: the entry bytes, its index, the audit path and the checkpoint note."""

    entry: bytes
    index: int
    path: list[bytes]
    note: str

    def text(self) -> str:
        """The tlog-proof text."""
        lines = [
            HEADER,
            f"extra {base64.b64encode(self.entry).decode()}",
            f"index {self.index}",
            *(base64.b64encode(h).decode() for h in self.path),
            "",
        ]
        return "\n".join(lines) + "\n" + self.note


def parse_proof(text: str) -> ContentProof:
    """Parse a tlog-proof text; raise ProofError saying what is wrong."""
    if len(text) > MAX_PROOF_CHARS:
        raise ProofError("the proof is too long")
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise ProofError("the proof has no blank line before its checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise ProofError(f"the proof does not start with {HEADER}")
    if len(lines) < 3 or not lines[1].startswith("extra ") or not lines[2].startswith("index "):
        raise ProofError("the proof needs an extra line (the entry) and an index line")
    index_text = lines[2][len("index ") :]
    if not (index_text.isascii() and index_text.isdigit()) or (
        len(index_text) > 1 and index_text[0] == "0"
    ):
        raise ProofError(f"the proof's index {index_text[:20]!r} is not a decimal number")
    if len(lines) - 3 > MAX_PROOF_LINES:
        raise ProofError("the proof has too many hashes")
    try:
        entry = base64.b64decode(lines[1][len("extra ") :], validate=True)
        path = [base64.b64decode(line, validate=True) for line in lines[3:]]
    except (ValueError, binascii.Error) as exc:
        raise ProofError("the proof has a line that is not base64") from exc
    if any(len(h) != merkle.DIGEST_SIZE for h in path):
        raise ProofError("the proof has a hash that is not 32 bytes")
    return ContentProof(entry=entry, index=int(index_text), path=path, note=note)


def verify_content_proof(
    text: str,
    bundle_hash: str,
    keys: list[Verifier],
    witnesses: WitnessPolicy | None = None,
    origin: str | None = None,
) -> Checkpoint:
    """Check that ``text`` proves ``bundle_hash`` was published; return the checkpoint.

    Raises ProofError with a plain reason: the game shows "could not confirm this story was
    approved" for any of them.
    """
    proof = parse_proof(text)
    try:
        body, signers, bad = note_signers(proof.note, keys)
        checkpoint = Checkpoint.parse_body(body)
    except CheckpointError as exc:
        raise ProofError(f"the checkpoint is malformed: {exc}") from exc
    if bad:
        raise ProofError(f"the checkpoint signature by {bad[0]} does not verify")
    if not signers:
        raise ProofError("the checkpoint is not signed by the pinned ethics log key")
    if origin is not None and checkpoint.origin != origin:
        raise ProofError(f"the checkpoint is from another log ({checkpoint.origin!r})")
    if witnesses is not None:
        problem = witnesses.check(proof.note)
        if problem:
            raise ProofError(problem)
    if not merkle.verify_inclusion(
        proof.index, checkpoint.size, merkle.leaf_hash(proof.entry), proof.path, checkpoint.root
    ):
        raise ProofError("the publish entry is not in the signed log (inclusion proof fails)")
    # The bytes are authenticated by the inclusion proof, so reading three fields with plain
    # JSON is enough here; the full schema check (ethics.entries) is the verifier's and the
    # log's job, and importing it would cost the game's start-up for nothing.
    try:
        entry = json.loads(proof.entry.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProofError(f"the proven entry is malformed: {exc}") from exc
    if not isinstance(entry, dict):
        raise ProofError("the proven entry is not a JSON object")
    if entry.get("kind") != "publish":
        raise ProofError(f"the proven entry is a {str(entry.get('kind'))[:40]}, not a publish")
    if entry.get("bundle_hash") != bundle_hash:
        raise ProofError("the proven publish entry is for another bundle")
    if entry.get("index") != proof.index:
        raise ProofError("the proven entry's position does not match the proof")
    return checkpoint
