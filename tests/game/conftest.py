"""Fixtures for the game client tests: a headless GameApp on the minimal story, its own
data directory, and a fake server thread when a test needs the network."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from tests.game.driver import STORY_MIN, make_app  # noqa: E402
from tests.game.fake_server import FakeServer  # noqa: E402


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh user data directory for settings, saves and caches."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("CROSSROADS_GAME_HOME", str(folder))
    return folder


@pytest.fixture
def game(home: Path) -> Iterator:
    """The game with no server configured (a purely offline copy)."""
    game = make_app(None, home)
    yield game
    game.shutdown()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer().start()
    yield fake
    fake.stop()


@pytest.fixture
def online_game(home: Path, server: FakeServer) -> Iterator:
    """The game connected to the fake server."""
    game = make_app(server.url, home)
    yield game
    game.shutdown()


__all__ = ["STORY_MIN"]
