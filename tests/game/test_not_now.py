""" "Not now" is respected: help points stay quiet afterwards, and the offer never jumps ahead."""

from __future__ import annotations

from pathlib import Path

import pygame

from game.app import GameApp
from tests.game.driver import finish_text, frames, key, make_app, press
from tests.game.test_flows import start_story


def walk_to_talk(game: GameApp, *, started: bool = False) -> None:
    """Play to the fixture's help point 'talk' without revealing its text."""
    if not started:
        start_story(game)
    key(game, pygame.K_1)  # start -> chat
    finish_text(game)
    key(game, pygame.K_1)  # -> group, content note first
    frames(game, 2)
    key(game, pygame.K_RETURN)
    finish_text(game)
    key(game, pygame.K_1)  # -> talk (a help point)
    frames(game, 3)
    assert game.story_scene.engine.node.id == "talk"


def test_offer_waits_until_the_help_point_text_has_been_shown(game: GameApp) -> None:
    """Arriving at a help point shows its text first; the offer opens only after that."""
    walk_to_talk(game)
    assert game.scene_names() == ["story"] and not game.story_scene.revealed
    finish_text(game)
    frames(game, 2)
    assert game.scene_names() == ["story", "offer"]


def test_after_not_now_help_points_do_not_open_the_offer(game: GameApp) -> None:
    """After 'Not now', reaching a help point shows only a small line, not the offer."""
    start_story(game)
    key(game, pygame.K_t)
    press(game, "not_now")  # declined once, from the button
    assert game.scene_names() == ["story"]
    walk_to_talk(game, started=True)
    finish_text(game)
    frames(game, 30)
    assert game.story_scene.engine.node.id == "talk"
    assert game.scene_names() == ["story"]
    assert any("Talk to someone button" in t for t in game.story_scene.dialogue.texts())
    key(game, pygame.K_t)  # the button itself still works
    assert game.top is not None and game.top.name == "offer"


def test_a_new_playthrough_offers_again(game: GameApp) -> None:
    """'Not now' holds for one playthrough; a new game offers at help points again."""
    start_story(game)
    key(game, pygame.K_t)
    press(game, "not_now")
    game.story_scene.load(None)  # a new game
    frames(game, 2)
    finish_text(game)
    walk_to_talk(game, started=True)
    finish_text(game)
    frames(game, 2)
    assert game.scene_names() == ["story", "offer"]


def test_resuming_a_save_at_a_help_point_does_not_open_the_offer(home: Path) -> None:
    """A game closed at a help point resumes there without the offer popping up."""
    first = make_app(None, home)
    walk_to_talk(first)
    first.story_scene.autosave()
    first.shutdown()
    second = make_app(None, home)
    try:
        key(second, pygame.K_RETURN)  # Continue
        finish_text(second)
        frames(second, 30)
        assert second.story_scene.engine.node.id == "talk"
        assert second.scene_names() == ["story"]
    finally:
        second.shutdown()
