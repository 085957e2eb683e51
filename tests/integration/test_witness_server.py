"""The witness service: cosigns over HTTP, remembers across restarts, refuses a damaged memory."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from ethics import merkle
from ethics.checkpoint import Checkpoint, Signer, sign_checkpoint
from ethics.cosign import WitnessKey, WitnessSigner
from ethics.witness import add_checkpoint_request
from server.witness import WitnessConfigError, WitnessService

ORIGIN = "witnessed.example/ethics-log"
Client = TestClient  # type: ignore[type-arg]


def _leaves(n: int) -> list[bytes]:
    return [f'{{"n":{i}}}'.encode() for i in range(n)]


def _body(log: Signer, old: int, leaves: list[bytes]) -> bytes:
    note = sign_checkpoint(Checkpoint(ORIGIN, len(leaves), merkle.root(leaves)), log)
    proof = merkle.consistency_proof(old, leaves) if old else []
    return add_checkpoint_request(old, proof, note)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Signer, WitnessSigner]:
    signer = WitnessSigner.generate("partner.example/w1")
    key = tmp_path / "w.key"
    key.write_text(signer.skey + "\n")
    return key, tmp_path / "state.json", Signer.generate(ORIGIN), signer


async def test_cosigns_and_remembers_across_a_restart(
    aiohttp_client: Callable[..., Awaitable[Client]],
    setup: tuple[Path, Path, Signer, WitnessSigner],
) -> None:
    """A restarted witness still knows what it cosigned and refuses to go back."""
    key, state, log, witness = setup
    service = WitnessService.open(key, {ORIGIN: [log.verifier]}, state)
    client = await aiohttp_client(service.app())
    response = await client.post("/add-checkpoint", data=_body(log, 0, _leaves(4)))
    assert response.status == 200
    line = await response.text()
    note = sign_checkpoint(Checkpoint(ORIGIN, 4, merkle.root(_leaves(4))), log)
    assert WitnessKey.from_vkey(witness.key.vkey).cosignatures(note + line)
    assert json.loads(state.read_text())["logs"][ORIGIN]["size"] == 4

    again = WitnessService.open(key, {ORIGIN: [log.verifier]}, state)
    client2 = await aiohttp_client(again.app())
    stale = await client2.post("/add-checkpoint", data=_body(log, 0, _leaves(2)))
    assert stale.status == 409 and await stale.text() == "4\n"
    assert stale.content_type == "text/x.tlog.size"
    grown = await client2.post("/add-checkpoint", data=_body(log, 4, _leaves(9)))
    assert grown.status == 200
    about = await (await client2.get("/")).text()
    assert f"log {ORIGIN} cosigned size 9" in about


async def test_concurrent_submissions_never_roll_the_state_back(
    aiohttp_client: Callable[..., Awaitable[Client]],
    setup: tuple[Path, Path, Signer, WitnessSigner],
) -> None:
    """Two submissions at once: one wins, the other is told the new size; none rolls back."""
    key, state, log, _ = setup
    service = WitnessService.open(key, {ORIGIN: [log.verifier]}, state)
    client = await aiohttp_client(service.app())
    await client.post("/add-checkpoint", data=_body(log, 0, _leaves(2)))
    results = await asyncio.gather(
        client.post("/add-checkpoint", data=_body(log, 2, _leaves(5))),
        client.post("/add-checkpoint", data=_body(log, 2, _leaves(8))),
    )
    statuses = sorted(r.status for r in results)
    assert statuses == [200, 409]
    assert json.loads(state.read_text())["logs"][ORIGIN]["size"] in (5, 8)


def test_damaged_state_or_key_refuses_to_start(
    setup: tuple[Path, Path, Signer, WitnessSigner], tmp_path: Path
) -> None:
    """A witness never starts afresh on a damaged memory, and names the file."""
    key, state, log, _ = setup
    state.write_text("{not json")
    with pytest.raises(WitnessConfigError, match="restore it from backup"):
        WitnessService.open(key, {ORIGIN: [log.verifier]}, state)
    bad_key = tmp_path / "bad.key"
    bad_key.write_text("PRIVATE+KEY+nope")
    with pytest.raises(WitnessConfigError, match="bad.key"):
        WitnessService.open(bad_key, {ORIGIN: [log.verifier]}, tmp_path / "fresh.json")
