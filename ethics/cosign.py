"""Witness cosignatures (C2SP tlog-cosignature, Ed25519 ``cosignature/v1``).

A cosignature is a note signature line on a checkpoint by a *witness* key: signature type
0x04, key id ``SHA-256(name || 0x0A || 0x04 || public key)[:4]``, and the signature is an
8-byte big-endian timestamp followed by an Ed25519 signature over::

    cosignature/v1
    time <timestamp>
    <the whole checkpoint note body>

It says: as of that time, this is the largest consistent tree the witness has seen for the
log. Keys are written as vkeys with type 0x04 (``name+hexid+base64(0x04 || key)``).
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ethics.checkpoint import _check_name, new_seed, parse_note, public_of, split_key, split_skey
from ethics.exceptions import SigningKeyError

COSIGNATURE_TYPE = b"\x04"
_PREFIX = "\u2014 "
MAX_TIMESTAMP = 2**63 - 1


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id of an Ed25519 cosigner key."""
    return hashlib.sha256(name.encode() + b"\n" + COSIGNATURE_TYPE + public_key).digest()[:4]


def cosigned_message(body: str, timestamp: int) -> bytes:
    """What a cosigner signs for ``body`` (a checkpoint note text ending in a newline)."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()


@dataclass(frozen=True)
class WitnessKey:
    """A witness's public key: checks cosignatures."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        """The 4-byte key id (type 0x04)."""
        return cosigner_key_id(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        """``name+hexid+base64(0x04||key)``."""
        blob = base64.b64encode(COSIGNATURE_TYPE + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    @classmethod
    def from_vkey(cls, text: str) -> WitnessKey:
        """Parse a witness vkey; raise SigningKeyError if it is not a type-0x04 key."""
        name, kid, key = split_key(text.strip(), "witness key", COSIGNATURE_TYPE)
        if len(key) != 32:
            raise SigningKeyError("a witness key must hold a 32-byte Ed25519 public key")
        out = cls(name=name, public_key=key)
        if out.key_id != kid:
            raise SigningKeyError("witness key id does not match its name and public key")
        return out

    def verify(self, body: str, signature: bytes) -> int | None:
        """The timestamp of a valid cosignature over ``body`` by this key, else None."""
        if len(signature) != 8 + 64:
            return None
        (timestamp,) = struct.unpack(">Q", signature[:8])
        if timestamp > MAX_TIMESTAMP:
            return None
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                signature[8:], cosigned_message(body, timestamp)
            )
        except (InvalidSignature, ValueError):
            return None
        return int(timestamp)

    def cosignatures(self, note: str) -> list[int]:
        """Timestamps of this key's valid cosignatures on a signed note (usually zero or one)."""
        text, signatures = parse_note(note)
        out = []
        for sig in signatures:
            if sig.name == self.name and sig.key_id == self.key_id:
                ts = self.verify(text, sig.signature)
                if ts is not None:
                    out.append(ts)
        return out


@dataclass(frozen=True)
class WitnessSigner:
    """A witness's private key: makes cosignatures."""

    name: str
    seed: bytes

    @classmethod
    def generate(cls, name: str) -> WitnessSigner:
        """A fresh random witness key."""
        return cls(name=_check_name(name), seed=new_seed())

    @property
    def key(self) -> WitnessKey:
        """The matching public key."""
        return WitnessKey(name=self.name, public_key=public_of(self.seed))

    @property
    def skey(self) -> str:
        """``PRIVATE+KEY+name+hexid+base64(0x04||seed)``: the private key file contents."""
        blob = base64.b64encode(COSIGNATURE_TYPE + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key.key_id.hex()}+{blob}"

    @classmethod
    def from_skey(cls, text: str) -> WitnessSigner:
        """Parse a witness private key; raise SigningKeyError if malformed."""
        name, kid, seed = split_skey(text, "witness signing key", COSIGNATURE_TYPE)
        out = cls(name=name, seed=seed)
        if out.key.key_id != kid:
            raise SigningKeyError("witness signing key id does not match its name and key")
        return out

    def cosign(self, body: str, timestamp: int) -> str:
        """One cosignature line (ending in a newline) over a checkpoint note body."""
        if not 0 <= timestamp <= MAX_TIMESTAMP:
            raise ValueError("timestamp out of range")
        sig = Ed25519PrivateKey.from_private_bytes(self.seed).sign(
            cosigned_message(body, timestamp)
        )
        blob = base64.b64encode(self.key.key_id + struct.pack(">Q", timestamp) + sig).decode()
        return f"{_PREFIX}{self.name} {blob}\n"


def add_cosignatures(note: str, lines: list[str]) -> str:
    """Append cosignature lines to a signed note, skipping ones it already has."""
    out = note
    for line in lines:
        if not line.endswith("\n"):
            line += "\n"
        if line not in out.split("\n\n", 1)[-1]:
            out += line
    return out
