"""The open offer follows the counsellors' console within 2 s, against the real server."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pygame
import pytest

from game.app import GameApp
from tests.e2e.server_process import ServerProcess
from tests.e2e.test_skeleton_e2e import ScriptedCounsellor
from tests.game.driver import SilentVoice, frames, key, until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One real, seeded server (SQLite) for this module."""
    running = ServerProcess(tmp_path_factory.mktemp("server-offer"))
    running.prepare()
    running.start()
    yield running
    assert running.stop() == 0, running.log_file.read_text()


def offer_text(game: GameApp) -> str:
    assert game.top is not None and game.top.name == "offer"
    return " ".join(game.top.panels()[0].texts())


def shows_within_two_seconds(game: GameApp, needle: str) -> float:
    start = time.monotonic()
    until(game, lambda: needle in offer_text(game), timeout=2.0)
    return time.monotonic() - start


def test_offer_availability_follows_the_console(server: ServerProcess, tmp_path: Path) -> None:
    """A counsellor going available, away and offline shows in the open offer within 2 s."""
    counsellor = ScriptedCounsellor(server.url, "counsellor1")  # a professional counsellor
    game = GameApp(server.url, home=tmp_path / "player", voice=SilentVoice())
    try:
        until(game, lambda: game.organisation is not None and game.content_source == "server")
        key(game, pygame.K_RETURN)  # past the disclosure
        frames(game, 2)
        key(game, pygame.K_t)
        shows_within_two_seconds(game, "no counsellor is free right now")
        counsellor.connect()
        counsellor.wait_for("welcome", game)
        counsellor.send({"type": "status", "status": "available"})
        shows_within_two_seconds(game, "Available right now: professional counsellor")
        counsellor.send({"type": "status", "status": "away"})
        shows_within_two_seconds(game, "no counsellor is free right now")
        counsellor.send({"type": "status", "status": "available"})
        shows_within_two_seconds(game, "Available right now: professional counsellor")
        counsellor.close()  # the console closes: the counsellor is offline
        shows_within_two_seconds(game, "no counsellor is free right now")
    finally:
        game.shutdown()
