"""The offer, drawn for real at 100% and 200% text, shows every live fact and both answers."""

from __future__ import annotations

import os
from pathlib import Path

import pygame
import pytest

from game.app import GameApp
from tests.game.driver import find_button, frames, until
from tests.game.test_network import to_offer


def shots_dir(tmp_path: Path) -> Path:
    """docs/screenshots under ``make screenshots`` (CROSSROADS_SCREENSHOTS), else a tmp dir."""
    folder = os.environ.get("CROSSROADS_SCREENSHOTS")
    return Path(folder) if folder else tmp_path


@pytest.mark.parametrize("scale", [100, 200])
def test_offer_screenshot_shows_live_facts_without_overflow(
    online_game: GameApp, tmp_path: Path, scale: int
) -> None:
    """Operator, funder, who is on duty, hours, retention and confidentiality all fit and show."""
    game = online_game
    game.settings.text_scale = scale
    game.apply_settings()
    to_offer(game)
    until(game, lambda: "Available right now" in " ".join(game.top.panels()[0].texts()))
    frames(game, 2)
    panel = game.top.panels()[0]
    texts = " ".join(panel.texts())
    for fact in (
        "Crossroads Exit Network (test)",  # operator, from the profile
        "Test Foundation",  # funder
        "Available right now: former extremist, professional counsellor",
        "Opening hours in your time:",
        "for 30 days",  # the server's retention setting
        "may contact the emergency services (112)",  # the confidentiality limit
        "They tell you before they contact anyone",
    ):
        assert fact in texts
    assert [item for item in panel.all_items() if item.overflows(game.theme)] == []
    for ident in ("yes", "not_now"):
        _, button = find_button(game, ident)
        panel.ensure_visible(button)
        frames(game, 1)
        assert game.screen.get_rect().contains(panel.screen_rect(button))
    path = shots_dir(tmp_path) / f"game-offer-live{'' if scale == 100 else '-200'}.png"
    pygame.image.save(game.screen, str(path))
    assert path.stat().st_size > 10_000  # a real picture, not an empty frame
