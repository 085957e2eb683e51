"""The game shows only content it can prove the board approved, and drops withdrawn content."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ethics.checkpoint import Signer
from game.app import GameApp
from game.narrative import Bundle, load_story
from tests.game.driver import STORY_MIN, make_app, press, until
from tests.game.fake_server import FakeServer, content_proof


@pytest.fixture
def other(tmp_path: Path) -> Bundle:
    """A bundle unlike the shipped test story, so what the game shows tells where it came from."""
    folder = tmp_path / "server-story"
    shutil.copytree(STORY_MIN, folder)
    nodes = folder / "nodes.yaml"
    nodes.write_text(nodes.read_text().replace("Rain again.", "Snow again."))
    return Bundle.from_story(load_story(folder))


@pytest.fixture
def server(other: Bundle) -> Iterator[FakeServer]:
    fake = FakeServer(bundle=other).start()
    yield fake
    fake.stop()


def _online(home: Path, server: FakeServer) -> GameApp:
    game = make_app(server.url, home)
    until(game, lambda: game.content_source == "server")
    return game


def test_genuine_proof_is_shown_and_kept_with_the_cache(home: Path, server: FakeServer) -> None:
    """With a valid proof the server's story is shown, the key pinned and the proof cached."""
    game = _online(home, server)
    try:
        assert game.bundle.sha256 == server.bundle.sha256
        assert (
            (home / "content" / "bundle.tlog-proof")
            .read_text()
            .startswith("c2sp.org/tlog-proof@v1")
        )
        assert server.signer.verifier.vkey in (home / "ethics-key.vkey").read_text()
    finally:
        game.shutdown()
    offline = make_app(None, home)
    try:
        assert offline.content_source == "cache" and offline.top.name == "disclosure"
    finally:
        offline.shutdown()


@pytest.mark.parametrize("attack", ["other_bundle", "other_key", "garbage", "missing"])
def test_tampered_proof_is_refused_with_helplines(
    home: Path, server: FakeServer, attack: str
) -> None:
    """A bundle whose proof fails is never shown or cached; the game says so, with helplines."""
    digest = server.bundle.sha256
    server.proof = {
        "other_bundle": content_proof(server.signer, "0" * 64),
        "other_key": content_proof(Signer.generate(server.signer.name), digest),
        "garbage": "c2sp.org/tlog-proof@v1\nindex 1\n\nnot a checkpoint\n",
        "missing": "",
    }[attack]
    game = make_app(server.url, home)
    try:
        until(game, lambda: game.top is not None and game.top.name == "unconfirmed")
        assert game.content_source == "shipped"
        assert game.bundle.sha256 != server.bundle.sha256
        assert not (home / "content" / "bundle.json").exists()
        texts = " ".join(game.top.panels()[0].texts())
        assert "could not confirm this story was approved" in texts
        assert any(h.name in texts for h in game.bundle.helplines_for(game.locale))
        press(game, "back")
        assert game.top.name == "disclosure"
    finally:
        game.shutdown()


def test_cached_copy_is_checked_again_offline(home: Path, server: FakeServer) -> None:
    """A cached bundle whose stored proof was altered is not shown at the next offline start."""
    _online(home, server).shutdown()
    proof = home / "content" / "bundle.tlog-proof"
    proof.write_text(proof.read_text().replace("index 1", "index 0"))
    offline = make_app(None, home)
    try:
        assert offline.content_source == "shipped"
        assert offline.top.name == "unconfirmed"
        assert not (home / "content" / "bundle.json").exists()
    finally:
        offline.shutdown()


def test_withdrawn_content_stops_being_shown_once_online(home: Path, server: FakeServer) -> None:
    """After an emergency unpublish leaves nothing published, the cached story is dropped."""
    _online(home, server).shutdown()
    server.withdrawn = True
    game = make_app(server.url, home)
    try:
        until(game, lambda: game.top is not None and game.top.name == "unconfirmed")
        assert game.content_source == "shipped"
        assert game.bundle.sha256 != server.bundle.sha256
        assert "withdrew" in " ".join(game.top.panels()[0].texts())
        assert not (home / "content" / "bundle.json").exists()
    finally:
        game.shutdown()


def test_withdrawal_ends_a_running_story(home: Path, server: FakeServer) -> None:
    """A story running on withdrawn content is closed as soon as the game hears of it."""
    game = _online(home, server)
    try:
        game.start_story()
        assert game.top.name == "story" and game.engine is not None
        server.withdrawn = True
        game.net.fetch_content(game.content_store.cached_hash)
        until(game, lambda: game.top is not None and game.top.name == "unconfirmed")
        assert game.engine is None and "story" not in game.scene_names()
    finally:
        game.shutdown()


def test_a_changed_server_key_is_warned_about_and_not_adopted(home: Path, other: Bundle) -> None:
    """A server presenting another key than the pinned one gets a plain warning, no content."""
    first = FakeServer(bundle=other).start()
    try:
        _online(home, first).shutdown()
    finally:
        first.stop()
    impostor = FakeServer(bundle=other).start()  # same story, a key of its own
    try:
        shutil.rmtree(home / "content")  # nothing cached: the impostor's story would be new
        game = make_app(impostor.url, home)
        try:
            until(game, lambda: game.top is not None and game.top.name == "unconfirmed")
            assert game.notice is not None and "different ethics log key" in game.notice
            pinned = (home / "ethics-key.vkey").read_text()
            assert first.signer.verifier.vkey in pinned
            assert impostor.signer.verifier.vkey not in pinned
        finally:
            game.shutdown()
    finally:
        impostor.stop()


def test_configured_key_wins_over_first_contact(home: Path, server: FakeServer) -> None:
    """A key given by configuration is the only one trusted: the server's own is not pinned."""
    configured = Signer.generate(server.signer.name).verifier.vkey
    game = make_app(server.url, home, ethics_key=configured)
    try:
        until(game, lambda: game.top is not None and game.top.name == "unconfirmed")
        assert game.key_pin.source == "configured"
        assert not (home / "ethics-key.vkey").exists()
    finally:
        game.shutdown()


def test_a_witness_policy_requires_cosigned_proofs(
    home: Path, server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a policy naming a witness, only a proof whose checkpoint it cosigned is shown."""
    from ethics.cosign import WitnessSigner, add_cosignatures

    witness = WitnessSigner.generate("partner.example/w1")
    policy = tmp_path / "ethics.policy"
    policy.write_text(
        f"log {server.signer.verifier.vkey}\nwitness W1 {witness.key.vkey}\nquorum W1\n"
    )
    monkeypatch.setenv("CROSSROADS_ETHICS_POLICY", str(policy))
    game = make_app(server.url, home)
    try:
        assert game.key_pin.source == "policy"
        until(game, lambda: game.top is not None and game.top.name == "unconfirmed")
    finally:
        game.shutdown()
    genuine = content_proof(server.signer, server.bundle.sha256)
    head, note = genuine.split("\n\n", 1)
    body = note.split("\n\n", 1)[0] + "\n"
    server.proof = head + "\n\n" + add_cosignatures(note, [witness.cosign(body, 1_780_000_000)])
    game = _online(home, server)
    try:
        assert game.bundle.sha256 == server.bundle.sha256
    finally:
        game.shutdown()
