"""The offer says who is on duty from a live answer, asked when it opens and kept current."""

from __future__ import annotations

import time
from pathlib import Path

import pygame

from game.app import GameApp
from tests.game.driver import frames, key, make_app, until
from tests.game.fake_server import FakeServer


def offer_text(game: GameApp) -> str:
    assert game.top is not None and game.top.name == "offer"
    return " ".join(game.top.panels()[0].texts())


def open_offer(game: GameApp) -> None:
    until(game, lambda: game.organisation is not None and game.org_live_at is not None)
    key(game, pygame.K_RETURN)  # past the disclosure
    frames(game, 2)
    key(game, pygame.K_t)
    assert game.top is not None and game.top.name == "offer"


def within_two_seconds(game: GameApp, needle: str) -> float:
    """Real seconds until the offer shows ``needle`` (fails after 2 s)."""
    start = time.monotonic()
    until(game, lambda: needle in offer_text(game), timeout=2.0)
    return time.monotonic() - start


def test_availability_follows_the_console_while_the_offer_is_open(
    online_game: GameApp, server: FakeServer
) -> None:
    """Counsellors going on and off duty show in the open offer within 2 s, both ways."""
    game = online_game
    server.kinds = []
    open_offer(game)
    within_two_seconds(game, "no counsellor is free right now")
    server.kinds = ["professional"]  # a counsellor signs in on the console
    within_two_seconds(game, "Available right now: professional counsellor")
    server.open_now, server.kinds = False, []  # and signs off; the service closes
    within_two_seconds(game, "closed right now")
    assert "Available right now" not in offer_text(game)


def test_offer_asks_when_it_opens_not_at_start(online_game: GameApp, server: FakeServer) -> None:
    """A counsellor who came on duty after the game started is shown when the offer opens."""
    game = online_game
    server.kinds = []
    until(game, lambda: game.org_live_at is not None)
    server.kinds = ["survivor"]
    key(game, pygame.K_RETURN)
    frames(game, 2)
    key(game, pygame.K_t)
    within_two_seconds(game, "survivor of violence")


def test_availability_becomes_unknown_when_the_server_goes_away(home: Path) -> None:
    """When the server stops answering, the offer stops claiming anyone is available."""
    server = FakeServer().start()
    game = make_app(server.url, home)
    try:
        open_offer(game)
        within_two_seconds(game, "Available right now")
        server.stop()
        within_two_seconds(game, "cannot be reached right now")
        assert "Available right now" not in offer_text(game)
    finally:
        game.shutdown()


def test_an_old_answer_is_not_shown_as_now(online_game: GameApp, server: FakeServer) -> None:
    """An answer older than a few seconds is replaced by 'checking', never shown as current."""
    game = online_game
    open_offer(game)
    within_two_seconds(game, "Available right now")
    game.org_live_at = game.clock_time - 60  # as if the last answer were a minute old
    game._org_asked = game.clock_time  # and the next question still unanswered
    frames(game, 1)
    assert "Checking who is available" in offer_text(game)
