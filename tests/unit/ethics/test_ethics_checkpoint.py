"""Signed checkpoints follow C2SP tlog-checkpoint and signed-note with Ed25519 keys."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ethics import merkle
from ethics.checkpoint import (
    Checkpoint,
    Signer,
    Verifier,
    key_id,
    open_checkpoint,
    parse_note,
    sign_checkpoint,
    sign_note,
)
from ethics.exceptions import CheckpointError, SigningKeyError

NAME = "crossroads.example/ethics-log"


def test_key_id_follows_signed_note_spec() -> None:
    """The key id is SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    signer = Signer.generate(NAME)
    pub = signer.verifier.public_key
    expected = hashlib.sha256(NAME.encode() + b"\n\x01" + pub).digest()[:4]
    assert key_id(NAME, pub) == expected == signer.verifier.key_id


def test_checkpoint_body_is_three_lines() -> None:
    """The note text is origin, decimal size and base64 root, each ending in a newline."""
    cp = Checkpoint(NAME, 20852163, bytes(range(32)))
    body = cp.body()
    assert body == f"{NAME}\n20852163\n{base64.b64encode(bytes(range(32))).decode()}\n"
    assert Checkpoint.parse_body(body) == cp


def test_signed_checkpoint_round_trip() -> None:
    """A checkpoint signed with a key opens with the matching verifier."""
    signer = Signer.generate(NAME)
    cp = Checkpoint(NAME, 8, merkle.root([b"a", b"b"]))
    note = sign_checkpoint(cp, signer)
    lines = note.split("\n")
    assert lines[3] == "" and lines[4].startswith("\u2014 " + NAME + " ")
    raw = base64.b64decode(lines[4].rsplit(" ", 1)[1])
    assert raw[:4] == signer.verifier.key_id and len(raw) == 4 + 64
    opened, verifier = open_checkpoint(note, [signer.verifier])
    assert opened == cp and verifier == signer.verifier


def test_altered_checkpoint_is_rejected() -> None:
    """Changing the size or root of a signed checkpoint breaks its signature."""
    signer = Signer.generate(NAME)
    note = sign_checkpoint(Checkpoint(NAME, 8, merkle.EMPTY_ROOT), signer)
    tampered = note.replace("\n8\n", "\n9\n", 1)
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(tampered, [signer.verifier])


def test_unknown_keys_are_ignored_but_one_known_key_is_needed() -> None:
    """Signatures from unknown keys are skipped; without a known signature the note fails."""
    ours, theirs = Signer.generate(NAME), Signer.generate("witness.example/w1")
    note = sign_note(Checkpoint(NAME, 1, merkle.EMPTY_ROOT).body(), [theirs, ours])
    assert open_checkpoint(note, [ours.verifier])[1] == ours.verifier
    with pytest.raises(CheckpointError, match="no signature from a known key"):
        open_checkpoint(note, [Signer.generate(NAME).verifier])


def test_key_strings_round_trip() -> None:
    """Public and private key strings parse back to the same keys."""
    signer = Signer.generate(NAME)
    assert Signer.from_skey(signer.skey) == signer
    assert Verifier.from_vkey(signer.verifier.vkey) == signer.verifier
    assert signer.verifier.vkey.startswith(NAME + "+" + signer.verifier.key_id.hex() + "+")


@pytest.mark.parametrize(
    "text",
    ["", "name", "a+b+c+d", "bad name+00000000+AQ==", "n+zz+AQ==", "n+00000000+!!", "n+00+AQ=="],
)
def test_malformed_keys_are_refused(text: str) -> None:
    """Broken key strings raise a SigningKeyError with a reason."""
    with pytest.raises(SigningKeyError):
        Verifier.from_vkey(text)


def test_key_with_wrong_id_is_refused() -> None:
    """A key string whose id does not match its key is refused."""
    vkey = Signer.generate(NAME).verifier.vkey
    name, _, blob = vkey.split("+", 2)
    with pytest.raises(SigningKeyError, match="does not match"):
        Verifier.from_vkey(f"{name}+00000000+{blob}")


@pytest.mark.parametrize(
    "note",
    [
        "no blank line\n",
        "a\n1\nroot\n\nno dash here\n",
        "a\n\n\u2014 name !!!notbase64\n",
        "a\x01\n\n\u2014 name AAAA\n",
        "a\n\n\u2014 name AAAA\n",
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    """Notes without a signature block, with bad lines or control characters are refused."""
    with pytest.raises(CheckpointError):
        parse_note(note)


@pytest.mark.parametrize(
    "body",
    ["x\n", "o\n01\nAAAA\n", "o\n1\nnot-base64\n", "o\n1\nAAAA\n", "o\n-1\n" + "A" * 44 + "\n"],
)
def test_malformed_checkpoint_bodies_are_refused(body: str) -> None:
    """Leading zeros, short roots and missing lines are refused."""
    with pytest.raises(CheckpointError):
        Checkpoint.parse_body(body)
