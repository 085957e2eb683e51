"""Witnesses cosign only consistent checkpoints; policies count cosignatures; proofs hold."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ethics import entries as E
from ethics import merkle
from ethics.checkpoint import Checkpoint, Signer, sign_checkpoint
from ethics.cosign import WitnessKey, WitnessSigner, add_cosignatures
from ethics.log import Log
from ethics.policy import PolicyError, Witness, WitnessPolicy
from ethics.proof import ContentProof, ProofError, verify_content_proof
from ethics.witness import Witness as WitnessCore
from ethics.witness import add_checkpoint_request
from tests.unit.ethics.ethics_factories import T0, bundle_hash

ORIGIN = "crossroads.example/ethics"
NOW = 1_780_000_000


def _leaves(n: int, tag: str = "a") -> list[bytes]:
    return [f'{{"{tag}":{i}}}'.encode() for i in range(n)]


def _note(signer: Signer, leaves: list[bytes]) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, len(leaves), merkle.root(leaves)), signer)


def _submit(w: WitnessCore, old: list[bytes], new: list[bytes], signer: Signer) -> tuple[int, str]:
    proof = merkle.consistency_proof(len(old), new) if old else []
    answer = w.add_checkpoint(add_checkpoint_request(len(old), proof, _note(signer, new)), NOW)
    return answer.status, answer.body


def _witness() -> tuple[WitnessCore, Signer]:
    log_key = Signer.generate(ORIGIN)
    return WitnessCore(
        WitnessSigner.generate("witness.example/w1"), {ORIGIN: [log_key.verifier]}
    ), log_key


def test_cosignature_round_trip_and_key_format() -> None:
    """A cosignature verifies with the witness vkey (type 0x04) and carries its timestamp."""
    signer = WitnessSigner.generate("witness.example/w1")
    key = WitnessKey.from_vkey(signer.key.vkey)
    assert base64.b64decode(key.vkey.split("+", 2)[2])[0] == 4
    note = _note(Signer.generate(ORIGIN), _leaves(3))
    body = note.split("\n\n")[0] + "\n"
    cosigned = add_cosignatures(note, [signer.cosign(body, NOW)])
    assert key.cosignatures(cosigned) == [NOW]
    assert WitnessSigner.from_skey(signer.skey) == signer
    # the cosignature does not verify on another checkpoint
    other = _note(Signer.generate(ORIGIN), _leaves(4))
    forged = other + cosigned.split("\n\n")[1].split("\n")[1] + "\n"
    assert key.cosignatures(forged) == []


def test_witness_cosigns_a_growing_log() -> None:
    """First checkpoint from old 0, then a consistent extension: both cosigned."""
    w, log_key = _witness()
    assert _submit(w, [], _leaves(3), log_key)[0] == 200
    status, body = _submit(w, _leaves(3), _leaves(7), log_key)
    assert status == 200 and body.startswith("\u2014 witness.example/w1 ")
    assert w.state[ORIGIN].size == 7


def test_witness_refuses_a_fork() -> None:
    """A different tree of the size it already cosigned is refused with 409, never cosigned."""
    w, log_key = _witness()
    _submit(w, [], _leaves(3), log_key)
    status, body = _submit(w, _leaves(3), _leaves(3, "forked"), log_key)
    assert status == 409 and "forked" in body
    assert w.state[ORIGIN].root == merkle.root(_leaves(3))


def test_witness_refuses_rewritten_history() -> None:
    """An extension whose consistency proof fails (history rewritten) gets 422."""
    w, log_key = _witness()
    _submit(w, [], _leaves(3), log_key)
    rewritten = _leaves(3, "b") + _leaves(2)
    proof = merkle.consistency_proof(3, rewritten)
    answer = w.add_checkpoint(add_checkpoint_request(3, proof, _note(log_key, rewritten)), NOW)
    assert answer.status == 422 and "not consistent" in answer.body
    assert w.state[ORIGIN].size == 3


def test_witness_refuses_a_rollback() -> None:
    """A smaller checkpoint than the one cosigned is refused (400 or 409 with the size)."""
    w, log_key = _witness()
    _submit(w, [], _leaves(5), log_key)
    assert _submit(w, [], _leaves(3), log_key) == (409, "5\n")
    answer = w.add_checkpoint(add_checkpoint_request(5, [], _note(log_key, _leaves(3))), NOW)
    assert answer.status == 400
    assert w.state[ORIGIN].size == 5


def test_witness_refuses_unknown_logs_and_keys() -> None:
    """Unknown origin is 404, a checkpoint signed by another key 403, garbage 400."""
    w, _ = _witness()
    stranger = Signer.generate(ORIGIN)
    assert _submit(w, [], _leaves(2), stranger)[0] == 403
    other_log = Signer.generate("other.example/log")
    note = sign_checkpoint(Checkpoint("other.example/log", 1, merkle.root(_leaves(1))), other_log)
    assert w.add_checkpoint(add_checkpoint_request(0, [], note), NOW).status == 404
    assert w.add_checkpoint(b"old 01\n\nx", NOW).status == 400
    assert w.add_checkpoint(b"\xff\xfe", NOW).status == 400


@given(st.binary(max_size=300))
def test_witness_never_crashes_on_garbage(junk: bytes) -> None:
    """Any request body gets an answer with a 4xx status, never an exception."""
    w, _ = _witness()
    assert 400 <= w.add_checkpoint(junk, NOW).status < 500


def test_policy_file_and_quorum() -> None:
    """A tlog-policy with a 2-of-3 group needs two valid cosignatures."""
    signers = [WitnessSigner.generate(f"w{i}.example") for i in range(3)]
    log_key = Signer.generate(ORIGIN)
    text = "\n".join(
        [f"log {log_key.verifier.vkey}"]
        + [f"witness W{i} {s.key.vkey} http://127.0.0.1/{i}" for i, s in enumerate(signers)]
        + ["group two 2 W0 W1 W2", "quorum two", ""]
    )
    policy = WitnessPolicy.parse(text)
    note = _note(log_key, _leaves(3))
    body = note.split("\n\n")[0] + "\n"
    one = add_cosignatures(note, [signers[0].cosign(body, NOW)])
    assert "needs cosignatures by 2 of W0, W1, W2; cosigned by W0" in (policy.check(one) or "")
    two = add_cosignatures(one, [signers[2].cosign(body, NOW)])
    assert policy.check(two) is None
    assert WitnessPolicy.parse("quorum none\n").check(note) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "quorum nobody\n",
        "group g 1\nquorum g\n",
        "witness a b\nquorum a\n",
        "quorum none\nquorum none\n",
    ],
)
def test_bad_policy_files_are_refused(text: str) -> None:
    """Malformed policy files raise PolicyError instead of counting wrongly."""
    with pytest.raises(PolicyError):
        WitnessPolicy.parse(text)


def _published_log(signer: Signer) -> tuple[Log, int]:
    log = Log()
    log.append(
        E.KeyRotationEntry(
            index=0,
            at=T0,
            actor=None,
            key_name=ORIGIN,
            old_key=None,
            new_key=signer.verifier.vkey,
            reason="first signing key",
        ).to_bytes()
    )
    log.append(
        E.PublishEntry(
            index=1,
            at=T0,
            actor=21,
            proposal="p1",
            revision=1,
            bundle_hash=bundle_hash("b"),
            approvals=[21, 22],
            note="",
        ).to_bytes()
    )
    log.append(
        E.UnpublishEntry(
            index=2,
            at=T0,
            actor=21,
            bundle_hash=bundle_hash("b"),
            restored_bundle_hash=None,
            rationale="withdrawn for a test",
        ).to_bytes()
    )
    return log, 1


def _proof(log: Log, index: int, signer: Signer) -> str:
    note = sign_checkpoint(Checkpoint(ORIGIN, log.size, log.root), signer)
    return ContentProof(log.entries[index], index, log.inclusion_proof(index), note).text()


def test_content_proof_verifies_and_refuses_tampering() -> None:
    """The proof holds for its bundle with the pinned key and fails for every tampering."""
    signer = Signer.generate(ORIGIN)
    log, index = _published_log(signer)
    text = _proof(log, index, signer)
    cp = verify_content_proof(text, bundle_hash("b"), [signer.verifier], origin=ORIGIN)
    assert cp.size == 3
    with pytest.raises(ProofError, match="another bundle"):
        verify_content_proof(text, bundle_hash("c"), [signer.verifier])
    with pytest.raises(ProofError, match="not signed by the pinned"):
        verify_content_proof(text, bundle_hash("b"), [Signer.generate(ORIGIN).verifier])
    with pytest.raises(ProofError, match="not a publish"):
        verify_content_proof(_proof(log, 2, signer), bundle_hash("b"), [signer.verifier])
    lines = text.split("\n")
    lines[3] = base64.b64encode(b"\0" * 32).decode()
    with pytest.raises(ProofError, match="inclusion proof fails"):
        verify_content_proof("\n".join(lines), bundle_hash("b"), [signer.verifier])
    witness = WitnessSigner.generate("w.example")
    policy = WitnessPolicy.simple([Witness("w", witness.key)], 1)
    with pytest.raises(ProofError, match="witness policy"):
        verify_content_proof(text, bundle_hash("b"), [signer.verifier], policy)


@given(st.text(max_size=400))
def test_content_proof_garbage_is_a_proof_error(junk: str) -> None:
    """Any text is either a valid proof or a ProofError, never another exception."""
    signer = Signer.generate(ORIGIN)
    with pytest.raises(ProofError):
        verify_content_proof(junk, bundle_hash("b"), [signer.verifier])


def test_a_witness_key_never_passes_for_the_logs_key_or_the_other_way() -> None:
    """An operator cannot hand a witness key in as the log's verifier key (or a log key in as
    a witness's): the type byte of each key file is checked, for public and private keys."""
    from ethics.checkpoint import Verifier
    from ethics.exceptions import SigningKeyError

    witness = WitnessSigner.generate("witness.example")
    log = Signer.generate("log.example")
    with pytest.raises(SigningKeyError, match="type 0x01"):
        Verifier.from_vkey(witness.key.vkey)
    with pytest.raises(SigningKeyError, match="type 0x04"):
        WitnessKey.from_vkey(log.verifier.vkey)
    with pytest.raises(SigningKeyError, match="type 0x01"):
        Signer.from_skey(witness.skey)
    with pytest.raises(SigningKeyError, match="type 0x04"):
        WitnessSigner.from_skey(log.skey)
    assert Signer.from_skey(log.skey) == log
    assert WitnessSigner.from_skey(witness.skey) == witness
