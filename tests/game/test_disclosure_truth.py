"""The disclosure says what the game sends at start; the game sends exactly that, no more."""

from __future__ import annotations

import pygame

from game.app import GameApp
from tests.game.driver import frames, key, until
from tests.game.fake_server import FakeServer


def test_at_start_the_game_only_asks_for_the_story_and_the_profile(
    online_game: GameApp, server: FakeServer
) -> None:
    """Starting and playing sends three anonymous GETs (story, the log's key, the profile): no
    token, cookie, body or identifier."""
    game = online_game
    until(game, lambda: game.org_live_at is not None and game.content_source == "server")
    key(game, pygame.K_RETURN)  # start the story and play a little
    frames(game, 30)
    key(game, pygame.K_1)
    frames(game, 30)
    assert {(r["method"], r["path"]) for r in server.requests} <= {
        ("GET", "/api/v1/organisation"),
        ("GET", "/api/v1/content"),
        ("GET", "/api/v1/ethics/key"),
    }
    for r in server.requests:
        assert r["body"] == b"" and r["query"] == ""
        assert not r["headers"] & {"authorization", "cookie"}
    texts = " ".join(game.bundle.text(line, "en") for line in game.bundle.disclosure)
    assert "asks the service for the" in texts and "current story" in texts
    assert "key that shows the ethics board approved it" in texts


def test_offer_questions_are_as_anonymous_as_the_start(
    online_game: GameApp, server: FakeServer
) -> None:
    """Keeping the offer's availability current sends nothing but the same anonymous GET."""
    game = online_game
    until(game, lambda: game.org_live_at is not None)
    key(game, pygame.K_RETURN)
    frames(game, 2)
    key(game, pygame.K_t)
    until(game, lambda: sum(r["path"] == "/api/v1/organisation" for r in server.requests) >= 3)
    assert {(r["method"], r["path"]) for r in server.requests} <= {
        ("GET", "/api/v1/organisation"),
        ("GET", "/api/v1/content"),
        ("GET", "/api/v1/ethics/key"),
    }
    assert all(not r["headers"] & {"authorization", "cookie"} for r in server.requests)


def test_shipped_disclosure_says_what_is_sent_and_kept() -> None:
    """The shipped story's disclosure names the start-up requests and what the service keeps."""
    from game.narrative import Bundle, load_story
    from game.paths import STORY

    bundle = Bundle.from_story(load_story(STORY))
    kept = bundle.text("disclosure.kept", "en")
    assert "asks the service for the" in kept and "who is on duty" in kept
    assert "does not keep your address" in kept
    assert "Nothing is sent anywhere" not in kept  # the old, untrue promise
