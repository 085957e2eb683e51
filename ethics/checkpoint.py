"""Signed checkpoints: C2SP tlog-checkpoint bodies inside C2SP signed notes, Ed25519 keys.

A checkpoint commits to the log's origin, size and root hash. It is signed as a signed note:
body, a blank line, then ``— <key name> base64(key id || signature)`` lines. The key id is
SHA-256(name || 0x0A || 0x01 || public key)[:4] (signed-note, Ed25519 type 0x01). Keys are
written in the verifier/signer key string formats used by Go's ``golang.org/x/mod/sumdb/note``
(``name+hexid+base64(0x01 || key)``) so existing tooling can read them. Pure functions; the
server decides where key files live.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ethics import merkle
from ethics.exceptions import CheckpointError, SigningKeyError

ED25519_TYPE = b"\x01"
_SIG_PREFIX = "\u2014 "  # em dash, space
_NAME_RE = re.compile(r"^[^\s+]+$")
_MAX_SIGNATURES = 16


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name or not _NAME_RE.match(name):
        raise SigningKeyError("a key name must be non-empty without spaces or '+'")
    return name


def key_id(name: str, public_key: bytes) -> bytes:
    """C2SP signed-note key id for an Ed25519 key: 4 bytes."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + public_key).digest()[:4]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    # imported here: a verifier (the game at start-up) never serialises keys
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def new_seed() -> bytes:
    """A fresh random Ed25519 private key as its 32-byte seed (cryptography's OS-backed
    generator); the log's signer and a witness's signer both start from one."""
    from cryptography.hazmat.primitives import serialization

    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def public_of(seed: bytes) -> bytes:
    """The raw 32-byte public key of a private key's seed."""
    return _raw_public(Ed25519PrivateKey.from_private_bytes(seed).public_key())


