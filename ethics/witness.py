"""A C2SP tlog-witness, sans IO: the decisions of ``crossroads ethics witness serve``.

A partner programme runs a witness so that the operator of the ethics log cannot show one
history to the game and another to an auditor: the witness cosigns a checkpoint only when it
is consistent with the last one it cosigned for that log, and remembers the newest. A fork
(same size, other root) or a rollback (smaller than what it cosigned) is refused, never cosigned.

``Witness.add_checkpoint(body, now)`` implements ``POST <prefix>/add-checkpoint``: it returns
the HTTP status, content type and body the shell sends, and the new state to persist *before*
answering (the shell holds a lock around check-and-persist, as the spec requires).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from ethics import merkle
from ethics.checkpoint import Checkpoint, Verifier, note_signers
from ethics.cosign import WitnessSigner
from ethics.exceptions import CheckpointError

MAX_BODY = 64 * 1024
MAX_PROOF_LINES = 63
SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class Seen:
    """The newest checkpoint a witness cosigned for one log."""

    size: int
    root: bytes

    def to_json(self) -> dict[str, object]:
        """For the state file."""
        return {"size": self.size, "root": base64.b64encode(self.root).decode()}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Seen:
        """Inverse of :meth:`to_json`; raises ValueError on a corrupt state file."""
        size, root = data.get("size"), data.get("root")
        if not isinstance(size, int) or size < 0 or not isinstance(root, str):
            raise ValueError("corrupt witness state entry")
        raw = base64.b64decode(root, validate=True)
        if len(raw) != merkle.DIGEST_SIZE:
            raise ValueError("corrupt witness state root")
        return cls(size, raw)


@dataclass(frozen=True)
class Answer:
    """What to send back: status, content type and body."""

    status: int
    body: str
    content_type: str = "text/plain"


@dataclass
class Witness:
    """One witness key, the logs it witnesses (origin -> keys) and what it cosigned."""

    signer: WitnessSigner
    logs: dict[str, list[Verifier]]
    state: dict[str, Seen] = field(default_factory=dict)

    def add_checkpoint(self, body: bytes, now: int) -> Answer:
        """Check a submitted checkpoint and cosign it, or refuse it with the spec's status."""
        if len(body) > MAX_BODY:
            return Answer(413, "request too large\n")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Answer(400, "the request is not UTF-8\n")
        head, sep, note = text.partition("\n\n")
        if not sep:
            return Answer(400, "expected 'old N', proof lines, a blank line and a checkpoint\n")
        lines = head.split("\n")
        old_text = lines[0].removeprefix("old ")
        if (
            not lines[0].startswith("old ")
            or not (old_text.isascii() and old_text.isdigit())
            or (len(old_text) > 1 and old_text[0] == "0")
        ):
            return Answer(400, "the first line must be 'old <size>' in decimal\n")
        old = int(old_text)
        if len(lines) - 1 > MAX_PROOF_LINES:
            return Answer(400, "too many consistency proof lines\n")
        try:
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
        except (ValueError, binascii.Error):
            return Answer(400, "a consistency proof line is not base64\n")
        if any(len(h) != merkle.DIGEST_SIZE for h in proof):
            return Answer(400, "a consistency proof hash is not 32 bytes\n")
        try:
            origin = note.split("\n", 1)[0]
        except IndexError:  # pragma: no cover - split always yields one item
            origin = ""
        keys = self.logs.get(origin)
        if keys is None:
            return Answer(404, f"this witness does not witness the log {origin[:100]!r}\n")
        try:
            checkpoint_text, signers, _bad = note_signers(note, keys)
            checkpoint = Checkpoint.parse_body(checkpoint_text)
        except CheckpointError as exc:
            return Answer(400, f"malformed checkpoint: {exc}\n")
        if not signers:
            return Answer(403, "the checkpoint is not signed by a key this witness trusts\n")
        if old > checkpoint.size:
            return Answer(
                400, f"old size {old} is larger than the checkpoint size {checkpoint.size}\n"
            )
        seen = self.state.get(origin, Seen(0, merkle.EMPTY_ROOT))
        if old != seen.size:
            return Answer(409, f"{seen.size}\n", SIZE_TYPE)
        if checkpoint.size == seen.size:
            if checkpoint.root != seen.root:
                return Answer(
                    409,
                    f"refused: a checkpoint of size {seen.size} with another root was already "
                    "cosigned (the log forked)\n",
                )
        elif old == 0:
            if proof:
                return Answer(400, "the consistency proof must be empty from size 0\n")
        elif not merkle.verify_consistency(old, checkpoint.size, seen.root, checkpoint.root, proof):
            return Answer(
                422,
                f"refused: the checkpoint of size {checkpoint.size} is not consistent with the "
                f"one of size {old} cosigned earlier (history rewritten)\n",
            )
        self.state[origin] = Seen(checkpoint.size, checkpoint.root)
        return Answer(200, self.signer.cosign(checkpoint_text, now))


def add_checkpoint_request(old_size: int, proof: list[bytes], note: str) -> bytes:
    """The body a log sends to ``add-checkpoint``."""
    lines = [f"old {old_size}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()