@dataclass(frozen=True)
class Verifier:
    """A named Ed25519 public key that checks note signatures."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        """The 4-byte signed-note key id."""
        return key_id(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        """``name+hexid+base64(0x01||pubkey)``: the shareable public key string."""
        blob = base64.b64encode(ED25519_TYPE + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the public key string, 128 bits in groups of four hex digits.

        This is what a programme publishes out of band (website, printed material) so that
        anyone can check the key a server or an export presents.
        """
        digest = hashlib.sha256(self.vkey.encode()).hexdigest()[:32]
        return " ".join(digest[i : i + 4] for i in range(0, 32, 4))

    @classmethod
    def from_vkey(cls, text: str) -> Verifier:
        """Parse a verifier key string; raise SigningKeyError if it is malformed."""
        name, kid, key = split_key(text.strip(), "verifier key")
        if len(key) != 32:
            raise SigningKeyError("verifier key must hold a 32-byte Ed25519 public key")
        verifier = cls(name=name, public_key=key)
        if verifier.key_id != kid:
            raise SigningKeyError("verifier key id does not match its name and public key")
        return verifier

    def verify(self, text: bytes, signature: bytes) -> bool:
        """True if ``signature`` is this key's Ed25519 signature over ``text``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """A named Ed25519 private key that signs notes."""

    name: str
    seed: bytes

    @classmethod
    def generate(cls, name: str) -> Signer:
        """A fresh random key (cryptography's OS-backed generator)."""
        return cls(name=_check_name(name), seed=new_seed())

    @property
    def verifier(self) -> Verifier:
        """The matching public key."""
        return Verifier(name=self.name, public_key=public_of(self.seed))

    @property
    def skey(self) -> str:
        """``PRIVATE+KEY+name+hexid+base64(0x01||seed)``: the private key file contents."""
        blob = base64.b64encode(ED25519_TYPE + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{blob}"

    @classmethod
    def from_skey(cls, text: str) -> Signer:
        """Parse a private key string; raise SigningKeyError if it is malformed."""
        name, kid, seed = split_skey(text, "signing key")
        signer = cls(name=name, seed=seed)
        if signer.verifier.key_id != kid:
            raise SigningKeyError("signing key id does not match its name and key")
        return signer

    def sign(self, text: bytes) -> bytes:
        """Ed25519 signature over ``text``."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(text)


def split_key(text: str, what: str, key_type: bytes = ED25519_TYPE) -> tuple[str, bytes, bytes]:
    """``name+hexid+base64(type||key)`` into (name, key id, key); the note verifier key and the
    witness key differ only in their type byte (0x01 for notes, 0x04 for cosignatures)."""
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise SigningKeyError(f"{what} must look like name+hexid+base64")
    name, hexid, blob = parts
    _check_name(name)
    try:
        kid = bytes.fromhex(hexid)
        raw = base64.b64decode(blob, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise SigningKeyError(f"{what} has a malformed id or key: {exc}") from exc
    if len(kid) != 4 or not raw or raw[:1] != key_type:
        raise SigningKeyError(f"{what} is not an Ed25519 (type 0x{key_type.hex()}) key")
    return name, kid, raw[1:]


def split_skey(text: str, what: str, key_type: bytes = ED25519_TYPE) -> tuple[str, bytes, bytes]:
    """``PRIVATE+KEY+name+hexid+base64(type||seed)`` into (name, key id, 32-byte seed)."""
    text = text.strip()
    if not text.startswith("PRIVATE+KEY+"):
        raise SigningKeyError(f"not a {what} (expected PRIVATE+KEY+...)")
    name, kid, seed = split_key(text[len("PRIVATE+KEY+") :], what, key_type)
    if len(seed) != 32:
        raise SigningKeyError(f"a {what} must hold a 32-byte Ed25519 seed")
    return name, kid, seed


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin (log identity), size and RFC 6962 root."""

    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        """The C2SP tlog-checkpoint note text, ending in a newline."""
        if not self.origin or "\n" in self.origin:
            raise CheckpointError("checkpoint origin must be one non-empty line")
        if len(self.root) != merkle.DIGEST_SIZE:
            raise CheckpointError("checkpoint root must be 32 bytes")
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse_body(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text (extension lines are allowed and ignored)."""
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise CheckpointError("checkpoint needs origin, size and root lines, none empty")
        origin, size_text, root_text = lines[0], lines[1], lines[2]
        if not re.fullmatch(r"0|[1-9][0-9]*", size_text):
            raise CheckpointError(f"checkpoint size {size_text!r} is not a decimal number")
        try:
            root = base64.b64decode(root_text, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise CheckpointError("checkpoint root is not base64") from exc
        if len(root) != merkle.DIGEST_SIZE:
            raise CheckpointError("checkpoint root is not 32 bytes")
        return cls(origin=origin, size=int(size_text), root=root)


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a signed note."""

    name: str
    key_id: bytes
    signature: bytes


def sign_note(text: str, signers: list[Signer]) -> str:
    """Sign a note text (must end in a newline) with each signer; return the signed note."""
    if not text.endswith("\n"):
        raise CheckpointError("note text must end with a newline")
    lines = []
    for signer in signers:
        sig = signer.sign(text.encode())
        blob = base64.b64encode(signer.verifier.key_id + sig).decode()
        lines.append(f"{_SIG_PREFIX}{signer.name} {blob}\n")
    return text + "\n" + "".join(lines)


def parse_note(note: str) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and signature lines; raise CheckpointError."""
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise CheckpointError("signed note contains control characters")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise CheckpointError("signed note has no blank line before its signatures")
    text, sig_block = note[: split + 1], note[split + 2 :]
    signatures = []
    for line in sig_block[:-1].split("\n"):
        if not line.startswith(_SIG_PREFIX):
            raise CheckpointError(f"malformed signature line {line[:40]!r}")
        name, _, blob = line[len(_SIG_PREFIX) :].rpartition(" ")
        if not name or not _NAME_RE.match(name):
            raise CheckpointError("signature line has a malformed key name")
        try:
            raw = base64.b64decode(blob, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise CheckpointError("signature is not base64") from exc
        if len(raw) < 5:
            raise CheckpointError("signature is too short")
        signatures.append(NoteSignature(name=name, key_id=raw[:4], signature=raw[4:]))
    if not signatures:
        raise CheckpointError("signed note has no signatures")
    if len(signatures) > _MAX_SIGNATURES:
        raise CheckpointError("signed note has too many signatures")
    return text, signatures


def open_note(note: str, verifiers: list[Verifier]) -> tuple[str, Verifier]:
    """Return the note text and the known key that signed it.

    Signatures from unknown keys are ignored; a known key's bad signature rejects the note;
    no verified known signature rejects it too (signed-note rules).
    """
    text, signatures = parse_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    good: Verifier | None = None
    for sig in signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        if not verifier.verify(text.encode(), sig.signature):
            raise CheckpointError(f"signature by {sig.name} does not verify")
        good = good or verifier
    if good is None:
        raise CheckpointError("no signature from a known key")
    return text, good


def note_signers(note: str, verifiers: list[Verifier]) -> tuple[str, list[Verifier], list[str]]:
    """Every known key whose signature on ``note`` verifies, and the names whose did not.

    Unlike :func:`open_note` this never stops at the first good signature: a verifier that
    applies a trust policy (pinned keys, rotations endorsed by the outgoing key) needs to
    know *all* of the keys that vouch for a note. Raises CheckpointError only when the note
    itself is malformed.
    """
    text, signatures = parse_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    good: list[Verifier] = []
    bad: list[str] = []
    for sig in signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        if verifier.verify(text.encode(), sig.signature):
            if verifier not in good:
                good.append(verifier)
        else:
            bad.append(f"{sig.name}+{sig.key_id.hex()}")
    return text, good, bad


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer, *more: Signer) -> str:
    """The signed note for a checkpoint; a key rotation's note is signed by both keys."""
    return sign_note(checkpoint.body(), [signer, *more])


def open_checkpoint(note: str, verifiers: list[Verifier]) -> tuple[Checkpoint, Verifier]:
    """Verify a signed checkpoint; return the checkpoint and the key that signed it."""
    text, verifier = open_note(note, verifiers)
    return Checkpoint.parse_body(text), verifier
